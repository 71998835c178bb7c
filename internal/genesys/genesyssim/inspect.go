package genesyssim

import (
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"

	"github.com/dncsync/dncsync/internal/simfault"
)

// SetFaults replaces the active faults; probabilities are clamped to 0..1. It takes effect for
// requests admitted afterwards.
func (s *Server) SetFaults(f simfault.Faults) {
	s.mu.Lock()
	s.faults = f.Clamp()
	s.mu.Unlock()
	s.logf("genesyssim: faults set to %+v", f)
}

// Faults returns the active faults.
func (s *Server) Faults() simfault.Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// AddList creates another DNC list (e.g. a dnc.com list, or an Email one, to test a client's
// checks). An existing ID is replaced, empty.
func (s *Server) AddList(info ListInfo) {
	s.mu.Lock()
	s.lists[info.ID] = newList(info, s.now())
	s.mu.Unlock()
}

// List returns the numbers that block calls now on the default list, sorted.
func (s *Server) List() []string {
	now := s.now()
	var out []string
	for _, e := range s.Entries() {
		if e.Active(now) {
			out = append(out, e.Number)
		}
	}
	return out
}

// Entries returns every entry of the default list, expired ones too, sorted by number.
func (s *Server) Entries() []Entry { return s.ListEntries(s.cfg.DNCListID) }

// ListEntries is Entries of any list; nil for an unknown one.
func (s *Server) ListEntries(id string) []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[id]
	if l == nil {
		return nil
	}
	out := make([]Entry, 0, len(l.entries))
	for _, n := range slices.Sorted(maps.Keys(l.entries)) {
		out = append(out, *l.entries[n])
	}
	return out
}

// Entry returns one entry of the default list.
func (s *Server) Entry(number string) (Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.lists[s.cfg.DNCListID].entries[number]
	if e == nil {
		return Entry{}, false
	}
	return *e, true
}

// Has reports whether number blocks calls now on the default list.
func (s *Server) Has(number string) bool {
	e, ok := s.Entry(number)
	return ok && e.Active(s.now())
}

// Seed puts numbers on the default list without an expiry, behind the client's back.
func (s *Server) Seed(numbers ...string) {
	es := make([]Entry, len(numbers))
	for i, n := range numbers {
		es[i] = Entry{Number: n}
	}
	s.SeedEntries(es...)
}

// SeedEntries puts entries on the default list as given (AddedAt and UpdatedAt default to now).
func (s *Server) SeedEntries(entries ...Entry) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	l := s.lists[s.cfg.DNCListID]
	for _, e := range entries {
		if e.AddedAt.IsZero() {
			e.AddedAt = now
		}
		if e.UpdatedAt.IsZero() {
			e.UpdatedAt = now
		}
		l.entries[e.Number] = &e
	}
}

// Delete takes numbers off the default list behind the client's back.
func (s *Server) Delete(numbers ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, n := range numbers {
		delete(s.lists[s.cfg.DNCListID].entries, n)
	}
}

// routeInspect mounts the /sim/ routes for tests that drive a separate process: no token, no
// rate limit, no faults, not counted.
//
//	GET  /sim/list           {"numbers":["+1...", ...]}  (blocking now)
//	GET  /sim/entries        {"entries":[Entry, ...]}    (expired ones too)
//	GET  /sim/stats          Stats
//	GET  /sim/faults         Faults
//	POST /sim/faults         Faults; replaces all, omitted keys are 0   -> 204
//	POST /sim/seed           {"numbers":[...]}, E.164 only             -> 204
//	POST /sim/delete         {"numbers":[...]}                         -> 204
//	POST /sim/revoke-tokens                                            -> 204
func (s *Server) routeInspect() {
	s.api.HandleFunc("GET /sim/list", func(w http.ResponseWriter, _ *http.Request) {
		simfault.JSON(http.StatusOK, numbersBody{Numbers: s.List()}).Write(w)
	})
	s.api.HandleFunc("GET /sim/entries", func(w http.ResponseWriter, _ *http.Request) {
		simfault.JSON(http.StatusOK, struct {
			Entries []Entry `json:"entries"`
		}{s.Entries()}).Write(w)
	})
	s.api.HandleFunc("GET /sim/stats", func(w http.ResponseWriter, _ *http.Request) {
		simfault.JSON(http.StatusOK, s.Stats()).Write(w)
	})
	s.api.HandleFunc("GET /sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		simfault.JSON(http.StatusOK, s.Faults()).Write(w)
	})
	s.api.HandleFunc("POST /sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f simfault.Faults
		if !decodeSim(w, r, &f) {
			return
		}
		s.SetFaults(f)
		w.WriteHeader(http.StatusNoContent)
	})
	s.api.HandleFunc("POST /sim/seed", func(w http.ResponseWriter, r *http.Request) {
		var b numbersBody
		if !decodeSim(w, r, &b, "numbers") {
			return
		}
		for _, n := range b.Numbers {
			if !e164.MatchString(n) {
				http.Error(w, "not an E.164 number", http.StatusBadRequest)
				return
			}
		}
		s.Seed(b.Numbers...)
		w.WriteHeader(http.StatusNoContent)
	})
	s.api.HandleFunc("POST /sim/delete", func(w http.ResponseWriter, r *http.Request) {
		var b numbersBody
		if !decodeSim(w, r, &b, "numbers") {
			return
		}
		s.Delete(b.Numbers...)
		w.WriteHeader(http.StatusNoContent)
	})
	s.api.HandleFunc("POST /sim/revoke-tokens", func(w http.ResponseWriter, _ *http.Request) {
		s.RevokeTokens()
		w.WriteHeader(http.StatusNoContent)
	})
}

type numbersBody struct {
	Numbers []string `json:"numbers"`
}

// decodeSim reads a /sim/ body; with keys given, others are refused so that a typo in a test's
// setup fails loudly.
func decodeSim(w http.ResponseWriter, r *http.Request, v any, keys ...string) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err == nil && len(keys) > 0 {
		err = simfault.CheckKeys(b, keys...)
	}
	if err == nil {
		err = json.Unmarshal(b, v)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return false
	}
	return true
}
