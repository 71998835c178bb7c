package ops

import (
	"context"
	"errors"
	"slices"
	"sync"

	"github.com/dncsync/dncsync/internal/queue"
)

// historiesReader is a store that reads the whole trails of many numbers in one go (boltq: one
// read transaction; redisq: two pipelines; pgq: one transaction), which a dialer's batch of 10,000
// needs: a lookup per number, page by page, costs a round trip (or a transaction) each.
type historiesReader interface {
	// Histories returns, for each of numbers the store knows, its state and every record of its
	// trail, oldest first (Older empty); a number never seen is absent.
	Histories(ctx context.Context, numbers []string) (map[string]queue.History, error)
}

// Every store (queue.Evidence) reads a batch so, and the service's and the commands' wrappers of
// it embed queue.Store: the fallback below serves only stores that wrap less.
var _ historiesReader = queue.Store(nil)

// histories reads the whole trail and state of each of numbers (E.164): in one call when the store
// reads many at once, else by Lookup, page by page, a few numbers at a time.
func (o *Ops) histories(ctx context.Context, numbers []string) (map[string]queue.History, error) {
	if len(numbers) == 0 {
		return map[string]queue.History{}, nil
	}
	if hr, ok := o.Store.(historiesReader); ok {
		return hr.Histories(ctx, numbers)
	}
	out := make(map[string]queue.History, len(numbers))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		next  = make(chan string)
	)
	// A few lookups at once: each is a store read, and a batch is a dialer waiting.
	for range min(8, len(numbers)) {
		wg.Go(func() {
			for n := range next {
				h, found, err := o.history(ctx, n)
				mu.Lock()
				switch {
				case err != nil:
					first = cmpErr(first, err)
					cancel()
				case found:
					out[n] = h
				}
				mu.Unlock()
			}
		})
	}
feed:
	for _, n := range numbers {
		select {
		case next <- n:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if first != nil {
		return nil, first
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}

func cmpErr(first, err error) error {
	if first == nil {
		return err
	}
	return first
}

// history reads every page of a number's trail by Lookup (an old opt-out must not fall off a
// page), oldest first, and its state.
func (o *Ops) history(ctx context.Context, number string) (queue.History, bool, error) {
	var out queue.History
	page := queue.Page{Limit: queue.MaxPageLimit}
	for {
		h, found, err := o.Store.Lookup(ctx, number, page)
		if err != nil || !found {
			return queue.History{}, false, err
		}
		if page.Before == "" {
			out.State = h.State // the state as of the first read, as a batched read gives it
		}
		out.Records = append(slices.Clip(h.Records), out.Records...) // each page is older than the last
		if h.Older == "" {
			return out, true, nil
		}
		if page.Before == h.Older {
			return queue.History{}, false, errors.New("the trail's cursor does not move")
		}
		page.Before = h.Older
	}
}
