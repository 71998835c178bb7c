package webhooksim

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"

	"github.com/dncsync/dncsync/internal/simfault"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

type numbersBody struct {
	Numbers []string `json:"numbers"`
}

func (s *Server) routeInspect() {
	s.mux.HandleFunc("GET /sim/list", func(w http.ResponseWriter, _ *http.Request) {
		simfault.JSON(http.StatusOK, numbersBody{Numbers: s.List()}).Write(w)
	})
	s.mux.HandleFunc("GET /sim/entries", func(w http.ResponseWriter, _ *http.Request) {
		simfault.JSON(http.StatusOK, struct {
			Entries []Entry `json:"entries"`
		}{s.Entries()}).Write(w)
	})
	s.mux.HandleFunc("GET /sim/stats", func(w http.ResponseWriter, _ *http.Request) {
		simfault.JSON(http.StatusOK, s.Stats()).Write(w)
	})
	s.mux.HandleFunc("GET /sim/faults", func(w http.ResponseWriter, _ *http.Request) {
		simfault.JSON(http.StatusOK, s.Faults()).Write(w)
	})
	s.mux.HandleFunc("POST /sim/faults", func(w http.ResponseWriter, r *http.Request) {
		var f simfault.Faults
		if decode(w, r, &f) {
			s.SetFaults(f)
			w.WriteHeader(http.StatusNoContent)
		}
	})
	s.mux.HandleFunc("POST /sim/seed", func(w http.ResponseWriter, r *http.Request) {
		var b numbersBody
		if decode(w, r, &b, "numbers") {
			for _, n := range b.Numbers {
				if !e164.MatchString(n) {
					http.Error(w, "not an E.164 number", http.StatusBadRequest)
					return
				}
			}
			s.Seed(b.Numbers...)
			w.WriteHeader(http.StatusNoContent)
		}
	})
	s.mux.HandleFunc("POST /sim/delete", func(w http.ResponseWriter, r *http.Request) {
		var b numbersBody
		if decode(w, r, &b, "numbers") {
			s.Delete(b.Numbers...)
			w.WriteHeader(http.StatusNoContent)
		}
	})
}

func decode(w http.ResponseWriter, r *http.Request, v any, keys ...string) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
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
