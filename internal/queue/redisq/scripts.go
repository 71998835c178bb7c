package redisq

import (
	_ "embed"
	"strconv"

	"github.com/redis/go-redis/v9"
)

// Every multi-key step is one Lua script so that it is atomic; all keys of a queue share one hash
// tag so the scripts also run on Redis Cluster. Each script documents its KEYS and ARGV.
var (
	//go:embed lua/enqueue.lua
	enqueueSrc string
	//go:embed lua/ids.lua
	idsSrc string
	//go:embed lua/layout.lua
	layoutSrc string
	//go:embed lua/upgrade_ids.lua
	upgradeIDsSrc string
	//go:embed lua/restore_ids.lua
	restoreIDsSrc string
	//go:embed lua/restore_state.lua
	restoreStateSrc string
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
	//go:embed lua/extend.lua
	extendSrc string
	//go:embed lua/reject.lua
	rejectSrc string
	//go:embed lua/trim.lua
	trimSrc string
	//go:embed lua/rejections.lua
	rejectionsSrc string
	//go:embed lua/trim_rejections.lua
	trimRejectionsSrc string
	//go:embed lua/redrive.lua
	redriveSrc string
	//go:embed lua/prelude.lua
	prelude string
	//go:embed lua/pace_take.lua
	paceTakeSrc string
	//go:embed lua/pace_throttle.lua
	paceThrottleSrc string
	//go:embed lua/pace_state.lua
	paceStateSrc string
	//go:embed lua/pace_hold.lua
	paceHoldSrc string

	// enqueue.lua knows the layout it writes (upgrade.go) and shares where ids are kept (ids.lua).
	enqueueScript = script(layoutLua + idsLua + enqueueSrc)
	// Those that move event ids write no audit record: they go without the prelude.
	upgradeIDsScript   = redis.NewScript(idsLua + upgradeIDsSrc)
	restoreIDsScript   = redis.NewScript(idsLua + restoreIDsSrc)
	restoreStateScript = redis.NewScript(idsLua + restoreStateSrc)
	claimScript        = script(claimSrc)
	ackScript          = script(ackSrc)
	retryScript        = script(retrySrc)
	deadScript         = script(deadSrc)
	recoverScript      = script(recoverSrc)
	extendScript       = script(extendSrc)
	rejectScript       = script(layoutLua + rejectionsSrc + "\n" + rejectSrc)
	trimScript         = script(trimSrc)
	redriveScript      = script(redriveSrc)
	// Both scripts that drop rejections share how (rejections.lua).
	trimRejectionsScript = script(rejectionsSrc + "\n" + trimRejectionsSrc)

	// The pace scripts write no audit record: they go without the prelude.
	paceTakeScript     = redis.NewScript(paceTakeSrc)
	paceThrottleScript = redis.NewScript(paceThrottleSrc)
	paceStateScript    = redis.NewScript(paceStateSrc)
	paceHoldScript     = redis.NewScript(paceHoldSrc)
)

// eventIDFields is how many event ids a number's state keeps (lua/ids.lua).
const eventIDFields = 4

// idsLua is lua/ids.lua with its one setting, for the scripts that keep event ids.
var idsLua = "local NIDS = " + strconv.Itoa(eventIDFields) + "\n" + idsSrc + "\n"

// layoutLua is lua/layout.lua with the layout this release writes (upgrade.go), for the scripts
// that can write a store first.
var layoutLua = "local LAYOUT = \"" + layoutValue + "\"\n" + layoutSrc + "\n"

// layoutScript sets the layout of a store nothing was written in yet (lua/layout.lua).
// ARGV[1] key prefix
var layoutScript = redis.NewScript(layoutLua + "return layout_of(ARGV[1])")

// script prepends the shared prelude (the audit helper) to a script's source.
func script(src string) *redis.Script { return redis.NewScript(prelude + "\n" + src) }
