package lookup

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Status reads GET /v1/status.
func (c Client) Status(ctx context.Context) (Status, error) {
	var st Status
	return st, c.call(ctx, http.MethodGet, "/v1/status", nil, &st)
}

// DeadLetters reads up to limit dead letters.
// Destination, when set, names the destination whose dead letters these are.
func (c Client) DeadLetters(ctx context.Context, limit int) (DeadLetters, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if c.Destination != "" {
		q.Set("destination", c.Destination)
	}
	var d DeadLetters
	return d, c.call(ctx, http.MethodGet, "/v1/dead-letters?"+q.Encode(), nil, &d)
}

// RetryDead re-queues the named dead letters.
func (c Client) RetryDead(ctx context.Context, numbers []string) (NumbersAnswer, error) {
	var a NumbersAnswer
	return a, c.call(ctx, http.MethodPost, "/v1/dead-letters/retry",
		NumbersRequest{Numbers: numbers, Destination: c.Destination}, &a)
}

// DropDead drops the named dead letters with reason.
func (c Client) DropDead(ctx context.Context, numbers []string, reason string) (NumbersAnswer, error) {
	var a NumbersAnswer
	return a, c.call(ctx, http.MethodPost, "/v1/dead-letters/drop",
		NumbersRequest{Numbers: numbers, Reason: reason, Destination: c.Destination}, &a)
}

// Rejections reads up to limit rejections received since (zero: any time), newest first.
func (c Client) Rejections(ctx context.Context, since time.Time, limit int) (Rejections, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339Nano))
	}
	var r Rejections
	return r, c.call(ctx, http.MethodGet, "/v1/rejections?"+q.Encode(), nil, &r)
}

// call sends body (JSON, when not nil) and decodes a 200 answer into into.
func (c Client) call(ctx context.Context, method, path string, body, into any) error {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: time.Minute}
	}
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(c.Base, "/")+path, rd)
	if err != nil {
		return fmt.Errorf("--server: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("ask %s: %w", c.Base, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d: %s", c.Base, resp.StatusCode, strings.TrimSpace(string(raw)))
	}
	if err := json.Unmarshal(raw, into); err != nil {
		return fmt.Errorf("answer from %s: %w", c.Base, err)
	}
	return nil
}
