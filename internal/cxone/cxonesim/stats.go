package cxonesim

import (
	"maps"
	"time"
)

// Request kinds, the keys of Stats.Requests.
const (
	KindToken       = kindToken
	KindV2Add       = kindV2Add
	KindV2Upsert    = kindV2Upsert
	KindV2Remove    = kindV2Remove
	KindV2Subscribe = kindV2Subscribe
	KindUnmatched   = kindUnmatched // a path or method the contract lacks

	KindAdminToken         = kindAdminToken         // POST /authentication/v1/token/access-key
	KindAdminPasswordToken = kindAdminPasswordToken // POST /auth/token (password grant)
	KindAdminOpenID        = kindAdminOpenID        // GET /.well-known/openid-configuration
	KindAdminDiscovery     = kindAdminDiscovery     // GET /.well-known/cxone-configuration
	KindAdminAdd           = kindAdminAdd           // POST .../dnc-groups/{id}/records
	KindAdminRemove        = kindAdminRemove        // DELETE .../dnc-groups/{id}/records
	KindAdminList          = kindAdminList          // GET .../dnc-groups/{id}/records
	KindAdminSearch        = kindAdminSearch        // POST .../dnc-groups/search
)

const kindUnmatched = "unmatched"

// window is the span Stats.MaxPerMinute measures, matching the vendor's
// per-minute limit.
const window = time.Minute

// Stats is a snapshot of what the simulator has seen. /sim/ calls are not
// counted.
type Stats struct {
	// Requests counts answers by request kind and status code. Status 0
	// means the client got no response (LostAfterApply, or it hung up
	// during a slow fault).
	Requests map[string]map[int]int `json:"requests"`
	// TokensIssued counts successful token requests of either profile.
	TokensIssued int `json:"tokensIssued"`
	// Unauthorized counts API calls answered 401, injected or not.
	Unauthorized int `json:"unauthorized"`
	// RateLimited counts API calls answered 429, from the bucket or injected
	// (FaultsInjected[FaultRateLimit429] tells them apart).
	RateLimited int `json:"rateLimited"`
	// Added counts numbers put on the list by add requests (either profile).
	Added int `json:"added"`
	// Updated counts admin add records for numbers already listed (their
	// expiredDate is replaced; the vendor reports them as successes).
	Updated int `json:"updated"`
	// Upserts counts applied v2 upserts (creates and updates).
	Upserts int `json:"upserts"`
	// Removes counts numbers taken off the list by remove requests (either
	// profile; admin removes of absent numbers are not counted).
	Removes int `json:"removes"`
	// RecordErrors counts admin add and remove records answered with
	// success false (invalid phone number or expiredDate).
	RecordErrors int `json:"recordErrors"`
	// Conflicts counts v2 add requests refused with 409.
	Conflicts int `json:"conflicts"`
	// Subscriptions counts event subscriptions created.
	Subscriptions int `json:"subscriptions"`
	// FaultsInjected counts faults that took effect, by Fault* kind.
	FaultsInjected map[string]int `json:"faultsInjected"`
	// MaxPerMinute is the most API calls (token, login and discovery
	// endpoints excluded, rejected calls included) received in any 60-second
	// window, so tests can assert a client's pacing.
	MaxPerMinute int `json:"maxPerMinute"`
}

// statsState is Stats plus what is needed to maintain it. The Server's lock
// guards it.
type statsState struct {
	Stats
	recent []time.Time // arrival times of API calls within the last window
}

func newStatsState() statsState {
	return statsState{Stats: Stats{Requests: map[string]map[int]int{}, FaultsInjected: map[string]int{}}}
}

func (st *statsState) record(kind string, status int) {
	m := st.Requests[kind]
	if m == nil {
		m = map[int]int{}
		st.Requests[kind] = m
	}
	m[status]++
}

func (st *statsState) fault(kind string) { st.FaultsInjected[kind]++ }

// observe notes an API call arriving at now. The busiest window always ends
// at some arrival, so checking the window ending at each arrival finds it.
func (st *statsState) observe(now time.Time) {
	cut := 0
	for cut < len(st.recent) && !st.recent[cut].After(now.Add(-window)) {
		cut++
	}
	st.recent = append(st.recent[cut:], now)
	st.MaxPerMinute = max(st.MaxPerMinute, len(st.recent))
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats.Stats
	out.Requests = make(map[string]map[int]int, len(s.stats.Requests))
	for k, m := range s.stats.Requests {
		out.Requests[k] = maps.Clone(m)
	}
	out.FaultsInjected = maps.Clone(s.stats.FaultsInjected)
	return out
}
