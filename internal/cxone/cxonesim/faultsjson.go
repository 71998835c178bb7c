package cxonesim

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// faultsJSON is the wire form of Faults used by /sim/faults.
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

// MarshalJSON encodes f with camelCase keys and SlowDelay as a Go duration
// string ("250ms"), the form /sim/faults accepts.
func (f Faults) MarshalJSON() ([]byte, error) {
	delay, _ := json.Marshal(f.SlowDelay.String())
	return json.Marshal(faultsJSON{
		RateLimit429: f.RateLimit429, RetryAfter: f.RetryAfter, ServerError: f.ServerError,
		Slow: f.Slow, SlowDelay: delay, LostAfterApply: f.LostAfterApply,
		ExpireTokens: f.ExpireTokens, HTMLError: f.HTMLError,
	})
}

// UnmarshalJSON decodes the MarshalJSON form. Keys must be spelt exactly;
// missing keys are zero. slowDelay is a Go duration string ("1.5s") or a
// number of milliseconds (1500). Probabilities must lie in 0..1.
func (f *Faults) UnmarshalJSON(b []byte) error {
	if err := checkKeys(b, faultsKeys...); err != nil {
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
	out := Faults{
		RateLimit429: w.RateLimit429, RetryAfter: w.RetryAfter, ServerError: w.ServerError,
		Slow: w.Slow, SlowDelay: delay, LostAfterApply: w.LostAfterApply,
		ExpireTokens: w.ExpireTokens, HTMLError: w.HTMLError,
	}
	probs := map[string]float64{
		"rateLimit429": out.RateLimit429, "serverError": out.ServerError, "slow": out.Slow,
		"lostAfterApply": out.LostAfterApply, "expireTokens": out.ExpireTokens, "htmlError": out.HTMLError,
	}
	for _, k := range faultsKeys {
		if p, ok := probs[k]; ok && (p < 0 || p > 1) {
			return fmt.Errorf("%s: probability %v outside 0..1", k, p)
		}
	}
	*f = out
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
