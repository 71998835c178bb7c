// Package simfault is the fault model the simulators of the newer destinations share (genesyssim,
// webhooksim): per-request fault probabilities rolled with a seeded generator, token-bucket rate
// limits, request accounting, and the HTTP moves that make a fault look real (an HTML gateway
// page, a dropped connection, a slow answer). It is the model cxonesim introduced, in a form that
// a simulator of any vendor can embed. Nothing here is safe for concurrent use: each simulator
// guards it with its own lock.
package simfault

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"time"
)

// Faults are probabilities (0..1) of misbehaviour, rolled once per request a simulator subjects to
// faults (never its login or inspection routes). At most one of the answering faults
// (ExpireTokens, RateLimit429, ServerError, HTMLError, LostAfterApply) applies to a request,
// checked in that order; Slow combines with any of them.
type Faults struct {
	// RateLimit429 answers 429 even though the bucket has room.
	RateLimit429 float64
	// RetryAfter is the Retry-After header of injected 429s: "" omits it, RetryAfterDate sends an
	// HTTP-date 2 s ahead, anything else is sent verbatim (e.g. "2", or garbage to test a parser).
	RetryAfter string
	// ServerError answers 500, 502 or 503 (chosen at random) before the request is applied.
	ServerError float64
	// Slow delays the answer by SlowDelay, before the request is applied: a client that times out
	// meanwhile changes nothing.
	Slow      float64
	SlowDelay time.Duration
	// LostAfterApply applies the request, then closes the connection without answering: the
	// client cannot tell whether it took effect and must converge on retry.
	LostAfterApply float64
	// ExpireTokens answers 401 to a valid token and invalidates it, as if it expired early.
	// Simulators without tokens ignore it.
	ExpireTokens float64
	// HTMLError answers 502 with an HTML body, like a misbehaving gateway.
	HTMLError float64
}

// RetryAfterDate, as Faults.RetryAfter, sends an HTTP-date instead of seconds.
const RetryAfterDate = "date"

// Fault kinds, the keys of Counter.FaultsInjected. They match the JSON field names of Faults.
const (
	FaultRateLimit429   = "rateLimit429"
	FaultServerError    = "serverError"
	FaultSlow           = "slow"
	FaultLostAfterApply = "lostAfterApply"
	FaultExpireTokens   = "expireTokens"
	FaultHTMLError      = "htmlError"
)

// Clamp returns f with every probability within 0..1.
func (f Faults) Clamp() Faults {
	for _, p := range []*float64{&f.RateLimit429, &f.ServerError, &f.Slow, &f.LostAfterApply, &f.ExpireTokens, &f.HTMLError} {
		*p = min(max(*p, 0), 1)
	}
	return f
}

// Roll is the fault outcome for one request.
type Roll struct {
	ExpireToken bool
	RateLimit   bool
	ServerError int // status code; 0: none
	HTML        bool
	Lost        bool
	Slow        time.Duration // 0: no delay
}

var serverErrorCodes = [...]int{http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable}

// Dice rolls faults with a seeded generator, so that a fixed seed and request order give the same
// faults.
type Dice struct{ rng *rand.Rand }

// NewDice returns dice seeded with seed.
func NewDice(seed int64) *Dice {
	return &Dice{rng: rand.New(rand.NewPCG(uint64(seed), uint64(seed)^0x9e3779b97f4a7c15))}
}

// Roll decides the faults for one request. It always draws the same number of values, so that
// changing one probability does not reshuffle the others' outcomes.
func (d *Dice) Roll(f Faults) Roll {
	var draws [7]float64
	for i := range draws {
		draws[i] = d.rng.Float64()
	}
	var out Roll
	if draws[0] < f.Slow && f.SlowDelay > 0 {
		out.Slow = f.SlowDelay
	}
	switch {
	case draws[1] < f.ExpireTokens:
		out.ExpireToken = true
	case draws[2] < f.RateLimit429:
		out.RateLimit = true
	case draws[3] < f.ServerError:
		out.ServerError = serverErrorCodes[int(draws[4]*float64(len(serverErrorCodes)))]
	case draws[5] < f.HTMLError:
		out.HTML = true
	case draws[6] < f.LostAfterApply:
		out.Lost = true
	}
	return out
}

// InjectedRetryAfter is the Retry-After value of an injected 429 under f, "" for none.
func (f Faults) InjectedRetryAfter(now time.Time) string {
	switch f.RetryAfter {
	case "":
		return ""
	case RetryAfterDate:
		return now.Add(2 * time.Second).UTC().Format(http.TimeFormat)
	}
	return f.RetryAfter
}

// faultsJSON is the wire form of Faults used by the simulators' /sim/faults.
type faultsJSON struct {
	RateLimit429   float64         `json:"rateLimit429"`
	RetryAfter     string          `json:"retryAfter"`
	ServerError    float64         `json:"serverError"`
	Slow           float64         `json:"slow"`
	SlowDelay      json.RawMessage `json:"slowDelay"`
	LostAfterApply float64         `json:"lostAfterApply"`
	ExpireTokens   float64         `json:"expireTokens"`
	HTMLError      float64         `json:"htmlError"`
}

var faultsKeys = []string{"rateLimit429", "retryAfter", "serverError", "slow", "slowDelay", "lostAfterApply", "expireTokens", "htmlError"}

// MarshalJSON encodes f with camelCase keys and SlowDelay as a Go duration string ("250ms").
func (f Faults) MarshalJSON() ([]byte, error) {
	delay, _ := json.Marshal(f.SlowDelay.String())
	return json.Marshal(faultsJSON{
		RateLimit429: f.RateLimit429, RetryAfter: f.RetryAfter, ServerError: f.ServerError,
		Slow: f.Slow, SlowDelay: delay, LostAfterApply: f.LostAfterApply,
		ExpireTokens: f.ExpireTokens, HTMLError: f.HTMLError,
	})
}

// UnmarshalJSON decodes the MarshalJSON form. Keys must be spelt exactly; missing keys are zero.
// slowDelay is a Go duration string ("1.5s") or a number of milliseconds (1500). Probabilities
// must lie in 0..1.
func (f *Faults) UnmarshalJSON(b []byte) error {
	if err := CheckKeys(b, faultsKeys...); err != nil {
		return err
	}
	var w faultsJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	delay, err := parseDelay(w.SlowDelay)
	if err != nil {
		return err
	}
	for k, p := range map[string]float64{"rateLimit429": w.RateLimit429, "serverError": w.ServerError, "slow": w.Slow,
		"lostAfterApply": w.LostAfterApply, "expireTokens": w.ExpireTokens, "htmlError": w.HTMLError} {
		if p < 0 || p > 1 {
			return fmt.Errorf("%s: probability %v outside 0..1", k, p)
		}
	}
	*f = Faults{RateLimit429: w.RateLimit429, RetryAfter: w.RetryAfter, ServerError: w.ServerError,
		Slow: w.Slow, SlowDelay: delay, LostAfterApply: w.LostAfterApply, ExpireTokens: w.ExpireTokens, HTMLError: w.HTMLError}
	return nil
}

func parseDelay(raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var str string
	if err := json.Unmarshal(raw, &str); err == nil {
		d, err := time.ParseDuration(str)
		if err != nil || d < 0 {
			return 0, fmt.Errorf("slowDelay: want a non-negative duration, got %q", str)
		}
		return d, nil
	}
	ms, err := strconv.ParseFloat(string(raw), 64)
	if err != nil || ms < 0 {
		return 0, fmt.Errorf("slowDelay: want a duration string or milliseconds, got %s", raw)
	}
	return time.Duration(ms * float64(time.Millisecond)), nil
}

// CheckKeys refuses a JSON object with keys other than those given, or keys spelt in another
// case: encoding/json would otherwise accept them silently, and a strict simulator must not.
func CheckKeys(b []byte, keys ...string) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	allowed := make(map[string]bool, len(keys))
	for _, k := range keys {
		allowed[k] = true
	}
	for k := range m {
		if !allowed[k] {
			return fmt.Errorf("unknown field %q", k)
		}
	}
	return nil
}
