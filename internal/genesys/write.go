package genesys

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
)

// e164 is the number form the list takes: "Phone numbers must be in an E.164 number format"
// (terraform-provider-genesyscloud genesyscloud/outbound_dnclist
// resource_genesyscloud_outbound_dnclist_schema.go, phone_numbers).
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// MaxExpiry is how far ahead an expiration may be: "Expiration dates cannot be more than 180 days
// in the future" (Genesys Cloud Resource Center, help.mypurecloud.com/articles/not-call-lists-view/
// and create-a-new-internal-custom-dnc-list/).
const MaxExpiry = 180 * 24 * time.Hour

// expiryMargin is kept free below MaxExpiry: the request may wait in the pacer, and the two
// clocks differ.
const expiryMargin = time.Hour

// expiryStep rounds expiries up, so that contacts whose ends differ by minutes share one request
// (the API takes one expirationDateTime per request). An end is only ever made later.
const expiryStep = time.Hour

// expirationLayout is yyyy-MM-ddTHH:mmZ, in UTC: "Expiration date for DNC phone numbers in
// yyyy-MM-ddTHH:mmZ format" (platform-client-sdk-go platformclientv2/dncpatchphonenumbersrequest.go)
// and "Expiration times must be in UTC" (the Resource Center page above).
const expirationLayout = "2006-01-02T15:04Z"

// patchRequest is DncPatchPhoneNumbersRequest (platformclientv2/dncpatchphonenumbersrequest.go):
// action is "Add" or "Remove" (its ActionEnum), expirationDateTime is omitted for no expiry.
type patchRequest struct {
	Action             string   `json:"action"`
	PhoneNumbers       []string `json:"phoneNumbers"`
	ExpirationDateTime string   `json:"expirationDateTime,omitempty"`
}

// Add puts the contacts on the list and sets each contact's ExpiresAt to the expiry sent. A 2xx
// confirms every number of its request; a number already listed is confirmed too (adding it again
// replaces its expiry).
func (c *Client) Add(ctx context.Context, contacts []destination.Contact) []error {
	return c.write(ctx, "add", contacts)
}

// Remove takes the contacts off the list; a number that was not there is a success.
func (c *Client) Remove(ctx context.Context, contacts []destination.Contact) []error {
	return c.write(ctx, "remove", contacts)
}

// part is one request's numbers: unique, sharing one expiry, each with the contacts it stands for.
type part struct {
	expires string // expirationDateTime; "" for none
	numbers []string
	idx     [][]int
}

func (p part) sub(lo, hi int) part {
	return part{expires: p.expires, numbers: p.numbers[lo:hi], idx: p.idx[lo:hi]}
}

func (p part) setAll(out []error, err error) {
	for _, is := range p.idx {
		for _, i := range is {
			out[i] = err
		}
	}
}

func (c *Client) write(ctx context.Context, op string, contacts []destination.Contact) []error {
	out := make([]error, len(contacts))
	var err error
	switch {
	case c.hostErr != nil:
		err = c.hostErr
	case c.cfg.DNCListID == "":
		err = configError(op, 0, "set GENESYS_DNC_LIST_ID")
	}
	if err != nil {
		for i := range out {
			out[i] = err
		}
		return out
	}
	u := c.api + "/api/v2/outbound/dnclists/" + url.PathEscape(c.cfg.DNCListID) + "/phonenumbers"
	var stop error
	var probe destination.Probe
	for _, p := range c.plan(op, contacts, out) {
		size := int(c.maxBatch.Load())
		for lo := 0; lo < len(p.numbers); lo += size {
			q := p.sub(lo, min(lo+size, len(p.numbers)))
			if stop != nil {
				// A 429 or a deployment's fault: sending more now would only meet it again.
				q.setAll(out, stop)
				continue
			}
			stop = c.send(ctx, op, u, q, out, &probe)
		}
	}
	return out
}

// plan groups the contacts into requests; a number Genesys Cloud cannot take gets a Permanent
// error in out. A number given twice is sent once, with the longest of its expiries: an opt-out is
// never shortened.
func (c *Client) plan(op string, contacts []destination.Contact, out []error) []part {
	type number struct {
		idx     []int
		expires time.Time // zero: none
	}
	var order []string
	byNumber := map[string]*number{}
	for i, ct := range contacts {
		if !e164.MatchString(ct.Number) {
			out[i] = &destination.Error{Kind: destination.Permanent, Dest: Dest, Op: op, Msg: "not an E.164 number"}
			continue
		}
		n := byNumber[ct.Number]
		if n == nil {
			n = &number{expires: ct.ExpiresAt}
			byNumber[ct.Number] = n
			order = append(order, ct.Number)
		} else if !n.expires.IsZero() && (ct.ExpiresAt.IsZero() || ct.ExpiresAt.After(n.expires)) {
			n.expires = ct.ExpiresAt
		}
		n.idx = append(n.idx, i)
	}
	now := c.now()
	var parts []part
	at := map[string]int{}
	for _, num := range order {
		n := byNumber[num]
		var wire string
		if op == "add" {
			var sent time.Time
			wire, sent = c.wireExpiry(n.expires, now)
			for _, i := range n.idx {
				contacts[i].ExpiresAt = sent // what Genesys Cloud was told, for the evidence
			}
		}
		k, ok := at[wire]
		if !ok {
			k = len(parts)
			at[wire] = k
			parts = append(parts, part{expires: wire})
		}
		parts[k].numbers = append(parts[k].numbers, num)
		parts[k].idx = append(parts[k].idx, n.idx)
	}
	return parts
}

// wireExpiry is the expirationDateTime to send for an end t, and the end it stands for. The end is
// rounded up to the hour (to the minute when the hour would pass the limit). An end beyond what the
// API accepts is sent per LongExpiry: none (blocked until removed), or clamped to the limit.
func (c *Client) wireExpiry(t, now time.Time) (string, time.Time) {
	if t.IsZero() {
		return "", time.Time{}
	}
	limit := now.UTC().Add(MaxExpiry - expiryMargin)
	u := ceil(t.UTC(), expiryStep)
	if u.After(limit) {
		u = ceil(t.UTC(), time.Minute)
	}
	if u.After(limit) {
		if c.cfg.LongExpiry != LongExpiryClamp {
			return "", time.Time{}
		}
		u = limit.Truncate(time.Minute)
	}
	return u.Format(expirationLayout), u
}

// ceil rounds t up to a multiple of step (whole minutes or hours, which UTC times align to).
func ceil(t time.Time, step time.Duration) time.Time {
	d := t.Truncate(step)
	if d.Before(t) {
		d = d.Add(step)
	}
	return d
}

// Error codes of a refused PATCH that speak of the request or the list, never of one number
// (the codes the API documents for its DNC phone number operations, as platform-client-sdk-cli
// build/gc/cmd/outbound_dnclists_phonenumbers lists them under x-inin-error-codes).
var requestCodes = map[string]string{
	"dnc.source.operation.not.supported":                "GENESYS_DNC_LIST_ID is not an internal phone DNC list; only internal lists take numbers through the API",
	"dnc.phone.numbers.per.list.limit.exceeded":         "the DNC list is full; delete its expired entries or use another list",
	"dnc.records.per.list.limit.exceeded":               "the DNC list is full; delete its expired entries or use another list",
	"dnc.phone.numbers.per.organization.limit.exceeded": "the organization has reached its limit of DNC records",
	"dnc.records.per.organization.limit.exceeded":       "the organization has reached its limit of DNC records",
	"invalid.date":              "Genesys Cloud refused the expirationDateTime (sent as yyyy-MM-ddTHH:mmZ, UTC); check this host's clock",
	"invalid.date.value":        "Genesys Cloud refused the expirationDateTime (at most 180 days ahead); check this host's clock",
	"invalid.property":          "Genesys Cloud does not know a field of the request: the API changed",
	"invalid.query.param.value": "Genesys Cloud refused the request's parameters: the API changed",
}

// sizeCodes are refusals that may speak of the batch's size.
var sizeCodes = map[string]bool{"constraint.validation": true, "request.entity.too.large": true}

// send sends one request and settles its numbers in out. It returns the error that should stop the
// rest of the batch: a 429, or a fault of the deployment (also when probe is exhausted).
func (c *Client) send(ctx context.Context, op, u string, p part, out []error, probe *destination.Probe) (stop error) {
	if probe.Exhausted() {
		err := destination.Unsent(Dest, op)
		p.setAll(out, err)
		return err
	}
	action := "Add"
	if op == "remove" {
		action = "Remove"
	}
	r, err := c.c.do(ctx, op, http.MethodPatch, u, patchRequest{Action: action, PhoneNumbers: p.numbers, ExpirationDateTime: p.expires})
	if err != nil {
		p.setAll(out, err)
		return stopping(err)
	}
	switch {
	case r.Status/100 == 2:
		probe.Accepted()
		p.setAll(out, nil)
		return nil
	case r.Status == http.StatusBadRequest || r.Status == http.StatusRequestEntityTooLarge || r.Status == http.StatusUnprocessableEntity:
	default:
		err := statusError(op, r)
		p.setAll(out, err)
		return stopping(err)
	}
	code := r.apiError().Code
	if msg, ok := requestCodes[code]; ok {
		err := configError(op, r.Status, msg+describe(r))
		p.setAll(out, err)
		return err
	}
	if len(p.numbers) == 1 {
		// The API refused this number alone, with a code that does not name the request's fault.
		// Its codes do not name a number's content unambiguously either ("invalid.value" would read
		// the same for a format the API stopped taking), so the pusher decides whose fault it is.
		probe.Refused()
		p.setAll(out, &destination.Error{Kind: destination.Refused, Dest: Dest, Op: op, Status: r.Status, Record: true,
			Msg: "Genesys Cloud refused the number" + describe(r)})
		return nil
	}
	// The API refuses a request whole and may not say which number it minds: halve, so that one
	// bad number cannot fail the others.
	h := len(p.numbers) / 2
	if stop := c.send(ctx, op, u, p.sub(0, h), out, probe); stop != nil {
		p.sub(h, len(p.numbers)).setAll(out, stop)
		return stop
	}
	if stop := c.send(ctx, op, u, p.sub(h, len(p.numbers)), out, probe); stop != nil {
		return stop
	}
	if allOK(p, out) && (r.Status == http.StatusRequestEntityTooLarge || sizeCodes[code]) {
		c.lowerBatch(len(p.numbers) - h) // both halves passed: it was the size
	}
	return nil
}

// stopping is err when it should stop the rest of a batch, else nil.
func stopping(err error) error {
	if k := destination.KindOf(err); k == destination.RateLimited || k == destination.Config {
		return err
	}
	return nil
}

func allOK(p part, out []error) bool {
	for _, is := range p.idx {
		if out[is[0]] != nil {
			return false
		}
	}
	return true
}

// lowerBatch remembers a smaller request size after the API refused a larger one.
func (c *Client) lowerBatch(n int) {
	for {
		cur := c.maxBatch.Load()
		if int64(n) >= cur || n < 1 || c.maxBatch.CompareAndSwap(cur, int64(n)) {
			return
		}
	}
}
