package queue

import (
	"context"
	"log/slog"
	"time"
)

// DefaultAuditRetention is how long the audit trail is kept unless configured: five years (47 CFR
// 64.1200(d)(6), the FTC's TSR) and 30 days, so that a record is still there on the last day an
// auditor may ask for it, whatever the month lengths and however late the monthly trim runs.
const DefaultAuditRetention = (5*365 + 30) * 24 * time.Hour

// Retention is how long evidence is kept: the audit trail, and rejected input (shorter: anyone can
// send it).
type Retention struct {
	Audit      time.Duration
	Rejections time.Duration
}

// Keeper trims what KeepAudit trims: the audit trail and the rejections.
type Keeper interface {
	Evidence
	RejectionKeeper
}

// KeepAudit trims the audit trail and the rejections to their retention now and then every
// interval until ctx is done. Trimming never removes a number's newest record (Evidence.TrimAudit);
// the rejections' trim also sheds those past the cap (RejectionKeeper.TrimRejections).
func KeepAudit(ctx context.Context, ev Keeper, keep Retention, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := ev.TrimAudit(ctx, time.Now().Add(-keep.Audit))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("trimming the audit trail failed; will try again", "err", err)
		case n > 0:
			log.Info("trimmed audit records past retention", "removed", n, "retention", keep.Audit)
		}
		n, err = ev.TrimRejections(ctx, time.Now().Add(-keep.Rejections))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("trimming rejections failed; will try again", "err", err)
		case n > 0:
			log.Info("trimmed rejections past retention or the cap", "removed", n, "retention", keep.Rejections)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
