package ops

import (
	"context"
	"time"
)

// Rejection is one rejected input as GET /v1/rejections and `dncsync rejected list` show it.
type Rejection struct {
	Raw string `json:"raw"`
	// Number is the E.164 when the number was valid and another field was refused.
	Number     string    `json:"number,omitempty"`
	Reason     string    `json:"reason"`
	Said       string    `json:"said,omitempty"` // what the person said, when it is not the number
	Region     string    `json:"region,omitempty"`
	Source     string    `json:"source,omitempty"`
	Channel    string    `json:"channel,omitempty"`
	EventID    string    `json:"eventId,omitempty"`
	ReceivedAt time.Time `json:"receivedAt"`
	// Body is the event or row as received: its first 256 bytes (queue.MaxBodyLen). SHA256 and
	// Bytes are the hash and size of the whole text as received (the body, or the raw number when
	// there is none); absent for a rejection kept before they were.
	Body   string `json:"body,omitempty"`
	SHA256 string `json:"sha256,omitempty"`
	Bytes  int    `json:"bytes,omitempty"`
}

// Rejections is the JSON of GET /v1/rejections.
type Rejections struct {
	Rejections []Rejection `json:"rejections"`
}

// Rejections lists up to limit rejections received at or after since (zero: any time), newest
// first.
func (o *Ops) Rejections(ctx context.Context, since time.Time, limit int) (Rejections, error) {
	rs, err := o.Store.RejectionsSince(ctx, since, limit)
	if err != nil {
		return Rejections{}, err
	}
	out := make([]Rejection, len(rs))
	for i, r := range rs {
		out[i] = Rejection{Raw: r.Raw, Number: r.Number, Reason: r.Reason, Said: r.Said, Region: r.Region,
			Source: r.Source, Channel: r.Channel, EventID: r.EventID, ReceivedAt: r.ReceivedAt.UTC(), Body: r.Body,
			SHA256: r.Hash, Bytes: r.Bytes}
	}
	return Rejections{Rejections: out}, nil
}
