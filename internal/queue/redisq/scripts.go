package redisq

import (
	_ "embed"

	"github.com/redis/go-redis/v9"
)

// Every multi-key step is one Lua script so that it is atomic; all keys of a queue share one hash
// tag so the scripts also run on Redis Cluster. Each script documents its KEYS and ARGV.
var (
	//go:embed lua/enqueue.lua
	enqueueSrc string
	//go:embed lua/claim.lua
	claimSrc string
	//go:embed lua/ack.lua
	ackSrc string
	//go:embed lua/retry.lua
	retrySrc string
	//go:embed lua/deadletter.lua
	deadSrc string
	//go:embed lua/recover.lua
	recoverSrc string

	enqueueScript = redis.NewScript(enqueueSrc)
	claimScript   = redis.NewScript(claimSrc)
	ackScript     = redis.NewScript(ackSrc)
	retryScript   = redis.NewScript(retrySrc)
	deadScript    = redis.NewScript(deadSrc)
	recoverScript = redis.NewScript(recoverSrc)
)
