package redisq_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/queuetest"
	"github.com/dncsync/dncsync/internal/queue/redisq"
	"github.com/dncsync/dncsync/internal/redistest"
)

// Layout fixtures: testdata/layout-N.keys.json holds every key of a store written by the release
// whose layout was N (queuetest.WriteFixture), dumped key by key so that any Redis version loads
// it, and layout-N.json what that release read back from it (queuetest.Observe). Every later
// release must load it into a fresh server, open it, and read the same.
//
// layout-1: written by commit 592b52e (a hash field per item field, 14 script arguments per event);
// layout-2: the entry's event as one value (queue.EventCodec), written by the release that made it.
// layout-3: event ids in their numbers' states (lua/ids.lua), written by the release that made it.
//
// To write the fixture of the current layout: go test ./internal/queue/redisq -run TestWriteLayoutFixture -write-fixture=N
var writeFixture = flag.String("write-fixture", "", "write testdata/layout-N.keys.json and .json with this code")

const fixtureNS = "fx"

func TestWriteLayoutFixture(t *testing.T) {
	if *writeFixture == "" {
		t.Skip("-write-fixture not set")
	}
	srv := redistest.Start(t)
	var now time.Time
	s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: fixtureNS, Destinations: queuetest.FixtureDestinations,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	queuetest.WriteFixture(t, s, &now)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	keys := dumpKeys(t, rdb)
	out := filepath.Join("testdata", "layout-"+*writeFixture)
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out+".keys.json", keys, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(out+".json", observeLoaded(t, keys, now), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLayoutFixtures(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "layout-*.keys.json"))
	if len(files) == 0 {
		t.Fatal("no layout fixtures in testdata")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			keys, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(strings.TrimSuffix(f, ".keys.json") + ".json")
			if err != nil {
				t.Fatal(err)
			}
			got := observeLoaded(t, keys, queuetest.FixtureStart.Add(5*time.Minute))
			diff, err := queuetest.SameObservation(want, got)
			if err != nil {
				t.Fatal(err)
			}
			if diff != "" {
				t.Errorf("the store read from %s differs from what its release read:\n%s", f, diff)
			}
		})
	}
}

// observeLoaded loads keys into a fresh server, opens the store with its clock at now and
// observes it.
func observeLoaded(t *testing.T, keys []byte, now time.Time) []byte {
	t.Helper()
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	loadKeys(t, rdb, keys)
	s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: fixtureNS, Destinations: queuetest.FixtureDestinations,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The service upgrades the layout at its start (RecordDestinations).
	if err := s.RecordDestinations(context.Background()); err != nil {
		t.Fatal(err)
	}
	out := queuetest.Observe(t, s, &now)
	// Every entry is in the one value now, and the next start need not look.
	ctx := context.Background()
	if v := rdb.Get(ctx, "{"+fixtureNS+"}:layout").Val(); v != "3" {
		t.Errorf("layout after the upgrade: %q, want 3", v)
	}
	if n, err := s.Upgrade(ctx); n != 0 || err != nil {
		t.Errorf("a second upgrade: %d, %v", n, err)
	}
	for _, pattern := range []string{"{" + fixtureNS + "}:item:*", "{" + fixtureNS + "}:*:item:*"} {
		keys, err := rdb.Keys(ctx, pattern).Result()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range keys {
			if rdb.HExists(ctx, k, "raw").Val() || !rdb.HExists(ctx, k, "e").Val() {
				t.Errorf("entry %s is not in the one value after the upgrade: %v", k, rdb.HGetAll(ctx, k).Val())
			}
		}
	}
	return out
}

// dumpedKey is one key: its type and contents. Values that are not UTF-8 are "base64:" and their
// base64 (fixtureText).
type dumpedKey struct {
	Key    string       `json:"key"`
	Type   string       `json:"type"`
	TTL    bool         `json:"ttl,omitempty"` // it had one (event ids): loaded with a week's
	String string       `json:"string,omitempty"`
	Hash   [][2]string  `json:"hash,omitempty"`
	ZSet   []zmember    `json:"zset,omitempty"`
	List   []string     `json:"list,omitempty"`
	Stream []streamItem `json:"stream,omitempty"`
}

type zmember struct {
	Member string  `json:"m"`
	Score  float64 `json:"s"`
}

type streamItem struct {
	ID     string      `json:"id"`
	Fields [][2]string `json:"f"`
}

func text(s string) string {
	if utf8.ValidString(s) && !strings.HasPrefix(s, "base64:") {
		return s
	}
	return "base64:" + base64.StdEncoding.EncodeToString([]byte(s))
}

func untext(t *testing.T, s string) string {
	b, ok := strings.CutPrefix(s, "base64:")
	if !ok {
		return s
	}
	v, err := base64.StdEncoding.DecodeString(b)
	if err != nil {
		t.Fatal(err)
	}
	return string(v)
}

func dumpKeys(t *testing.T, rdb *redis.Client) []byte {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "{"+fixtureNS+"}:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(keys)
	var out []dumpedKey
	for _, k := range keys {
		typ := rdb.Type(ctx, k).Val()
		d := dumpedKey{Key: text(k), Type: typ, TTL: rdb.PTTL(ctx, k).Val() > 0}
		switch typ {
		case "string":
			d.String = text(rdb.Get(ctx, k).Val())
		case "hash":
			h := rdb.HGetAll(ctx, k).Val()
			for _, f := range slices.Sorted(mapKeys(h)) {
				d.Hash = append(d.Hash, [2]string{text(f), text(h[f])})
			}
		case "zset":
			for _, z := range rdb.ZRangeWithScores(ctx, k, 0, -1).Val() {
				d.ZSet = append(d.ZSet, zmember{text(z.Member.(string)), z.Score})
			}
		case "list":
			for _, v := range rdb.LRange(ctx, k, 0, -1).Val() {
				d.List = append(d.List, text(v))
			}
		case "stream":
			for _, m := range rdb.XRange(ctx, k, "-", "+").Val() {
				it := streamItem{ID: m.ID}
				// go-redis reads stream fields into a map: keep them in a fixed order.
				for _, f := range slices.Sorted(mapKeys(m.Values)) {
					it.Fields = append(it.Fields, [2]string{text(f), text(m.Values[f].(string))})
				}
				d.Stream = append(d.Stream, it)
			}
		default:
			t.Fatalf("key %s of type %s: the dump does not know it", k, typ)
		}
		out = append(out, d)
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// startLayout starts a Redis holding testdata/layout-<n>.keys.json, and a client of it.
func startLayout(t *testing.T, n string) (*redistest.Server, *redis.Client) {
	t.Helper()
	keys, err := os.ReadFile(filepath.Join("testdata", "layout-"+n+".keys.json"))
	if err != nil {
		t.Fatal(err)
	}
	srv := redistest.Start(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	t.Cleanup(func() { rdb.Close() })
	loadKeys(t, rdb, keys)
	return srv, rdb
}

func loadKeys(t *testing.T, rdb *redis.Client, b []byte) {
	t.Helper()
	ctx := context.Background()
	var keys []dumpedKey
	if err := json.Unmarshal(b, &keys); err != nil {
		t.Fatal(err)
	}
	for _, d := range keys {
		k := untext(t, d.Key)
		var err error
		switch d.Type {
		case "string":
			err = rdb.Set(ctx, k, untext(t, d.String), 0).Err()
		case "hash":
			args := []any{}
			for _, f := range d.Hash {
				args = append(args, untext(t, f[0]), untext(t, f[1]))
			}
			err = rdb.HSet(ctx, k, args...).Err()
		case "zset":
			for _, z := range d.ZSet {
				if err = rdb.ZAdd(ctx, k, redis.Z{Member: untext(t, z.Member), Score: z.Score}).Err(); err != nil {
					break
				}
			}
		case "list":
			for _, v := range d.List {
				if err = rdb.RPush(ctx, k, untext(t, v)).Err(); err != nil {
					break
				}
			}
		case "stream":
			for _, m := range d.Stream {
				var vals []any
				for _, f := range m.Fields {
					vals = append(vals, untext(t, f[0]), untext(t, f[1]))
				}
				if err = rdb.XAdd(ctx, &redis.XAddArgs{Stream: k, ID: m.ID, Values: vals}).Err(); err != nil {
					break
				}
			}
		}
		if err == nil && d.TTL {
			err = rdb.PExpire(ctx, k, 7*24*time.Hour).Err()
		}
		if err != nil {
			t.Fatalf("load %s: %v", k, err)
		}
	}
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestOldEntryMergedBeforeUpgrade: an event merged into an entry of layout 1 (a replica that has
// not upgraded yet) is read right: an event that wins makes it one value; one that loses leaves
// the old fields, which are still read.
func TestOldEntryMergedBeforeUpgrade(t *testing.T) {
	srv, rdb := startLayout(t, "1")
	now := queuetest.FixtureStart.Add(time.Hour)
	s, err := redisq.Open(srv.URL(), redisq.Options{Namespace: fixtureNS, Destinations: queuetest.FixtureDestinations,
		Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	const winner, loser = "+15550000005", "+15550000002"
	for _, n := range []string{winner, loser} {
		if !rdb.HExists(ctx, "{"+fixtureNS+"}:item:"+n, "raw").Val() {
			t.Fatalf("precondition: %s is not an entry of layout 1", n)
		}
	}
	at := queuetest.FixtureStart
	_, err = s.Enqueue(ctx, []queue.Event{
		{Number: winner, Raw: "new raw", Action: queue.Add, Source: "new source", OccurredAt: at, ReceivedAt: now},
		{Number: loser, Raw: "old news", Action: queue.Add, Source: "late", OccurredAt: at.Add(-48 * time.Hour), ReceivedAt: now},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := rdb.HGetAll(ctx, "{"+fixtureNS+"}:item:"+winner).Val()
	if _, old := h["raw"]; old || h["e"] == "" {
		t.Errorf("the entry a newer event won is not one value: %v", h)
	}
	now = now.Add(48 * time.Hour) // the retried entry is due
	items, err := s.Claim(ctx, 10, time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]queue.Item{}
	for _, it := range items {
		got[it.Number] = it
	}
	if it := got[winner]; it.Raw != "new raw" || it.Source != "new source" || it.Events != 2 {
		t.Errorf("winner read as %+v", it)
	}
	if it := got[loser]; it.Raw != "5550000002" || it.Source != "sms" || it.Events != 2 || it.Attempts != 1 {
		t.Errorf("loser read as %+v", it)
	}
}
