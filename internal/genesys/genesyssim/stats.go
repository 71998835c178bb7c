package genesyssim

import "github.com/dncsync/dncsync/internal/simfault"

// Request kinds, the keys of Stats.Requests.
const (
	KindToken       = "token"       // POST /oauth/token (login host)
	KindPatch       = "patch"       // PATCH .../dnclists/{id}/phonenumbers
	KindGetList     = "getList"     // GET .../dnclists/{id}
	KindCampaigns   = "campaigns"   // GET /api/v2/outbound/campaigns
	KindExportStart = "exportStart" // POST .../dnclists/{id}/export
	KindExportGet   = "exportGet"   // GET .../dnclists/{id}/export
	KindDownload    = "download"    // GET /api/v2/downloads/{id}
	KindFile        = "file"        // GET /sim/files/{id} (the signed link; no limit, no faults)
	KindUnmatched   = "unmatched"   // a path or method the contract lacks, or the wrong host
)

// Stats is a snapshot of what the simulator has seen. /sim/ calls are not counted; the signed
// download links are counted under KindFile only.
type Stats struct {
	// Requests (by kind and status, 0: no answer reached the client), FaultsInjected and
	// MaxPerMinute, over the API calls (the token endpoint and signed links excluded).
	simfault.Counter
	TokensIssued int `json:"tokensIssued"`
	Unauthorized int `json:"unauthorized"` // API calls answered 401, injected or not
	RateLimited  int `json:"rateLimited"`  // API calls answered 429, from the bucket or injected
	Added        int `json:"added"`        // numbers put on a list
	Updated      int `json:"updated"`      // numbers added again (their expiry replaced)
	Removed      int `json:"removed"`      // numbers taken off a list (absent ones not counted)
	Exports      int `json:"exports"`      // exports started
	Downloads    int `json:"downloads"`    // download links issued
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.stats
	out.Counter = s.stats.Snapshot()
	return out
}
