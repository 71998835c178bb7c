// Package five9 is the Five9 destination: the domain's do-not-call list, written through Five9's
// Configuration Web Services (the SOAP admin API) with the domain's admin user in Basic
// authentication. A simulator sits beside it (five9sim).
//
// # Requests
//
//	POST {FIVE9_URL}   (default https://api.five9.com/wsadmin/v13/AdminWebService)
//	Authorization: Basic base64(FIVE9_USER:FIVE9_PASSWORD)
//	Content-Type: text/xml; charset=utf-8
//	SOAPAction: ""
//
//	<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="http://service.admin.ws.five9.com/">
//	  <env:Body><ser:addNumbersToDnc><numbers>4155552671</numbers>...</ser:addNumbersToDnc></env:Body></env:Envelope>
//
// addNumbersToDnc adds, removeNumbersFromDnc removes, checkDncForNumbers (at most 50,000 numbers)
// answers the numbers found on the list (dncsync check), getVCCConfiguration checks the login.
// Five9's list holds 10-digit North American numbers: +1 numbers are sent as their 10 digits, any
// other number is refused on its own (dead-lettered) without a request.
//
// # The window
//
// Five9 takes additions only from 23:00 to 06:00 Pacific time (package window). The client is
// destination.Windowed: outside the window the pusher holds the queue, claiming nothing and
// spending no attempt. The client closes its window 2 minutes early, so that no batch is still
// in flight at 06:00. Removals have no documented hours; the lane's queue is claimed as a whole,
// so they wait with the additions (a removal late by hours keeps a person off the calls longer,
// the safe side).
//
// # Answers
//
//   - 200 without a fault confirms every number of the request (an addition of a listed number,
//     a removal of an unlisted one, succeed).
//   - A fault naming the window (an addition at the edge of it): the numbers wait for the next
//     window without spending attempts.
//   - A fault naming access or permission, 401 and 403 are the deployment's: the numbers wait,
//     without spending attempts, while an operator is told (check FIVE9_USER, FIVE9_PASSWORD and
//     the user's DNC permission).
//   - 429 pauses every request (Retry-After, or a growing back-off), without spending attempts.
//   - A fault naming a number (Five9 answers one fault for the whole request) halves the request
//     until the number is alone; alone it is refused, and the pusher decides whose fault that is
//     (destination.Attribution): held until Five9 accepts another number, dead-lettered after.
//   - Other faults, 5xx, timeouts and lost answers are retried with back-off.
//   - 3xx (not followed: credentials go only where configured) and other 4xx are the deployment's.
package five9

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/five9/window"
)

// Dest names this destination in errors and logs.
const Dest = "five9"

// Defaults, each defined once.
const (
	DefaultURL = "https://api.five9.com/wsadmin/v13/AdminWebService"
	// DefaultMaxBatch is the numbers one request carries (FIVE9_MAX_BATCH).
	DefaultMaxBatch = 1000
	// MaxCheck is the most numbers checkDncForNumbers takes (Five9's guide).
	MaxCheck = 50000
	// DefaultRateLimitRPM is the ceiling of requests a minute (FIVE9_RATE_LIMIT_RPM): Five9
	// limits API requests per domain, and the admin API is shared with the domain's other tools.
	DefaultRateLimitRPM = 60
	// DefaultTimeout bounds one request (FIVE9_TIMEOUT).
	DefaultTimeout = 60 * time.Second
	// closeMargin ends the client's window before Five9's, so no batch is in flight at 06:00.
	closeMargin = 2 * time.Minute
)

// Config configures the client.
type Config struct {
	URL, User, Password string
	MaxBatch            int
	Timeout             time.Duration
	Pacer               destination.Pacer // required
	HTTP                *http.Client      // nil: a plain client; redirects are never followed
	// Clock, when set, is the time the window is read at instead of the wall's: a simulator's
	// clock (FIVE9_CLOCK_URL, for demos and tests only).
	Clock func() time.Time
}

// Client is the Five9 destination.
type Client struct {
	cfg  Config
	http *http.Client
}

var (
	_ destination.Client   = (*Client)(nil)
	_ destination.Windowed = (*Client)(nil)
	_ destination.Checker  = (*Client)(nil)
)

// New returns a client of cfg (checked by Settings.Validate).
func New(cfg Config) *Client {
	if cfg.URL == "" {
		cfg.URL = DefaultURL
	}
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = DefaultMaxBatch
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	hc := &http.Client{}
	if cfg.HTTP != nil {
		c := *cfg.HTTP
		hc = &c
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Client{cfg: cfg, http: hc}
}

// Window is Five9's window for additions at now, closing closeMargin early. With Config.Clock set
// (FIVE9_CLOCK_URL: a simulator's clock, for demos and tests) it is read at the clock's time
// instead of now.
func (c *Client) Window(now time.Time) (bool, time.Time) {
	now = c.now(now)
	open, at := window.Adds(now)
	if !open {
		return false, at
	}
	if open, at = window.Adds(now.Add(closeMargin)); !open {
		return false, at // in the margin before 06:00: the next window, tonight
	}
	return true, time.Time{}
}

func (c *Client) now(now time.Time) time.Time {
	if c.cfg.Clock != nil {
		return c.cfg.Clock()
	}
	return now
}

// Login checks the credentials with a read-only call (getVCCConfiguration).
func (c *Client) Login(ctx context.Context) error {
	_, err := c.call(ctx, "login", opConfig, nil)
	return err
}

// Add puts contacts on the domain's DNC list. Five9 keeps no expiry, so every ExpiresAt is
// cleared: the evidence shows the list was told none.
func (c *Client) Add(ctx context.Context, contacts []destination.Contact) []error {
	for i := range contacts {
		contacts[i].ExpiresAt = time.Time{}
	}
	if open, at := c.Window(time.Now()); !open {
		out := make([]error, len(contacts))
		for i := range out {
			out[i] = windowError(at, c.now(time.Now()))
		}
		return out
	}
	return c.write(ctx, "add", opAdd, contacts)
}

// Remove takes contacts off the list; a number not on it is a success.
func (c *Client) Remove(ctx context.Context, contacts []destination.Contact) []error {
	return c.write(ctx, "remove", opRemove, contacts)
}

// Check answers whether number (E.164) is on the list (checkDncForNumbers).
func (c *Client) Check(ctx context.Context, number string) (destination.Listing, error) {
	n, err := national(number)
	if err != nil {
		return destination.Listing{}, err
	}
	found, err := c.call(ctx, "check", opCheck, []string{n})
	if err != nil {
		return destination.Listing{}, err
	}
	listed := false
	for _, f := range found {
		listed = listed || f == n
	}
	text := number + " is not on Five9's DNC list"
	if listed {
		text = number + " is on Five9's DNC list"
	}
	return destination.Listing{Listed: listed, Text: text, Detail: map[string]any{"number": n, "listed": listed}}, nil
}

// write sends contacts in requests of MaxBatch numbers; every number of a request shares its
// outcome. A number Five9's list cannot hold fails alone, without a request.
func (c *Client) write(ctx context.Context, op, soapOp string, contacts []destination.Contact) []error {
	out := make([]error, len(contacts))
	var nums []string
	var idx []int
	for i, ct := range contacts {
		n, err := national(ct.Number)
		if err != nil {
			out[i] = err
			continue
		}
		nums, idx = append(nums, n), append(idx, i)
	}
	var probe destination.Probe
	var stop error
	for lo := 0; lo < len(nums); lo += c.cfg.MaxBatch {
		hi := min(lo+c.cfg.MaxBatch, len(nums))
		if stop != nil {
			// A 429, the window or a deployment's fault: the rest would meet the same.
			setAll(out, idx[lo:hi], stop)
			continue
		}
		stop = c.send(ctx, op, soapOp, nums[lo:hi], idx[lo:hi], out, &probe)
	}
	return out
}

// send sends one request and settles its numbers in out. A fault that refuses a number without
// saying which (Five9 answers one fault for the request) is halved until the number is alone, so
// that one number cannot fail the others; alone, it is Refused and the pusher decides whose fault
// it is. It returns the error that should stop the rest of the batch.
func (c *Client) send(ctx context.Context, op, soapOp string, nums []string, idx []int, out []error, probe *destination.Probe) (stop error) {
	if probe.Exhausted() {
		err := destination.Unsent(Dest, op)
		setAll(out, idx, err)
		return err
	}
	_, err := c.call(ctx, op, soapOp, nums)
	switch k := destination.KindOf(err); {
	case err == nil:
		probe.Accepted()
	case k != destination.Refused:
		setAll(out, idx, err)
		if k == destination.RateLimited || k == destination.Config {
			return err
		}
		return nil
	case len(nums) == 1:
		probe.Refused()
	default:
		h := len(nums) / 2
		if stop := c.send(ctx, op, soapOp, nums[:h], idx[:h], out, probe); stop != nil {
			setAll(out, idx[h:], stop)
			return stop
		}
		return c.send(ctx, op, soapOp, nums[h:], idx[h:], out, probe)
	}
	setAll(out, idx, err)
	return nil
}

func setAll(out []error, idx []int, err error) {
	for _, i := range idx {
		out[i] = err
	}
}

// national is the 10 digits Five9's list holds of an E.164 number of the North American plan.
func national(number string) (string, error) {
	if len(number) == 12 && strings.HasPrefix(number, "+1") && strings.Trim(number[2:], "0123456789") == "" {
		return number[2:], nil
	}
	return "", &destination.Error{Kind: destination.Permanent, Dest: Dest, Op: "number", Record: true,
		Msg: "Five9's DNC list holds 10-digit North American numbers (+1) only"}
}

// windowError is an addition outside the window: it waits until the window opens, spending no
// attempt (RateLimited, without pausing the pacer: removals and checks may go on).
func windowError(opensAt, now time.Time) *destination.Error {
	return &destination.Error{Kind: destination.RateLimited, Dest: Dest, Op: "add", RetryAfter: max(opensAt.Sub(now), time.Second),
		Msg: "outside Five9's window for additions (23:00 to 06:00 PT); opens " + destination.Opens(opensAt)}
}
