package pgq_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/pgq"
)

// number_destinations has no unique key (schema 8): a (number, destination) has one row because
// every writer locks the number's row first and inserts only when it read none. Writers that all
// make the first genesys row of the same known numbers at once (restores of both destinations'
// states, in opposite number orders) leave one row each.
func TestDestinationRowsUniqueUnderConcurrentWrites(t *testing.T) {
	t.Parallel()
	url := migrated(t)
	s := open(t, url, pgq.Options{Destinations: []string{"cxone", "genesys"}})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	db := conn(t, url)
	const rounds, perRound, restorers = 8, 25, 4
	for round := range rounds {
		now := time.Now().Truncate(time.Millisecond)
		var known, states []queue.NumberState
		for i := range perRound {
			n := fmt.Sprintf("+1415555%02d%02d", round, i)
			ds := queue.DestState{State: queue.StateSynced, ConfirmedAction: queue.Add, ConfirmedOccur: now, ConfirmedAt: now}
			states = append(states, queue.NumberState{Number: n, State: queue.StateSynced, FirstRequestedAt: now,
				LastEventAt: now, Destinations: map[string]queue.DestState{"cxone": ds, "genesys": ds}})
			known = append(known, queue.NumberState{Number: n, State: queue.StateSynced, FirstRequestedAt: now,
				LastEventAt: now, Destinations: map[string]queue.DestState{"cxone": ds}})
		}
		// The numbers known (their rows of numbers and cxone's), none with a row for genesys, nor an
		// entry in the queue (whose row locks would order the writers by themselves).
		if err := s.RestoreStates(ctx, known); err != nil {
			t.Fatal(err)
		}
		var nd int
		if err := db.QueryRow(ctx, `SELECT count(*) FROM number_destinations WHERE number LIKE $1`,
			fmt.Sprintf("+1415555%02d%%", round)).Scan(&nd); err != nil || nd != perRound {
			t.Fatalf("round %d: %d destination rows before the writers (%v), want %d", round, nd, err, perRound)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		errs := make(chan error, restorers)
		for r := range restorers {
			wg.Go(func() {
				mine := states
				if r%2 == 1 { // the other order: the store must sort, or writers deadlock
					mine = make([]queue.NumberState, len(states))
					for j := range states {
						mine[j] = states[len(states)-1-j]
					}
				}
				<-start
				errs <- s.RestoreStates(ctx, mine)
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
	}
	var rows, dup int
	if err := db.QueryRow(ctx, `SELECT (SELECT count(*) FROM number_destinations), (SELECT count(*) FROM
		(SELECT 1 FROM number_destinations GROUP BY number, destination HAVING count(*) > 1) d)`).Scan(&rows, &dup); err != nil {
		t.Fatal(err)
	}
	if rows != 2*rounds*perRound || dup != 0 {
		t.Fatalf("%d destination rows, %d (number, destination) with more than one; want %d, none", rows, dup,
			2*rounds*perRound)
	}
}
