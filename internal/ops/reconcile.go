package ops

import (
	"context"
	"errors"
	"fmt"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/reconcile"
)

// ErrNoReconcile is Reconcile's answer for a destination whose list cannot be read.
var ErrNoReconcile = errors.New("reconcile not available")

// Reconcile compares destination dest's list with what dncsync confirmed to it and re-queues what
// it lacks (dryRun: reports only).
func (o *Ops) Reconcile(ctx context.Context, dest string, dryRun bool) (reconcile.Report, error) {
	l, err := o.Lane(dest)
	if err != nil {
		return reconcile.Report{}, err
	}
	if l.Lister == nil {
		return reconcile.Report{}, fmt.Errorf("%w: the %s destination cannot list its numbers", ErrNoReconcile, l.Name)
	}
	label := ""
	if len(o.Lanes) > 1 {
		label = l.Name
	}
	rep, err := reconcile.RunFor(ctx, l.Lister, o.Store, label, dryRun, o.now())
	if errors.Is(err, destination.ErrUnsupported) {
		err = fmt.Errorf("%w: %w", ErrNoReconcile, err)
	}
	return rep, err
}
