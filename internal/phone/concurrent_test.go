package phone

import (
	"errors"
	"strconv"
	"sync"
	"testing"
)

// TestParseConcurrent runs Parse from many goroutines; run with -race. The
// library compiles regexps lazily into a shared map (behind a lock), so
// this file's name sorts first: the test then runs on a cold cache and the
// first calls race each other, as they do after a deploy.
func TestParseConcurrent(t *testing.T) {
	const goroutines = 16
	var wg sync.WaitGroup
	errs := make(chan string, goroutines)
	for g := range goroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range len(okCases) {
				tc := okCases[(g+i)%len(okCases)]
				got, err := Parse(tc.raw, tc.region)
				if err != nil || got != tc.want {
					errs <- tc.raw
					return
				}
				bc := badCases[(g+i)%len(badCases)]
				if _, err := Parse(bc.raw, bc.region); err == nil {
					errs <- bc.raw
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for raw := range errs {
		t.Errorf("concurrent Parse(%q) gave a different result", raw)
	}
}

// The cache answers a repeat exactly as a first parse does, good or bad, and a rejection's *Error
// is the caller's own.
func TestCacheAnswersAsParse(t *testing.T) {
	for _, tc := range okCases {
		first, err1 := Parse(tc.raw, tc.region)
		again, err2 := Parse(tc.raw, tc.region)
		if first != again || (err1 == nil) != (err2 == nil) {
			t.Fatalf("Parse(%q) = %+v, %v; again %+v, %v", tc.raw, first, err1, again, err2)
		}
	}
	for _, tc := range badCases {
		_, err1 := Parse(tc.raw, tc.region)
		_, err2 := Parse(tc.raw, tc.region)
		var a, b *Error
		if !errors.As(err1, &a) || !errors.As(err2, &b) || a == b || a.Reason != b.Reason || a.Raw != tc.raw || b.Raw != tc.raw {
			t.Fatalf("Parse(%q) twice: %v, %v", tc.raw, err1, err2)
		}
	}
	// The bound: far more distinct inputs than the cache holds leave it at its size.
	for i := range cacheShards * cacheGen * 3 {
		Parse(strconv.Itoa(2125550000+i%10000)+strconv.Itoa(i), "US")
	}
	total := 0
	for i := range cache {
		cache[i].mu.Lock()
		total += len(cache[i].cur) + len(cache[i].prev)
		cache[i].mu.Unlock()
	}
	if total > 2*cacheShards*cacheGen {
		t.Fatalf("cache holds %d answers, more than its bound", total)
	}
}
