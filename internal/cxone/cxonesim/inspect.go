package cxonesim

import (
	"encoding/json"
	"io"
	"net/http"
)

// routeInspect mounts the /sim/ routes listed in the package doc.
func (s *Server) routeInspect() {
	s.mux.HandleFunc("GET /sim/entries", func(w http.ResponseWriter, _ *http.Request) {
		jsonReply(http.StatusOK, struct {
			Entries []Entry `json:"entries"`
		}{s.Entries()}).write(w)
	})
	s.mux.HandleFunc("GET /sim/stats", func(w http.ResponseWriter, _ *http.Request) {
		jsonReply(http.StatusOK, s.Stats()).write(w)
	})
	s.mux.HandleFunc("GET /sim/subscriptions", func(w http.ResponseWriter, _ *http.Request) {
		jsonReply(http.StatusOK, struct {
			Subscriptions []Subscription `json:"subscriptions"`
		}{s.Subscriptions()}).write(w)
	})
	s.mux.HandleFunc("GET /sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		jsonReply(http.StatusOK, s.Faults()).write(w)
	})
	s.mux.HandleFunc("POST /sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f Faults
		if rep := decodeSim(r, &f); rep != nil {
			rep.write(w)
			return
		}
		s.SetFaults(f)
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("POST /sim/revoke-tokens", func(w http.ResponseWriter, _ *http.Request) {
		s.RevokeTokens()
		w.WriteHeader(http.StatusNoContent)
	})
	// The admin profile's DNC group is the same list, so /sim/group/...
	// are the same routes under its name.
	s.routeNumbers("/sim/list", "/sim/seed", "/sim/delete")
	s.routeNumbers("/sim/group", "/sim/group/seed", "/sim/group/delete")
}

// routeNumbers mounts the list's read, seed and delete routes at the paths
// given. Numbers are E.164 either way.
func (s *Server) routeNumbers(list, seed, del string) {
	s.mux.HandleFunc("GET "+list, func(w http.ResponseWriter, _ *http.Request) {
		jsonReply(http.StatusOK, numbersBody{Numbers: s.List()}).write(w)
	})
	s.mux.HandleFunc("POST "+seed, func(w http.ResponseWriter, r *http.Request) {
		var body numbersBody
		if rep := decodeSim(r, &body, "numbers"); rep != nil {
			rep.write(w)
			return
		}
		for _, n := range body.Numbers {
			if !validNumber(n) {
				errorReply(http.StatusBadRequest, "invalid phoneNumber %q", n).write(w)
				return
			}
		}
		s.Seed(body.Numbers...)
		w.WriteHeader(http.StatusNoContent)
	})
	s.mux.HandleFunc("POST "+del, func(w http.ResponseWriter, r *http.Request) {
		var body numbersBody
		if rep := decodeSim(r, &body, "numbers"); rep != nil {
			rep.write(w)
			return
		}
		s.Delete(body.Numbers...)
		w.WriteHeader(http.StatusNoContent)
	})
}

type numbersBody struct {
	Numbers []string `json:"numbers"`
}

// decodeSim reads a /sim/ JSON body. With keys given, other keys are refused
// (Faults checks its own), so a typo in a test's setup fails loudly instead
// of silently doing nothing.
func decodeSim(r *http.Request, v any, keys ...string) *reply {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody))
	if err != nil {
		rep := errorReply(http.StatusBadRequest, "reading body: %v", err)
		return &rep
	}
	if len(keys) > 0 {
		if err := checkKeys(b, keys...); err != nil {
			rep := errorReply(http.StatusBadRequest, "%v", err)
			return &rep
		}
	}
	if err := json.Unmarshal(b, v); err != nil {
		rep := errorReply(http.StatusBadRequest, "%v", err)
		return &rep
	}
	return nil
}

// Entries returns the full entries on the list, sorted by number.
func (s *Server) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	list := s.lists.list(s.cfg.ListID)
	out := make([]Entry, 0, len(list))
	for _, n := range sortedNumbers(list) {
		out = append(out, *list[n])
	}
	return out
}
