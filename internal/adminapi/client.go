package adminapi

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

	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/queue"
)

// Client calls the /v1 API of a running service (the only way to reach an embedded store while
// serve holds its file lock).
type Client struct {
	Base  string // e.g. http://localhost:3000
	Token string
	HTTP  *http.Client
	// Destination names the destination of dead-letter calls; empty: the server's first.
	Destination string
}

// Number fetches one number's answer: one page of its history (page zero: the newest).
func (c Client) Number(ctx context.Context, query string, page queue.Page) (ops.Answer, error) {
	var a ops.Answer
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	q := url.Values{}
	if page.Limit > 0 {
		q.Set("limit", strconv.Itoa(page.Limit))
	}
	if page.Before != "" {
		q.Set("before", page.Before)
	}
	u := strings.TrimRight(c.Base, "/") + "/v1/numbers/" + url.PathEscape(query)
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return a, fmt.Errorf("--server: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := hc.Do(req)
	if err != nil {
		return a, fmt.Errorf("ask %s: %w", c.Base, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	switch resp.StatusCode {
	case http.StatusOK:
		if err := json.Unmarshal(body, &a); err != nil {
			return a, fmt.Errorf("answer from %s: %w", c.Base, err)
		}
		return a, nil
	case http.StatusNotFound:
		return a, ops.ErrNotFound
	}
	return a, fmt.Errorf("%s answered %d: %s (check DNCSYNC_ADMIN_TOKEN)", c.Base, resp.StatusCode, strings.TrimSpace(string(body)))
}

// Reconcile runs a reconcile in the service and decodes its report into into.
func (c Client) Reconcile(ctx context.Context, dryRun bool, into any) error {
	q := url.Values{}
	if dryRun {
		q.Set("dryRun", "true")
	}
	if c.Destination != "" {
		q.Set("destination", c.Destination)
	}
	path := "/v1/reconcile"
	if len(q) > 0 {
		path += "?" + q.Encode()
	}
	return c.post(ctx, path, into)
}

// RequeueAll sends up to max dead letters back to the queue (0: all of them, ops.RequeueChunk a
// request); it returns how many.
func (c Client) RequeueAll(ctx context.Context, max int) (int, error) {
	if max > 0 {
		return c.Requeue(ctx, max)
	}
	total := 0
	for {
		n, err := c.Requeue(ctx, ops.RequeueChunk)
		total += n
		if err != nil || n < ops.RequeueChunk {
			return total, err
		}
	}
}

// Requeue sends up to max dead letters back to the queue; it returns how many.
func (c Client) Requeue(ctx context.Context, max int) (int, error) {
	var ans struct{ Requeued int }
	path := fmt.Sprintf("/v1/dead-letters/requeue?max=%d", max)
	if c.Destination != "" {
		path += "&destination=" + url.QueryEscape(c.Destination)
	}
	err := c.post(ctx, path, &ans)
	return ans.Requeued, err
}

func (c Client) post(ctx context.Context, path string, into any) error {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Minute}
	}
	u := strings.TrimRight(c.Base, "/") + path
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, nil)
	if err != nil {
		return fmt.Errorf("--server: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("ask %s: %w", c.Base, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d: %s", c.Base, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return json.Unmarshal(body, into)
}

// Status reads GET /v1/status.
func (c Client) Status(ctx context.Context) (ops.Status, error) {
	var st ops.Status
	path := "/v1/status"
	if c.Destination != "" {
		path += "?destination=" + url.QueryEscape(c.Destination)
	}
	return st, c.call(ctx, http.MethodGet, path, nil, &st)
}

// DeadLetters reads up to limit dead letters.
// Destination, when set, names the destination whose dead letters these are.
func (c Client) DeadLetters(ctx context.Context, limit int) (ops.DeadLetters, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if c.Destination != "" {
		q.Set("destination", c.Destination)
	}
	var d ops.DeadLetters
	return d, c.call(ctx, http.MethodGet, "/v1/dead-letters?"+q.Encode(), nil, &d)
}

// RetryDead re-queues the named dead letters.
func (c Client) RetryDead(ctx context.Context, numbers []string) (ops.NumbersAnswer, error) {
	var a ops.NumbersAnswer
	return a, c.call(ctx, http.MethodPost, "/v1/dead-letters/retry",
		NumbersRequest{Numbers: numbers, Destination: c.Destination}, &a)
}

// DropDead drops the named dead letters with reason.
func (c Client) DropDead(ctx context.Context, numbers []string, reason string) (ops.NumbersAnswer, error) {
	var a ops.NumbersAnswer
	return a, c.call(ctx, http.MethodPost, "/v1/dead-letters/drop",
		NumbersRequest{Numbers: numbers, Reason: reason, Destination: c.Destination}, &a)
}

// Rejections reads up to limit rejections received since (zero: any time), newest first.
func (c Client) Rejections(ctx context.Context, since time.Time, limit int) (ops.Rejections, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if !since.IsZero() {
		q.Set("since", since.UTC().Format(time.RFC3339Nano))
	}
	var r ops.Rejections
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
