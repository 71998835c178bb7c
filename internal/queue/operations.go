package queue

import (
	"context"
	"errors"
	"time"
)

// AuditDropped: an operator removed a dead letter without pushing it; Detail has the reason given.
const AuditDropped AuditKind = "dropped"

// StateDropped: the number's dead letter was dropped by an operator; nothing is queued for it.
const StateDropped State = "dropped"

// DeadLetter is a dead-lettered entry as an operator sees it: what it asks, and why it died.
type DeadLetter struct {
	Number          string    `json:"number"`
	Action          Action    `json:"action"`
	Raw             string    `json:"raw,omitempty"`
	Source          string    `json:"source,omitempty"`
	LastError       string    `json:"lastError"`
	Attempts        int       `json:"attempts"`
	FirstReceivedAt time.Time `json:"firstReceivedAt"`
	DeadAt          time.Time `json:"deadAt"`
}

// Operations are what an operator's tools (dlq, rejected, status) need beyond the Queue. Both stores
// implement it; the conformance suite (queuetest.RunOperations) holds them to the same rules.
type Operations interface {
	// DeadLetters returns up to limit dead letters, oldest dead first, each with its last error.
	DeadLetters(ctx context.Context, limit int) ([]DeadLetter, error)
	// RedriveNumbers returns the named dead letters to ready, due now, with fresh attempts and an
	// AuditRequeued record each. Numbers that are not dead are left alone. It returns those re-queued.
	RedriveNumbers(ctx context.Context, numbers []string) ([]string, error)
	// DropDead removes the named dead letters from the queue without pushing them: an AuditDropped
	// record carries reason, and the number's state becomes StateDropped. Numbers that are not dead
	// are left alone; reason must not be empty (ErrNoReason). It returns those dropped.
	DropDead(ctx context.Context, numbers []string, reason string) ([]string, error)
	// RejectionsSince returns up to limit rejections recorded at or after since, newest first.
	RejectionsSince(ctx context.Context, since time.Time, limit int) ([]Rejection, error)
	// LastConfirmed is when CXone last confirmed a push (Ack); zero if never.
	LastConfirmed(ctx context.Context) (time.Time, error)
}

// ErrNoReason refuses a drop without a reason: the trail must say why an opt-out was not pushed.
var ErrNoReason = errors.New("a dropped dead letter needs a reason for the audit trail")
