package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// ServerSink sends rows to a running service's batch endpoint (POST /v1/events, the opt-out
// webhook's batch shape behind the admin token), which normalizes and records them. It is the way
// to import while serve holds the embedded store's file lock.
type ServerSink struct {
	Base  string // e.g. http://localhost:3000
	Token string // DNCSYNC_ADMIN_TOKEN
	// Country is sent for rows without one (import --country); empty: the service's default region.
	Country string
	HTTP    *http.Client
}

// wireImportEvent is a row as the generic event of the webhook contract, with the file's line and
// row as received, which the event's evidence (a rejection's body) keeps.
type wireImportEvent struct {
	// The problem, the line and the row as received come first: a rejection keeps the first 256
	// bytes of what arrived (queue.MaxBodyLen), and what the file said is its evidence.
	// Repeats and Problem are ImportRow's: the import endpoint records a row with a Problem as
	// rejected for it, and keeps Repeats with the event.
	Problem     string `json:"importProblem,omitempty"`
	Repeats     int    `json:"importRepeats,omitempty"`
	Line        int    `json:"importLine"`
	Row         string `json:"importRow"`
	PhoneNumber string `json:"phoneNumber"`
	Country     string `json:"country,omitempty"`
	Action      string `json:"action,omitempty"`
	OccurredAt  string `json:"occurredAt,omitempty"`
	ExpiresAt   string `json:"expiresAt,omitempty"`
	EventID     string `json:"eventId"`
	Source      string `json:"source"`
	Channel     string `json:"channel,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Scope       string `json:"scope,omitempty"`
	// The consent scope's channel and purpose (the webhook's).
	ConsentChannel string `json:"consentChannel,omitempty"`
	Purpose        string `json:"purpose,omitempty"`
}

// importEvent is row r (event id id) as the webhook's generic event; country is used when the row
// has none.
func importEvent(r ImportRow, id, country string) wireImportEvent {
	if r.Country != "" {
		country = r.Country
	}
	return wireImportEvent{PhoneNumber: r.Raw, Country: country, Action: r.Action, OccurredAt: r.OccurredAt,
		ExpiresAt: r.ExpiresAt, EventID: id, Source: ImportSource(r.Source), Channel: r.Channel, Reason: r.Reason,
		Scope: r.Scope, ConsentChannel: r.ConsentChannel, Purpose: r.Purpose, Line: r.Line, Row: truncate(r.Record, KeptRowLen), Repeats: r.Repeats, Problem: r.Problem}
}

// rowEvent is row r (event id id) as the webhook's event would read from importEvent's JSON.
func rowEvent(r ImportRow, id string) wireEvent {
	w := wireEvent{fields: fields{PhoneNumber: text(r.Raw), Country: text(r.Country), Action: text(r.Action),
		OccurredAt: text(r.OccurredAt), EventID: text(id), Source: text(ImportSource(r.Source)), Channel: text(r.Channel),
		Reason: text(r.Reason), Scope: text(r.Scope), ExpiresAt: text(r.ExpiresAt),
		ConsentChannel: text(r.ConsentChannel), Purpose: text(r.Purpose)}, ImportProblem: text(r.Problem)}
	if r.Repeats > 0 {
		w.ImportRepeats = text(strconv.Itoa(r.Repeats))
	}
	return w
}

// outcomes reads the webhook's results as import outcomes.
func outcomes(rs []result) []ImportOutcome {
	out := make([]ImportOutcome, len(rs))
	for i, r := range rs {
		out[i] = ImportOutcome{Status: r.Status, Number: r.PhoneNumber, Reason: r.Reason}
		if r.Status == "invalid" {
			out[i].Reason = r.Error // says which value was wrong
		}
	}
	return out
}

// batchEnvelope is what a request's body holds beyond its events: {"events":[...]}.
const batchEnvelope = len(`{"events":[]}`)

// Send implements ImportSink. The rows go in as many requests as the service's limits need (at
// most MaxBatch events and MaxBody bytes each). A row whose event alone is over the body limit is
// sent cut, as too long (RowTooLong), so that it is recorded as rejected rather than stopping the
// import. A 503 or a lost connection comes back wrapped in queue.ErrUnavailable, with the outcomes
// of the requests answered before it, so that Import tries the rest again; wrapped in
// *UnsentError too when rows after the failed request were not sent.
func (s ServerSink) Send(ctx context.Context, rows []ImportRow, ids []string) ([]ImportOutcome, error) {
	out := make([]ImportOutcome, 0, len(rows))
	body := bytes.NewBuffer(make([]byte, 0, 64<<10))
	n := 0 // events in body
	post := func() error {
		body.WriteString("]}")
		res, err := s.post(ctx, body.Bytes(), n)
		out = append(out, res...)
		body.Reset()
		n = 0
		return err
	}
	for i, r := range rows {
		if r.textLen()+batchEnvelope > MaxBody {
			r = r.cut() // over the limit whatever its JSON: not worth making
		}
		ev, err := json.Marshal(importEvent(r, ids[i], s.Country))
		if err != nil {
			return out, err
		}
		if len(ev)+batchEnvelope > MaxBody {
			if ev, err = json.Marshal(importEvent(r.cut(), ids[i], s.Country)); err != nil {
				return out, err
			}
		}
		if n > 0 && (n == MaxBatch || body.Len()+1+len(ev)+2 > MaxBody) {
			if err := post(); err != nil {
				return out, unsent(err, len(rows)-i) // rows from i on never left
			}
		}
		if n == 0 {
			body.WriteString(`{"events":[`)
		} else {
			body.WriteByte(',')
		}
		body.Write(ev)
		n++
	}
	if n > 0 {
		if err := post(); err != nil {
			return out, err
		}
	}
	return out, nil
}

// post sends one request of n events and reads its n results.
func (s ServerSink) post(ctx context.Context, body []byte, n int) ([]ImportOutcome, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(s.Base, "/")+"/v1/events", bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("--server: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+s.Token)
	hc := s.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		err = fmt.Errorf("send to %s: %w: %w", s.Base, queue.ErrUnavailable, err)
		if op := (*net.OpError)(nil); errors.As(err, &op) && op.Op == "dial" {
			// No connection, so nothing sent: a retry's duplicates are not this request's.
			return nil, &UnsentError{Rows: n, Err: err}
		}
		return nil, err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	switch {
	case resp.StatusCode == http.StatusServiceUnavailable:
		return nil, fmt.Errorf("%s answered 503: %w", s.Base, queue.ErrUnavailable)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s answered %d: %s", s.Base, resp.StatusCode, truncate(strings.TrimSpace(string(raw)), 512))
	}
	var ans struct{ Results []result }
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, fmt.Errorf("answer from %s: %w", s.Base, err)
	}
	if len(ans.Results) != n {
		return nil, fmt.Errorf("%s answered %d results for %d rows", s.Base, len(ans.Results), n)
	}
	return outcomes(ans.Results), nil
}

// unsent is err, from a request before the last rest rows, saying that those were not sent
// either.
func unsent(err error, rest int) error {
	if u := (*UnsentError)(nil); errors.As(err, &u) {
		return &UnsentError{Rows: u.Rows + rest, Err: u.Err}
	}
	return &UnsentError{Rows: rest, Err: err}
}
