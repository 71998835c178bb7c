package lookup

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
)

// Client reads the /v1 API of a running service (the only way to read an embedded store while
// serve holds its file lock).
type Client struct {
	Base  string // e.g. http://localhost:3000
	Token string
	HTTP  *http.Client
	// Destination names the destination of dead-letter calls; empty: the server's first.
	Destination string
}

// Number fetches one number's answer: one page of its history (page zero: the newest).
func (c Client) Number(ctx context.Context, query string, page queue.Page) (Answer, error) {
	var a Answer
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
		return a, ErrNotFound
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
