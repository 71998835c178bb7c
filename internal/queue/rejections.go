package queue

import (
	"context"
	"time"
)

// Rejected input is evidence, but anyone who can reach intake can send it without end, and it must
// never crowd out an opt-out. So it is held to limits of its own, the same in every store:
//
//   - compact: a rejection keeps the first MaxBodyLen bytes of what arrived with the SHA-256 and
//     size of the whole (Rejection.Bound);
//   - once: a rejection with the Identity of one kept is a duplicate and is not written again;
//   - retention: rejections older than their own retention go (Evidence.TrimRejections), each with
//     its audit record, whatever the audit trail's retention;
//   - a cap: past RejectionLimits.Cap the oldest are shed, and counted;
//   - headroom: while the store is past RejectionLimits.MaxFill of its limit (Redis: used_memory of
//     maxmemory; the embedded store: the filesystem holding its file), rejections are not written,
//     only counted, so that the room left is the opt-outs'.
//
// Words that ask for nothing (AuditIgnored) are what a person said, and stay outside these limits.

// The defaults of the limits, defined once here for the stores and the settings.
const (
	DefaultRejectionRetention = 90 * 24 * time.Hour
	DefaultRejectionCap       = 1_000_000
	DefaultRejectionMaxFill   = 0.9
)

// RejectionLimits bound what rejected input may take of a store. The zero value is the defaults.
type RejectionLimits struct {
	// Cap is the most rejections kept; past it the oldest are shed. 0: DefaultRejectionCap.
	Cap int
	// MaxFill is the share of the store's limit past which rejections are not written; 1: up to
	// the limit itself. 0: DefaultRejectionMaxFill.
	MaxFill float64
}

// OrDefaults is l with every unset limit at its default.
func (l RejectionLimits) OrDefaults() RejectionLimits {
	if l.Cap <= 0 {
		l.Cap = DefaultRejectionCap
	}
	if l.MaxFill <= 0 {
		l.MaxFill = DefaultRejectionMaxFill
	}
	return l
}

// RejectionStats is what a store holds of rejected input and what it turned away. The counters
// only grow (from when the store was created, or upgraded to keep them).
type RejectionStats struct {
	Kept       int64 // rejections held now
	Cap        int64 // RejectionLimits.Cap
	Recorded   int64 // rejections written
	Duplicates int64 // the same rejection again (Identity): not written
	Shed       int64 // the oldest, dropped past the cap
	Skipped    int64 // not written while the store was past MaxFill of its limit
	// Fill is the share of its limit the store uses now; -1 when it has no limit known (Redis
	// without maxmemory, a filesystem that does not say).
	Fill float64
}

// RejectionKeeper is what the stores' rejection bounds add to Evidence and Operations.
type RejectionKeeper interface {
	// TrimRejections removes the rejections received before cutoff, and the oldest past the cap,
	// each whole: its entry, its audit record and, when nothing else is known of its key, its key's
	// state. It returns how many went.
	TrimRejections(ctx context.Context, cutoff time.Time) (removed int, err error)
	// RejectionStats reads the counts.
	RejectionStats(ctx context.Context) (RejectionStats, error)
}
