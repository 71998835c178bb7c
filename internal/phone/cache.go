package phone

import (
	"hash/maphash"
	"sync"
)

// Senders repeat themselves: a CRM replays its backlog, an SMS campaign draws the same STOPs, a
// sender retries after a timeout. Parse keeps its recent answers, good and bad, for inputs of up to
// cacheKeyMax bytes: a repeat costs a map lookup instead of a full parse (25-45 µs). The cache is
// bounded: each shard keeps two generations of at most cacheGen entries and drops the older when
// the newer fills, an approximate LRU with O(1) work and no per-entry bookkeeping.
const (
	cacheShards = 16
	cacheGen    = 2048 // entries per generation per shard: at most 64K answers, about 7 MB
	cacheKeyMax = 64
)

type answer struct {
	n      Number
	reason Reason
	err    error
}

type cacheShard struct {
	mu        sync.Mutex
	cur, prev map[string]answer
}

var (
	cacheSeed = maphash.MakeSeed()
	cache     [cacheShards]cacheShard
)

func cacheKey(raw, region string) (string, *cacheShard, bool) {
	if len(raw) > cacheKeyMax {
		return "", nil, false
	}
	k := region + "\x00" + raw
	return k, &cache[maphash.String(cacheSeed, k)%cacheShards], true
}

func (s *cacheShard) get(k string) (answer, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a, ok := s.cur[k]; ok {
		return a, true
	}
	a, ok := s.prev[k]
	if ok {
		s.putLocked(k, a) // used again: keep it through the next rotation
	}
	return a, ok
}

func (s *cacheShard) put(k string, a answer) {
	s.mu.Lock()
	s.putLocked(k, a)
	s.mu.Unlock()
}

func (s *cacheShard) putLocked(k string, a answer) {
	if s.cur == nil || len(s.cur) >= cacheGen {
		s.prev, s.cur = s.cur, make(map[string]answer, cacheGen)
	}
	s.cur[k] = a
}
