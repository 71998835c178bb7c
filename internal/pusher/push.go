package pusher

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/queue"
)

// suspectAfter is the number of lost leases from which an entry is pushed alone: its pushers died
// while holding it more than once, so it may be what kills them. Pushed alone, a number that does
// takes no batch mates down with it, and they stop counting lost leases towards dead-lettering.
const suspectAfter = 2

// push sends one batch and settles every item. It reports whether the destination took any of it, which
// the caller uses to back off during an outage instead of spending every item's attempts.
// A suspect (suspectAfter) goes alone, after the rest; further suspects wait for later batches.
func (p *Pusher) push(ctx context.Context, batch []queue.Item) (healthy bool) {
	var clean, suspects []queue.Item
	for _, it := range batch {
		if it.LostLeases >= suspectAfter {
			suspects = append(suspects, it)
		} else {
			clean = append(clean, it)
		}
	}
	if len(suspects) == 0 {
		return p.pushBatch(ctx, batch)
	}
	for _, it := range suspects[1:] {
		if err := p.q.Snooze(context.WithoutCancel(ctx), it, 0, "held back: its pushers died while holding it, so it goes alone"); err != nil {
			p.log.Warn("releasing a suspect failed; its lease will expire and recovery retries", "err", err)
		}
	}
	p.log.Warn("pushing a number alone: pushers died while holding it", "number", phone.Mask(suspects[0].Number),
		"lost_leases", suspects[0].LostLeases)
	if len(clean) > 0 {
		healthy = p.pushBatch(ctx, clean)
	}
	return p.pushBatch(ctx, suspects[:1]) || healthy
}

// pushBatch sends one batch, adds and removes as one request each, and settles every item.
func (p *Pusher) pushBatch(ctx context.Context, batch []queue.Item) (healthy bool) {
	var adds, removes []queue.Item
	for _, it := range batch {
		if it.Action == queue.Remove {
			removes = append(removes, it)
		} else {
			adds = append(adds, it)
		}
	}
	errs := make([]error, 0, len(batch))
	items := make([]queue.Item, 0, len(batch))
	if len(adds) > 0 {
		cs := contacts(adds)
		rctx, mark := withRequestMark(ctx)
		errs = append(errs, p.c.Add(rctx, cs)...)
		p.requested(adds, mark)
		for i := range adds {
			adds[i].ExpiresAt = cs[i].ExpiresAt // what the destination was told: the store records it on Ack
		}
		items = append(items, adds...)
	}
	if len(removes) > 0 {
		rctx, mark := withRequestMark(ctx)
		errs = append(errs, p.c.Remove(rctx, contacts(removes))...)
		p.requested(removes, mark)
		for i := range removes {
			removes[i].ExpiresAt = time.Time{} // a removal carries no expiry
		}
		items = append(items, removes...)
	}
	return p.settle(context.WithoutCancel(ctx), items, errs, ctx.Err() != nil)
}

// requested records receipt to the request that carried items, when the pacer granted one.
func (p *Pusher) requested(items []queue.Item, mark *requestMark) {
	at := mark.when()
	if at.IsZero() {
		return
	}
	for _, it := range items {
		if !it.FirstReceivedAt.IsZero() {
			p.cfg.Metrics.Requested.Observe(max(at.Sub(it.FirstReceivedAt), 0).Seconds())
		}
	}
}

func contacts(items []queue.Item) []destination.Contact {
	out := make([]destination.Contact, len(items))
	for i, it := range items {
		out[i] = destination.Contact{Number: it.Number, Reason: it.Reason, Source: it.Source, ExpiresAt: it.ExpiresAt,
			OccurredAt: it.OccurredAt}
		if out[i].Reason == "" {
			out[i].Reason = "opt_out"
		}
		if out[i].Source == "" {
			out[i].Source = "dncsync"
		}
	}
	return out
}

// settle acks what the destination confirmed and decides the fate of the rest. cut is true when the push was
// cut short (its leases could not be held, or shutdown): those failures are not the items' fault;
// they spend no attempt and are due again at once.
func (p *Pusher) settle(ctx context.Context, items []queue.Item, errs []error, cut bool) bool {
	var ok []queue.Item
	now := time.Now()
	batch := p.attribute(items, errs)
	// The destination answering per record (even with failures) is up: only no answer at all is an outage. A
	// refusal held as the deployment's is no sign of health: refusing everything pauses too.
	anyOK := slices.ContainsFunc(errs, func(e error) bool {
		return e == nil || (destination.IsRecord(e) && destination.KindOf(e) != destination.Config)
	})
	// The destination answered something (a 429, a refusal of a number): it is up, the pause is not an outage's.
	healthy := anyOK || slices.ContainsFunc(errs, func(e error) bool {
		k := destination.KindOf(e)
		return e != nil && (k == destination.RateLimited || k == destination.Permanent)
	})
	// A second batch in a row that the destination took nothing of: an outage, not these items' fault. The
	// count moves before any item is settled, so that a batch in flight beside this one, whose
	// items may be settled meanwhile, sees it.
	failing := 0
	if healthy {
		p.failing.Store(0)
	} else {
		failing = int(p.failing.Add(1) - 1)
	}
	outage := !anyOK && failing > 0
	for i, it := range items {
		err := errs[i]
		if err == nil {
			ok = append(ok, it)
			continue
		}
		kind := destination.KindOf(err)
		var serr error
		switch {
		case kind == destination.RateLimited: // the pacer holds everything until the pause ends
			serr = p.q.Snooze(ctx, it, max(retryAfter(err), p.pacer.Delay()), err.Error())
			p.cfg.Metrics.Items.WithLabelValues("snoozed").Inc()
		case kind == destination.Transient && outage:
			// The wait grows with the outage, so a lone item that fails while nothing else is
			// pushed slows to the back-off cap instead of retrying at the first step forever.
			serr = p.q.Snooze(ctx, it, p.cfg.Backoff(it.Attempts+failing), err.Error())
			p.cfg.Metrics.Items.WithLabelValues("snoozed").Inc()
		case cut:
			serr = p.q.Snooze(ctx, it, 0, err.Error())
			p.cfg.Metrics.Items.WithLabelValues("snoozed").Inc()
		case kind == destination.Config:
			serr = p.q.Snooze(ctx, it, p.cfg.ConfigWait, err.Error())
			p.cfg.Metrics.Items.WithLabelValues("snoozed").Inc()
		case kind == destination.Permanent || it.Attempts+1 >= p.cfg.MaxAttempts:
			p.log.Error("dead-lettered", "number", phone.Mask(it.Number), "attempts", it.Attempts+1, "err", err)
			serr = p.q.DeadLetter(ctx, it, err.Error())
			p.cfg.Metrics.Items.WithLabelValues("dead").Inc()
		default:
			serr = p.q.Retry(ctx, it, p.cfg.Backoff(it.Attempts+1), err.Error())
			p.cfg.Metrics.Items.WithLabelValues("retry").Inc()
		}
		if serr != nil {
			p.log.Warn("settling a failed item failed; its lease will expire and recovery retries", "err", serr)
		}
	}
	p.accepted(batch, ok)
	if len(ok) > 0 {
		if err := p.q.Ack(ctx, ok); err != nil {
			// The destination has them; the lease expires and a re-push meets "already listed": it converges.
			p.log.Warn("ack failed after the destination confirmed; items will be pushed again", "count", len(ok), "err", err)
			return healthy
		}
		for _, it := range ok {
			if !it.FirstReceivedAt.IsZero() {
				took := max(now.Sub(it.FirstReceivedAt), 0).Seconds()
				p.cfg.Metrics.Latency.Observe(took)
				p.cfg.Metrics.Confirmed.Observe(took)
			}
			if p.cfg.OnSynced != nil {
				p.cfg.OnSynced(it, now)
			}
		}
		p.cfg.Metrics.Items.WithLabelValues("synced").Add(float64(len(ok)))
	}
	if n := len(items) - len(ok); n > 0 {
		p.log.Info("batch pushed with failures", "items", len(items), "failed", n, "first_err", firstErr(errs))
	} else {
		p.log.Debug("batch pushed", "items", len(items))
	}
	return healthy
}

func retryAfter(err error) time.Duration {
	var e *destination.Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

func firstErr(errs []error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
