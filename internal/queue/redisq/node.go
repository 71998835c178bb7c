package redisq

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/redis/go-redis/v9"
)

// node is the client for commands that name no key (SCAN, CONFIG GET, WAIT): on a cluster they
// must go to the node that holds the queue's slot (all its keys share one hash tag); anywhere
// else, the client itself.
func (s *Store) node(ctx context.Context) redis.UniversalClient {
	if cc, ok := s.rdb.(*redis.ClusterClient); ok {
		if n, err := cc.MasterForKey(ctx, s.ready); err == nil {
			return n
		}
	}
	return s.rdb
}

// runDurable runs a script that accepts input, and with MinReplicas waits (WAIT, on the same
// connection) until that many replicas hold the write: after a failover to one of them, what was
// accepted is still there. Fewer replicas in time is a failure the caller answers with "try again".
func (s *Store) runDurable(ctx context.Context, sc *redis.Script, keys []string, args ...any) *redis.Cmd {
	if s.minReplicas <= 0 {
		return sc.Run(ctx, s.rdb, keys, args...)
	}
	var res *redis.Cmd
	var acked *redis.IntCmd
	exec := func() error {
		_, err := s.node(ctx).Pipelined(ctx, func(p redis.Pipeliner) error {
			res = sc.EvalSha(ctx, p, keys, args...)
			acked = redis.NewIntCmd(ctx, "WAIT", s.minReplicas, s.replicaTimeout.Milliseconds())
			return p.Process(ctx, acked)
		})
		return err
	}
	err := exec()
	if err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		// The script ran nowhere: load it and run it once more.
		if err = sc.Load(ctx, s.node(ctx)).Err(); err == nil {
			err = exec()
		}
	}
	if err == nil && acked.Val() < int64(s.minReplicas) {
		err = fmt.Errorf("%d of %d replicas confirmed the write within %v: %w", acked.Val(), s.minReplicas,
			s.replicaTimeout, errTooFewReplicas)
	}
	if err != nil && res.Err() == nil {
		res.SetErr(err)
	}
	return res
}

var errTooFewReplicas = errors.New("too few replicas")
