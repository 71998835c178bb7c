package queue

import (
	"crypto/sha256"
	"encoding/hex"
	"unicode/utf8"
)

// What one event or rejection may store. A sender can post a megabyte of text a request; these
// bounds keep what that costs the store small and fixed, so that no sender can fill it. They are
// defined once here, and both stores and intake apply them through Bound.
const (
	MaxRawLen = 256 // the number as received
	// MaxBodyLen is how much of a rejected event (or row) as received is kept: its first bytes,
	// beside the SHA-256 and the size of the whole (Rejection.Hash, Rejection.Bytes).
	MaxBodyLen   = 256
	MaxSaidLen   = 1024 // free text a person wrote, and an event's reason
	MaxLabelLen  = 128  // source, channel, scope, region, reason codes
	MaxEventID   = 256  // longer ids are kept as their digest
	maxKeyLen    = 64   // longer rejection keys are kept as their digest
	truncatedTag = "…"
)

// Bound returns r cut to the limits above, with Kind, Key, Hash and Bytes set. The hash and size
// are of the text as received, before the cut (a second Bound keeps them).
func (r Rejection) Bound() Rejection {
	if r.Kind == "" {
		r.Kind = AuditRejected
	}
	if r.Key == "" {
		r.Key = r.Number
		if r.Key == "" {
			r.Key = RejectionKey(r.Raw)
		}
	}
	if r.Hash == "" {
		text := r.Body
		if text == "" {
			text = r.Raw // input with no event around it (an SMS sender)
		}
		sum := sha256.Sum256([]byte(text))
		r.Hash, r.Bytes = hex.EncodeToString(sum[:]), len(text)
	}
	r.Raw = Cut(r.Raw, MaxRawLen)
	r.Body = Prefix(r.Body, MaxBodyLen)
	r.Said = Cut(r.Said, MaxSaidLen)
	r.Reason = Cut(r.Reason, MaxLabelLen)
	r.Region = Cut(r.Region, MaxLabelLen)
	r.Source = Cut(r.Source, MaxLabelLen)
	r.Channel = Cut(r.Channel, MaxLabelLen)
	r.EventID = BoundID(r.EventID)
	return r
}

// Size is what r costs the store in text bytes, for the rejected-bytes metric.
func (r Rejection) Size() int {
	return len(r.Key) + len(r.Raw) + len(r.Body) + len(r.Said) + len(r.Reason) + len(r.Region) +
		len(r.Source) + len(r.Channel) + len(r.EventID) + len(r.Hash)
}

// Identity is what makes a rejection (after Bound) the same as one recorded before: the same event
// id, the same text (Hash) and the same key; one event can be refused under several keys (each of
// its numbers). A rejection without an event id has none (""): each receipt of it is recorded.
func (r Rejection) Identity() string {
	if r.EventID == "" || r.Hash == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(r.EventID + "\x00" + r.Hash + "\x00" + r.Key))
	return hex.EncodeToString(sum[:16])
}

// Bound cuts an accepted event's free-text fields to the limits above. The number is E.164 and
// Raw is what the phone package accepted (at most 250 bytes), so they need no cut.
func (ev *Event) Bound() {
	ev.Raw = Cut(ev.Raw, MaxRawLen)
	ev.Reason = Cut(ev.Reason, MaxSaidLen)
	ev.Source = Cut(ev.Source, MaxLabelLen)
	ev.Channel = Cut(ev.Channel, MaxLabelLen)
	ev.Scope = Cut(ev.Scope, MaxLabelLen)
	ev.Purpose = Cut(ev.Purpose, MaxLabelLen)
	ev.ID = BoundID(ev.ID)
}

// BoundID keeps an event id as it is up to MaxEventID bytes, and a longer one as its digest: ids
// must stay exact for idempotency, so a long one is hashed, never cut.
func BoundID(id string) string {
	if len(id) <= MaxEventID {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// Prefix is s up to its first n bytes, without splitting a UTF-8 character and without a mark:
// the whole is known by its hash and size.
func Prefix(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Cut shortens s to at most n bytes without splitting a UTF-8 character, marking the cut.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	n -= len(truncatedTag)
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + truncatedTag
}
