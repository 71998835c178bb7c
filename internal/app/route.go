package app

import (
	"context"
	"fmt"
	"slices"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/queue"
)

// Lanes are the configured destinations with their scope filters (NAME_SCOPE), the primary first.
// The error names the variable.
func (c *Config) Lanes() ([]consent.Lane, error) {
	var out []consent.Lane
	for _, name := range c.Destinations() {
		if _, ok := SpecOf(name); !ok {
			continue // Validate reports it
		}
		sc, err := c.Scope(name)
		if err != nil {
			return nil, err
		}
		out = append(out, consent.Lane{Name: name, Scope: sc})
	}
	return out, nil
}

// Scope is destination name's scope filter (NAME_SCOPE); the error names the variable.
func (c *Config) Scope(name string) (consent.Scope, error) {
	spec, _ := SpecOf(name)
	text := destination.DefaultScope
	if p := c.scopes[name]; p != nil {
		text = *p
	}
	sc, err := consent.ParseFilter(text)
	if err != nil {
		return consent.Scope{}, fmt.Errorf("%s=%q: %w", spec.ScopeEnv(), text, err)
	}
	return sc, nil
}

// Scopes are the destinations' scope filters by name, as records show them ("sms", "all").
func (c *Config) Scopes() map[string]string {
	lanes, _ := c.Lanes()
	out := make(map[string]string, len(lanes))
	for _, l := range lanes {
		out[l.Name] = l.Scope.String()
	}
	return out
}

// routing is the store whose Enqueue routes each event to the destinations its scope reaches
// (consent.Route) before the store writes it: every path that queues (intake, imports, the
// commands on the store) goes through it, and so does each destination's view (Dest).
type routing struct {
	queue.Store
	lanes []consent.Lane
}

// Unwrap is the store under the routing, for what only some kinds of store have (migrate-store's
// export and restore).
func (r routing) Unwrap() queue.Store { return r.Store }

func (r routing) Enqueue(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error) {
	routed := slices.Clone(events) // the caller's events stay as they were
	if err := consent.Route(ctx, r.lanes, routed, r.trail); err != nil {
		return nil, fmt.Errorf("%w: %w", queue.ErrUnavailable, err)
	}
	return r.Store.Enqueue(ctx, routed)
}

// EnqueueImport is Enqueue for an import's batches: routed the same, then written by the store's
// own import path when it has one (PostgreSQL's COPY and merge), else by Enqueue.
func (r routing) EnqueueImport(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error) {
	imp, ok := r.Store.(interface {
		EnqueueImport(ctx context.Context, events []queue.Event) ([]queue.EnqueueStatus, error)
	})
	if !ok {
		return r.Enqueue(ctx, events)
	}
	routed := slices.Clone(events)
	if err := consent.Route(ctx, r.lanes, routed, r.trail); err != nil {
		return nil, fmt.Errorf("%w: %w", queue.ErrUnavailable, err)
	}
	return imp.EnqueueImport(ctx, routed)
}

func (r routing) Dest(name string) (queue.Store, error) {
	d, err := r.Store.Dest(name)
	if err != nil {
		return nil, err
	}
	return routing{Store: d, lanes: r.lanes}, nil
}

// trail is every request recorded for a number, for routing a consent.
func (r routing) trail(ctx context.Context, number string) ([]consent.Event, error) {
	var out []consent.Event
	page := queue.Page{Limit: queue.MaxPageLimit}
	for {
		h, found, err := r.Lookup(ctx, number, page)
		if err != nil || !found {
			return out, err
		}
		for _, rec := range h.Records {
			if e, ok := consent.FromRecord(rec); ok {
				out = append(out, e)
			}
		}
		if h.Older == "" {
			return out, nil
		}
		page.Before = h.Older
	}
}
