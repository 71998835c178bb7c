package queue

import (
	"context"
	"log/slog"
	"time"
)

// KeepAudit trims the audit trail to the retention period now and then every interval until ctx
// is done. Trimming never removes a number's newest record (Evidence.TrimAudit).
func KeepAudit(ctx context.Context, ev Evidence, retention, interval time.Duration, log *slog.Logger) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := ev.TrimAudit(ctx, time.Now().Add(-retention))
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("trimming the audit trail failed; will try again", "err", err)
		case n > 0:
			log.Info("trimmed audit records past retention", "removed", n, "retention", retention)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
