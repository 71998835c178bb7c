package destination_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/destination/destinationtest"
	"github.com/dncsync/dncsync/internal/destination/httpcall"
	"github.com/dncsync/dncsync/internal/setting"
)

// ledgerSpec is a minimal destination, "ledger": a service that takes {"add":[numbers]} and
// {"remove":[numbers]} as POSTs to one URL. A real one lives in its own package (internal/ledger,
// its Spec in spec.go) with one line in internal/app/registry.go, and a simulator beside it.
var ledgerSpec = destination.Spec{Name: "ledger", Title: "a ledger", Bind: bindLedger}

// ledgerSettings are what its settings fill in; each is an environment variable and a flag,
// declared once, with its default.
type ledgerSettings struct {
	URL     string
	RPM     int
	Timeout time.Duration
}

func bindLedger(s *setting.Set) destination.Settings {
	c := &ledgerSettings{}
	s.String(&c.URL, "ledger-url", "DNCSYNC_LEDGER_URL", "", "URL the ledger takes POSTs at").Require("with ledger in DNCSYNC_DESTINATIONS")
	s.Int(&c.RPM, "ledger-rate-limit-rpm", "DNCSYNC_LEDGER_RATE_LIMIT_RPM", 600, "ceiling of requests a minute to the ledger")
	s.Duration(&c.Timeout, "ledger-timeout", "DNCSYNC_LEDGER_TIMEOUT", 10*time.Second, "bound of one ledger request")
	return c
}

// Validate names the variable to set for each problem, and sends nothing.
func (c *ledgerSettings) Validate() error {
	if !strings.HasPrefix(c.URL, "https://") && !strings.HasPrefix(c.URL, "http://127.0.0.1") {
		return errors.New("DNCSYNC_LEDGER_URL must be an https URL")
	}
	return nil
}

func (c *ledgerSettings) Pace() destination.Pace { return destination.Pace{RPM: c.RPM, MaxBatch: 100} }

// New builds the client. Its requests go through httpcall: the pacer, Retry-After, redirected
// writes refused, transport errors redacted.
func (c *ledgerSettings) New(d destination.Deps) (destination.Client, error) {
	return &ledger{url: c.URL, call: httpcall.New(httpcall.Config{Dest: "ledger", HTTP: d.HTTP, Pacer: d.Pacer,
		Timeout: c.Timeout, URLHint: "check DNCSYNC_LEDGER_URL"})}, nil
}

type ledger struct {
	url  string
	call *httpcall.Caller
}

func (l *ledger) Add(ctx context.Context, cs []destination.Contact) []error {
	return l.send(ctx, "add", cs)
}

func (l *ledger) Remove(ctx context.Context, cs []destination.Contact) []error {
	return l.send(ctx, "remove", cs)
}

func (l *ledger) Login(ctx context.Context) error { return ctx.Err() }

// send posts the batch and gives every contact the outcome: nil when confirmed, else an
// *destination.Error whose Kind tells the pusher what to do (retry, wait, dead-letter).
func (l *ledger) send(ctx context.Context, op string, cs []destination.Contact) []error {
	numbers := make([]string, len(cs))
	for i, c := range cs {
		numbers[i] = c.Number
	}
	r, err := l.call.Do(ctx, op, http.MethodPost, l.url, map[string][]string{op: numbers})
	switch {
	case err != nil: // a 429 (RateLimited), no answer (Transient), a redirect (Config)
	case r.Status/100 == 2:
	case r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden:
		err = &destination.Error{Kind: destination.Config, Dest: "ledger", Op: op, Status: r.Status, Msg: "check the ledger's credentials"}
	default:
		err = &destination.Error{Kind: destination.Transient, Dest: "ledger", Op: op, Status: r.Status,
			Msg: "unexpected answer: " + destination.ShortText(string(r.Body))}
	}
	out := make([]error, len(cs))
	for i := range out {
		out[i] = err
	}
	return out
}

// How a test calls a destination: its simulator on loopback (here a few lines of httptest), its
// settings set as an operator would, and the client built as the service builds it, with a pacer
// that lets every request through.
func Example() {
	var mu sync.Mutex
	var list []string
	sim := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string][]string
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			http.Error(w, "not JSON", http.StatusBadRequest)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		if len(list)+len(body["add"]) > 2 { // its limit, to show a refusal
			w.Header().Set("Retry-After", "30")
			http.Error(w, "slow down", http.StatusTooManyRequests)
			return
		}
		list = append(list, body["add"]...)
		list = slices.DeleteFunc(list, func(n string) bool { return slices.Contains(body["remove"], n) })
		w.WriteHeader(http.StatusNoContent)
	}))
	defer sim.Close()

	set := setting.New("").Group(ledgerSpec.Group())
	settings := ledgerSpec.Bind(set)
	fmt.Println("unset:", settings.Validate())
	if err := set.Lookup("DNCSYNC_LEDGER_URL").Set(sim.URL); err != nil { // or --ledger-url
		log.Fatal(err)
	}
	if err := settings.Validate(); err != nil {
		log.Fatal(err)
	}
	client, err := settings.New(destination.Deps{Pacer: &destinationtest.Pacer{}})
	if err != nil {
		log.Fatal(err)
	}

	ctx := context.Background()
	fmt.Println("add:", client.Add(ctx, []destination.Contact{{Number: "+14155552671"}, {Number: "+14155552672"}}))
	fmt.Println("remove:", client.Remove(ctx, []destination.Contact{{Number: "+14155552672"}}))
	errs := client.Add(ctx, []destination.Contact{{Number: "+14155552673"}, {Number: "+14155552674"}})
	var e *destination.Error
	if errors.As(errs[0], &e) {
		fmt.Println("add past the limit:", e.Kind, "for", e.RetryAfter)
	}
	mu.Lock()
	fmt.Println("list:", list)
	mu.Unlock()
	// Output:
	// unset: DNCSYNC_LEDGER_URL must be an https URL
	// add: [<nil> <nil>]
	// remove: [<nil>]
	// add past the limit: rate_limited for 30s
	// list: [+14155552671]
}
