package destination

import (
	"errors"
	"sync"
)

// Attribution decides whose fault a refusal (Refused) is: the number's content, or the request's.
// No destination's documented answers name a number's content unambiguously: the refusals the
// public sources show quote the number, but would read the same for a format or an API version
// the destination stopped accepting, which would then dead-letter the whole queue one number at a
// time and leave every one of those people callable. So a refusal is attributed to the number only
// when the destination has accepted a different number, in a different batch, for the same
// operation, since it last refused this one: requests of that shape work, and what differs is the
// number. Until then it is the deployment's (Config): the number waits without spending attempts
// while an operator is told. "Since" counts from the number's first refusal still remembered, so
// that a number that keeps travelling in batches with numbers that get through is not held for
// ever: the batch that refused it does not count, any later one does.
//
// The memory is this process's: a restart, or another replica, starts from "not attributable",
// which only delays a dead letter by one more wait. Safe for concurrent use.
type Attribution struct {
	mu      sync.Mutex
	batches uint64
	ops     map[string]*attributionOp
}

type attributionOp struct {
	okBatch  uint64            // the latest batch that confirmed a number; 0: none yet
	okNumber string            // a number it confirmed
	okMany   bool              // it confirmed more than one
	refused  map[string]uint64 // number -> the batch of its first refusal held as Config
}

// maxRefused bounds the numbers remembered per operation. Forgetting one only makes its next
// refusal a first one again (Config), the safe side.
const maxRefused = 100_000

// Batch returns a new batch id, in the order batches are settled.
func (a *Attribution) Batch() uint64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.batches++
	return a.batches
}

func (a *Attribution) op(op string) *attributionOp {
	if a.ops == nil {
		a.ops = map[string]*attributionOp{}
	}
	s := a.ops[op]
	if s == nil {
		s = &attributionOp{refused: map[string]uint64{}}
		a.ops[op] = s
	}
	return s
}

// Refusal decides a refusal of number in batch for op: Permanent when the destination accepted
// another number, in a batch other than this one, for op since it first refused this one, else
// Config.
func (a *Attribution) Refusal(batch uint64, op, number string) Kind {
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.op(op)
	first, seen := s.refused[number]
	if seen && s.okBatch > first && s.okBatch != batch && (s.okMany || s.okNumber != number) {
		delete(s.refused, number)
		return Permanent
	}
	if !seen {
		if len(s.refused) >= maxRefused {
			for n := range s.refused {
				delete(s.refused, n)
				break
			}
		}
		s.refused[number] = batch
	}
	return Config
}

// Accepted records that batch confirmed numbers for op.
func (a *Attribution) Accepted(batch uint64, op string, numbers []string) {
	if len(numbers) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	s := a.op(op)
	if batch >= s.okBatch {
		s.okBatch, s.okNumber, s.okMany = batch, numbers[0], len(numbers) > 1
	}
	for _, n := range numbers {
		delete(s.refused, n)
	}
}

// Attribute returns err with a Refused kind decided (Refusal) and said in its message; any other
// error as it is.
func (a *Attribution) Attribute(batch uint64, op, number string, err error) error {
	var e *Error
	if !errors.As(err, &e) || e.Kind != Refused {
		return err
	}
	c := *e
	c.Kind = a.Refusal(batch, op, number)
	if c.Kind == Permanent {
		c.Msg = "the number's own: the destination has accepted another number since it first refused this one: " + c.Msg
	} else {
		c.Msg = "held without spending an attempt: the destination refused the number without naming its content " +
			"as the cause and has accepted no other number since (if it refuses every number, check its contract: " +
			"API version, formats): " + c.Msg
	}
	return &c
}

// ProbeLimit is how many numbers a call may see refused alone, with no request accepted in
// between, before it stops isolating them: then every request is refused, which says more about
// the request than about the numbers, and halving the rest of a large batch down to single numbers
// would spend the rate limit for nothing.
const ProbeLimit = 3

// Probe counts, within one call, the numbers refused alone since a request was last accepted.
type Probe struct{ refused int }

// Accepted notes a request the destination accepted.
func (p *Probe) Accepted() { p.refused = 0 }

// Refused notes a number refused alone.
func (p *Probe) Refused() { p.refused++ }

// Exhausted reports whether the call should send no more of its batch.
func (p *Probe) Exhausted() bool { return p.refused >= ProbeLimit }

// Unsent is the failure of the numbers a call did not send once its Probe was exhausted: no fault
// of theirs, so Config (they wait without spending attempts).
func Unsent(dest, op string) *Error {
	return &Error{Kind: Config, Dest: dest, Op: op, Msg: "not sent: the destination refused every number tried alone " +
		"in this batch and accepted none, so the request is more likely at fault than the numbers"}
}
