package ops

import (
	"context"
	"strings"

	"github.com/dncsync/dncsync/internal/queue"
)

// DeadLetters is the JSON of GET /v1/dead-letters and `dncsync dlq list --json`.
type DeadLetters struct {
	DeadLetters []queue.DeadLetter `json:"deadLetters"`
}

// DeadLetters lists up to limit of destination dest's dead letters, oldest dead first.
func (o *Ops) DeadLetters(ctx context.Context, dest string, limit int) (DeadLetters, error) {
	l, err := o.Lane(dest)
	if err != nil {
		return DeadLetters{}, err
	}
	dl, err := l.Store.DeadLetters(ctx, limit)
	if dl == nil {
		dl = []queue.DeadLetter{}
	}
	return DeadLetters{DeadLetters: dl}, err
}

// NumbersAnswer says which numbers an action was done to and which were not dead letters.
type NumbersAnswer struct {
	Requeued []string `json:"requeued,omitempty"`
	Dropped  []string `json:"dropped,omitempty"`
	NotDead  []string `json:"notDead"`
}

// RetryDead re-queues the named dead letters of destination dest (numbers in any format), due
// now with fresh attempts.
func (o *Ops) RetryDead(ctx context.Context, dest string, numbers []string) (NumbersAnswer, error) {
	l, nums, err := o.laneNumbers(dest, numbers)
	if err != nil {
		return NumbersAnswer{}, err
	}
	done, err := l.Store.RedriveNumbers(ctx, nums)
	return NumbersAnswer{Requeued: orEmpty(done), NotDead: notIn(nums, done)}, err
}

// DropDead removes the named dead letters of destination dest without pushing them; reason is
// kept in the audit trail and must be given.
func (o *Ops) DropDead(ctx context.Context, dest string, numbers []string, reason string) (NumbersAnswer, error) {
	if strings.TrimSpace(reason) == "" {
		return NumbersAnswer{}, inputError("reason is required: it is kept in the audit trail")
	}
	l, nums, err := o.laneNumbers(dest, numbers)
	if err != nil {
		return NumbersAnswer{}, err
	}
	done, err := l.Store.DropDead(ctx, nums, reason)
	return NumbersAnswer{Dropped: orEmpty(done), NotDead: notIn(nums, done)}, err
}

func (o *Ops) laneNumbers(dest string, numbers []string) (Lane, []string, error) {
	nums, err := o.numbers(numbers)
	if err != nil {
		return Lane{}, nil, err
	}
	l, err := o.Lane(dest)
	return l, nums, err
}

// RequeueChunk is how many dead letters one store write re-queues.
const RequeueChunk = 1000

// RequeueDead sends up to max of destination dest's dead letters back to the queue with fresh
// attempts (max 0: all of them, RequeueChunk at a time); it returns how many.
func (o *Ops) RequeueDead(ctx context.Context, dest string, max int) (int, error) {
	l, err := o.Lane(dest)
	if err != nil {
		return 0, err
	}
	if max > 0 {
		return l.Store.Redrive(ctx, max)
	}
	total := 0
	for {
		n, err := l.Store.Redrive(ctx, RequeueChunk)
		total += n
		if err != nil || n < RequeueChunk {
			return total, err
		}
	}
}

func notIn(all, done []string) []string {
	seen := map[string]bool{}
	for _, d := range done {
		seen[d] = true
	}
	out := []string{}
	for _, n := range all {
		if !seen[n] {
			out = append(out, n)
		}
	}
	return out
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
