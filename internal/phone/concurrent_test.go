package phone

import (
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
