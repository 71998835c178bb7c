package redistest

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/poll"
	"github.com/redis/go-redis/v9"
)

// Cluster is a Redis Cluster of three masters (no replicas), each a redis-server a test owns,
// with the 16384 slots split between them.
type Cluster struct {
	Nodes []*Server
}

// StartCluster starts the three nodes, assigns the slots, joins them and waits until the cluster
// reports ok on every node.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	c := &Cluster{}
	for range 3 {
		n := startWith(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000")
		c.Nodes = append(c.Nodes, n)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	per := 16384 / len(c.Nodes)
	for i, n := range c.Nodes {
		rdb := redis.NewClient(&redis.Options{Addr: n.Addr})
		lo, hi := i*per, (i+1)*per-1
		if i == len(c.Nodes)-1 {
			hi = 16383
		}
		err := rdb.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err()
		if err == nil && i > 0 {
			host, port, _ := net.SplitHostPort(c.Nodes[0].Addr)
			err = rdb.Do(ctx, "CLUSTER", "MEET", host, port).Err()
		}
		rdb.Close()
		if err != nil {
			t.Fatalf("cluster node %s: %v", n.Addr, err)
		}
	}
	for _, n := range c.Nodes {
		rdb := redis.NewClient(&redis.Options{Addr: n.Addr})
		var info string
		var err error
		if !poll.Until(ctx, func() bool {
			info, err = rdb.ClusterInfo(ctx).Result()
			return err == nil && strings.Contains(info, "cluster_state:ok") && strings.Contains(info, "cluster_known_nodes:"+strconv.Itoa(len(c.Nodes)))
		}) {
			t.Fatalf("cluster node %s not ok in 30s: %q %v; log:\n%s", n.Addr, info, err, n.Log())
		}
		rdb.Close()
	}
	return c
}

// URL is the cluster's REDIS_URL: a seed node, the others as addr parameters.
func (c *Cluster) URL() string {
	u := "redis://" + c.Nodes[0].Addr + "?cluster=true"
	for _, n := range c.Nodes[1:] {
		u += "&addr=" + n.Addr
	}
	return u
}

// NodeFor is the node that serves key's slot.
func (c *Cluster) NodeFor(t testing.TB, key string) *Server {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: c.Nodes[0].Addr})
	defer rdb.Close()
	slot, err := rdb.ClusterKeySlot(context.Background(), key).Result()
	if err != nil {
		t.Fatal(err)
	}
	per := int64(16384 / len(c.Nodes))
	i := min(int(slot/per), len(c.Nodes)-1)
	return c.Nodes[i]
}

func (c *Cluster) String() string { return fmt.Sprintf("cluster %s", c.URL()) }
