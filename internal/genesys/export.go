package genesys

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
)

// maxRateLimited bounds how often one step of AllNumbers is retried after a 429; the pacer holds
// the next request until the pause ends.
const maxRateLimited = 8

// exportURI is the ExportUri model (platform-client-sdk-go platformclientv2/exporturi.go).
type exportURI struct {
	URI             string    `json:"uri"`
	ExportTimestamp time.Time `json:"exportTimestamp"`
}

// newer reports whether e is another export than prev: another link, or a later timestamp.
func (e exportURI) newer(prev *exportURI) bool {
	return prev == nil || e.URI != prev.URI || e.ExportTimestamp.After(prev.ExportTimestamp)
}

// AllNumbers returns the E.164 numbers that the list blocks now (expired entries left out),
// sorted and unique. The Platform API has no listing of a DNC list's numbers; it exports the list
// as CSV: POST .../export starts an export, GET .../export names the latest one ready
// (platformclientv2/outboundapi.go PostOutboundDnclistExport and GetOutboundDnclistExport), and
// its link, GET /api/v2/downloads/{id}, redirects to the file (platformclientv2/downloadsapi.go).
// The terraform provider reads entries the same way (terraform-provider-genesyscloud
// genesyscloud/outbound_dnclist/genesyscloud_outbound_dnclist_proxy.go
// getOutboundDnclistEntriesFn, which takes a 400 or 404 from GET .../export as "not ready yet").
// A previous export is not taken for this one: the export used is one that appeared after this
// call started it.
func (c *Client) AllNumbers(ctx context.Context) ([]string, error) {
	if c.hostErr != nil {
		return nil, c.hostErr
	}
	if c.cfg.DNCListID == "" {
		return nil, configError("export", 0, "set GENESYS_DNC_LIST_ID")
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.ExportTimeout)
	defer cancel()
	u := c.api + "/api/v2/outbound/dnclists/" + url.PathEscape(c.cfg.DNCListID) + "/export"

	var prev *exportURI
	if err := retrying(ctx, func() error {
		var err error
		prev, err = c.readExport(ctx, u)
		return err
	}); err != nil {
		return nil, fmt.Errorf("read the DNC list's last export: %w", err)
	}
	if err := retrying(ctx, func() error { return c.startExport(ctx, u) }); err != nil {
		return nil, fmt.Errorf("start an export of the DNC list: %w", err)
	}
	var cur *exportURI
	for {
		err := retrying(ctx, func() error {
			var err error
			cur, err = c.readExport(ctx, u)
			return err
		})
		if err != nil {
			return nil, fmt.Errorf("wait for the DNC list's export: %w", err)
		}
		if cur != nil && cur.newer(prev) {
			break
		}
		t := time.NewTimer(c.cfg.ExportPoll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, &destination.Error{Kind: destination.Transient, Dest: Dest, Op: "export",
				Msg: fmt.Sprintf("the export was not ready within %v", c.cfg.ExportTimeout), Err: ctx.Err()}
		case <-t.C:
		}
	}
	var out []string
	err := retrying(ctx, func() error {
		var err error
		out, err = c.download(ctx, cur.URI)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("download the DNC list's export: %w", err)
	}
	return out, nil
}

// retrying runs f again after a 429, up to maxRateLimited times.
func retrying(ctx context.Context, f func() error) error {
	for n := 0; ; n++ {
		err := f()
		if destination.KindOf(err) != destination.RateLimited || err == nil || n >= maxRateLimited || ctx.Err() != nil {
			return err
		}
	}
}

// readExport is the latest export ready, or nil when there is none (yet).
func (c *Client) readExport(ctx context.Context, u string) (*exportURI, error) {
	r, err := c.c.do(ctx, "export", http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	switch r.Status {
	case http.StatusOK:
	case http.StatusNotFound, http.StatusBadRequest:
		return nil, nil // no export (yet)
	default:
		return nil, statusError("export", r)
	}
	var e exportURI
	if json.Unmarshal(r.Body, &e) != nil || e.URI == "" {
		return nil, unexpected("export", r)
	}
	return &e, nil
}

func (c *Client) startExport(ctx context.Context, u string) error {
	r, err := c.c.do(ctx, "export", http.MethodPost, u, nil)
	if err != nil {
		return err
	}
	if r.Status/100 != 2 {
		return statusError("export", r)
	}
	return nil
}

// download reads the export's CSV. The bearer token goes only to the API host: the link, or the
// signed link it redirects to, may be elsewhere (net/http drops the header on a redirect to
// another domain).
func (c *Client) download(ctx context.Context, link string) ([]string, error) {
	lu, err := url.Parse(link)
	au, _ := url.Parse(c.api)
	if err != nil || (lu.Scheme != "https" && lu.Scheme != "http") || lu.Host == "" {
		return nil, &destination.Error{Kind: destination.Transient, Dest: Dest, Op: "download", Msg: "the export's link is not a URL"}
	}
	var tok string
	if au != nil && strings.EqualFold(lu.Host, au.Host) {
		if tok, err = c.c.Tokens().Get(ctx); err != nil {
			return nil, err
		}
	}
	if err := c.c.Pacer().Wait(ctx); err != nil {
		return nil, &destination.Error{Kind: destination.Transient, Dest: Dest, Op: "download", Msg: "waiting for the rate limit", Err: err}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link, nil)
	if err != nil {
		return nil, &destination.Error{Kind: destination.Transient, Dest: Dest, Op: "download", Msg: "the export's link is not a URL"}
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := c.c.HTTP().Do(req)
	if err != nil {
		return nil, noAnswer("download", err)
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		pause := c.c.Pacer().Throttled(ctx, destination.RetryAfter(resp.Header, c.now()))
		return nil, &destination.Error{Kind: destination.RateLimited, Dest: Dest, Op: "download", Status: resp.StatusCode, RetryAfter: pause}
	case resp.StatusCode == http.StatusUnauthorized && tok != "":
		c.c.Tokens().Invalidate(tok)
		return nil, &destination.Error{Kind: destination.Transient, Dest: Dest, Op: "download", Status: resp.StatusCode, Msg: "the token was refused; try again"}
	case resp.StatusCode == http.StatusNotFound || resp.StatusCode == http.StatusForbidden:
		// A signed link that expired, or an export that was replaced: the next reconcile exports again.
		return nil, &destination.Error{Kind: destination.Transient, Dest: Dest, Op: "download", Status: resp.StatusCode,
			Msg: "the export's link was refused; it may have expired"}
	case resp.StatusCode != http.StatusOK:
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return nil, statusError("download", response{Status: resp.StatusCode, Body: b, Header: resp.Header})
	}
	c.c.Pacer().OK(ctx)
	out, err := parseExport(resp.Body, c.now())
	if err != nil {
		return nil, &destination.Error{Kind: destination.Transient, Dest: Dest, Op: "download", Msg: "the export is not the CSV expected", Err: err}
	}
	return out, nil
}

// parseExport reads an export: a header row, then a number and an expiration per row. Genesys
// Cloud does not publish the header, so the columns are found by name (the first with "phone",
// the first with "expir") and otherwise where the terraform provider reads them, the first and
// the third. Numbers are normalized to E.164 (a list filled from a file may hold digits); an entry
// whose expiration has passed, or cannot be read, is left out: it does not (surely) block calls,
// and leaving it out makes a reconcile add the number again.
func parseExport(r io.Reader, now time.Time) ([]string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	head, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	phoneCol, expCol := -1, -1
	for i, h := range head {
		h = strings.ToLower(strings.TrimPrefix(h, "\ufeff"))
		if phoneCol < 0 && strings.Contains(h, "phone") {
			phoneCol = i
		}
		if expCol < 0 && strings.Contains(h, "expir") {
			expCol = i
		}
	}
	if phoneCol < 0 {
		phoneCol = 0
	}
	if expCol < 0 && len(head) > 2 {
		expCol = 2
	}
	seen := map[string]bool{}
	var out []string
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if phoneCol >= len(rec) {
			continue
		}
		n := exportedE164(rec[phoneCol])
		if n == "" || seen[n] {
			continue
		}
		if expCol >= 0 && expCol < len(rec) {
			if exp, ok := parseExpiration(rec[expCol]); !ok || (!exp.IsZero() && !exp.After(now)) {
				continue
			}
		}
		seen[n] = true
		out = append(out, n)
	}
	slices.Sort(out)
	return out, nil
}

// exportedE164 turns an exported number into E.164: "+" and digits as they are; ten digits as a
// NANP number; eleven starting with 1 as one with its country code; other digits as international.
// "" when it holds no valid number.
func exportedE164(s string) string {
	s = strings.TrimSpace(s)
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			b.WriteByte(s[i])
		}
	}
	d := b.String()
	var n string
	switch {
	case d == "":
		return ""
	case strings.HasPrefix(s, "+"):
		n = "+" + d
	case len(d) == 10:
		n = "+1" + d
	default:
		n = "+" + d
	}
	if !e164.MatchString(n) {
		return ""
	}
	return n
}

// expirationLayouts are the forms an exported expiration is read in: the API's, then ISO 8601
// variants.
var expirationLayouts = []string{expirationLayout, time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05", "2006-01-02"}

// parseExpiration reads an expiration; zero for none, ok false when it cannot be read.
func parseExpiration(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, true
	}
	for _, l := range expirationLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
