package intake

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
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
	Line        int    `json:"importLine"`
	Row         string `json:"importRow"`
}

// importEvent is row r (event id id) as the webhook's generic event; country is used when the row
// has none.
func importEvent(r ImportRow, id, country string) wireImportEvent {
	if r.Country != "" {
		country = r.Country
	}
	return wireImportEvent{PhoneNumber: r.Raw, Country: country, Action: r.Action, OccurredAt: r.OccurredAt,
		ExpiresAt: r.ExpiresAt, EventID: id, Source: ImportSource(r.Source), Channel: r.Channel, Reason: r.Reason,
		Scope: r.Scope, Line: r.Line, Row: truncate(r.Record, 2048)}
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

// Send implements ImportSink. At most MaxBatch rows a call; a 503 or a lost connection comes back
// wrapped in queue.ErrUnavailable so that Import tries again.
func (s ServerSink) Send(ctx context.Context, rows []ImportRow, ids []string) ([]ImportOutcome, error) {
	if len(rows) > MaxBatch {
		return nil, fmt.Errorf("a batch of %d rows: the service takes at most %d", len(rows), MaxBatch)
	}
	evs := make([]wireImportEvent, len(rows))
	for i, r := range rows {
		evs[i] = importEvent(r, ids[i], s.Country)
	}
	body, err := json.Marshal(map[string]any{"events": evs})
	if err != nil {
		return nil, err
	}
	if len(body) > MaxBody {
		return nil, fmt.Errorf("a batch of %d rows is %d bytes, over the service's %d: use a smaller --batch", len(rows), len(body), MaxBody)
	}
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
		return nil, fmt.Errorf("send to %s: %w: %w", s.Base, queue.ErrUnavailable, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	switch {
	case resp.StatusCode == http.StatusServiceUnavailable:
		return nil, fmt.Errorf("%s answered 503: %w", s.Base, queue.ErrUnavailable)
	case resp.StatusCode != http.StatusOK:
		return nil, fmt.Errorf("%s answered %d: %s", s.Base, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	var ans struct{ Results []result }
	if err := json.Unmarshal(raw, &ans); err != nil {
		return nil, fmt.Errorf("answer from %s: %w", s.Base, err)
	}
	if len(ans.Results) != len(rows) {
		return nil, fmt.Errorf("%s answered %d results for %d rows", s.Base, len(ans.Results), len(rows))
	}
	return outcomes(ans.Results), nil
}
