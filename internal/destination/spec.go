package destination

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/doctor"
	"github.com/dncsync/dncsync/internal/setting"
)

// A destination is a plug-in: its package exports one Spec, and one line in the registry
// (internal/app/registry.go) lists it. Configuration, lanes, the doctor, the demo, reconcile, the
// settings reference and --help all come from the registry, so adding a destination is one package
// and one line.

// Spec describes a destination.
type Spec struct {
	// Name is the word of DNCSYNC_DESTINATIONS, the metric label and the store's lane: "cxone".
	Name string
	// Title names it for people, in messages, the status page and help: "NICE CXone".
	Title string
	// Bind declares the destination's settings on s (each an environment variable and a flag; the
	// caller puts them under the group "destination NAME") and returns what they fill in.
	Bind func(s *setting.Set) Settings
}

// Group is the settings group of the destination: "destination NAME".
func (s Spec) Group() string { return "destination " + s.Name }

// DefaultScope is every destination's scope filter unless set: every channel, purpose and brand.
const DefaultScope = "all"

// BindScope declares the destination's scope filter on set, the same for every destination:
// NAME_SCOPE (--NAME-scope), read by consent.ParseFilter.
func (s Spec) BindScope(set *setting.Set, p *string) *setting.Setting {
	return set.String(p, s.Name+"-scope", s.ScopeEnv(), DefaultScope,
		"what this destination's list is for: a channel (voice, sms, email or all), optionally /purpose and /brand "+
			"(e.g. sms, voice/marketing, all//acme); it receives the opt-outs that reach that scope (under revoke-all, "+
			"any opt-out reaches voice and sms) and the consents that restore all of it")
}

// ScopeEnv is the variable of the destination's scope filter: "GENESYS_SCOPE".
func (s Spec) ScopeEnv() string { return strings.ToUpper(s.Name) + "_SCOPE" }

// Settings are a destination's configuration, as its settings filled it. (The name Config is the
// failure Kind's.)
type Settings interface {
	// Validate reports every problem, each naming the variable to set. It sends nothing.
	Validate() error
	// Pace is its ceiling of requests and its batch size.
	Pace() Pace
	// New builds the client; call it after Validate.
	New(d Deps) (Client, error)
}

// Pace is what the pusher needs to drain a destination at its limit.
type Pace struct {
	RPM      int // the ceiling of requests a minute the pace adapts under
	MaxBatch int // numbers per request
}

// Deps are what a destination's client is built with.
type Deps struct {
	Pacer Pacer        // gates every request (required)
	HTTP  *http.Client // sends them; nil: a plain client
	Log   *slog.Logger // nil: slog's default
	Now   func() time.Time
}

// The optional capabilities, found by a small interface on the Settings or the Client (as io.WriterTo
// is on a Reader). A client whose type has a capability but whose configuration cannot use it (a
// profile without that API) answers an error wrapping ErrUnsupported that says what to set.

// Doctor is a Settings that checks a setup the way dncsync will use it (`dncsync doctor`), after
// its settings passed Validate: each check prints ok, FAIL: what to fix, or SKIP. It changes
// nothing on the destination. Without it, the doctor checks the login alone.
type Doctor interface {
	Doctor(ctx context.Context, d Deps, r *doctor.Report)
}

// Canary is a Settings whose doctor can prove a write: it adds number (E.164, a test number the
// operator owns), finds it, and takes it off again (`dncsync doctor --canary`).
type Canary interface {
	Canary(ctx context.Context, d Deps, r *doctor.Report, number string)
}

// Lister is a Client that reads its whole list, for reconcile.
type Lister interface {
	List(ctx context.Context, fn func(Listed) error) error
}

// Listed is one number on a destination's list.
type Listed struct {
	Number string // E.164
}

// Checker is a Client that answers whether one number is on its list (`dncsync check`).
type Checker interface {
	Check(ctx context.Context, number string) (Listing, error)
}

// Listing is a Checker's answer.
type Listing struct {
	Listed bool
	Text   string // one line for people: "+14155552671 is on 1 DNC group(s)"
	Detail any    // the destination's own answer, for --json
}

// Subscriber is a Client that registers an event subscription posting opt-outs to dncsync's
// webhook (`dncsync subscribe`); it returns the subscription's id.
type Subscriber interface {
	Subscribe(ctx context.Context, name, callbackURL string) (id string, err error)
}

// Simulator is a Settings that can point itself at a simulator of its platform started on
// loopback (`dncsync demo`). It returns what the demo prints about it (where it runs, how to look
// at it) and the simulator's stop.
type Simulator interface {
	Simulate(ctx context.Context, d Deps) (about string, stop func(), err error)
}

// ErrUnsupported is wrapped by a capability that the destination's configuration cannot use.
var ErrUnsupported = errors.New("not supported")
