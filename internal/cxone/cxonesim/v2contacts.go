package cxonesim

import (
	"encoding/json"
	"net/http"
)

type v2Contact struct {
	PhoneNumber string `json:"phoneNumber"`
	Reason      string `json:"reason"`
	Source      string `json:"source"`
}

type v2Conflict struct {
	ContactID string `json:"contactId"`
	Message   string `json:"message"`
}

type v2Count struct {
	Count int `json:"count"`
}

// v2Add adds a batch all-or-nothing: one number already listed refuses the
// whole request with 409, the behaviour a client must converge through.
func (s *Server) v2Add(r *http.Request, _ string) reply {
	listID := r.PathValue("listId")
	if !s.listExists(listID) {
		return errorReply(http.StatusNotFound, "dnc list %q not found", listID)
	}
	body, bad := readJSONBody(r)
	if bad != nil {
		return *bad
	}
	if err := checkKeys(body, "contacts"); err != nil {
		return errorReply(http.StatusBadRequest, "%v", err)
	}
	if err := checkKeysEach(body, "contacts", "phoneNumber", "reason", "source"); err != nil {
		return errorReply(http.StatusBadRequest, "%v", err)
	}
	var req struct {
		Contacts []v2Contact `json:"contacts"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errorReply(http.StatusBadRequest, "invalid JSON: %v", err)
	}
	switch n := len(req.Contacts); {
	case n == 0:
		return errorReply(http.StatusBadRequest, "contacts must not be empty")
	case n > s.cfg.MaxBatch:
		return errorReply(http.StatusBadRequest, "too many contacts: %d > %d", n, s.cfg.MaxBatch)
	}
	seen := make(map[string]bool, len(req.Contacts))
	for _, c := range req.Contacts {
		if !validNumber(c.PhoneNumber) || s.refused(c.PhoneNumber) {
			return errorReply(http.StatusBadRequest, "invalid phoneNumber %q", c.PhoneNumber)
		}
		if seen[c.PhoneNumber] {
			return errorReply(http.StatusBadRequest, "duplicate phoneNumber %q", c.PhoneNumber)
		}
		seen[c.PhoneNumber] = true
	}

	now := s.now()
	s.mu.Lock()
	list := s.lists.list(listID)
	var conflicts []v2Conflict
	for _, c := range req.Contacts {
		if _, ok := list[c.PhoneNumber]; ok {
			conflicts = append(conflicts, v2Conflict{ContactID: c.PhoneNumber, Message: "already exists"})
		}
	}
	if len(conflicts) > 0 {
		s.stats.Conflicts++
		s.mu.Unlock()
		return jsonReply(http.StatusConflict, struct {
			Conflicts []v2Conflict `json:"conflicts"`
		}{conflicts})
	}
	changes := make([]Change, 0, len(req.Contacts))
	for _, c := range req.Contacts {
		changes = append(changes, s.lists.put(list, c.PhoneNumber, c.Reason, c.Source, now))
	}
	s.stats.Added += len(changes)
	s.unlockNotify(changes)
	return jsonReply(http.StatusCreated, v2Count{Count: len(changes)})
}

// v2Upsert creates or updates one number; the path and body must agree.
func (s *Server) v2Upsert(r *http.Request, _ string) reply {
	listID, number := r.PathValue("listId"), r.PathValue("phoneNumber")
	if !s.listExists(listID) {
		return errorReply(http.StatusNotFound, "dnc list %q not found", listID)
	}
	if !validNumber(number) || s.refused(number) {
		return errorReply(http.StatusBadRequest, "invalid phoneNumber %q in path", number)
	}
	body, bad := readJSONBody(r)
	if bad != nil {
		return *bad
	}
	if err := checkKeys(body, "phoneNumber", "reason"); err != nil {
		return errorReply(http.StatusBadRequest, "%v", err)
	}
	var req struct {
		PhoneNumber string `json:"phoneNumber"`
		Reason      string `json:"reason"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		return errorReply(http.StatusBadRequest, "invalid JSON: %v", err)
	}
	if req.PhoneNumber != number {
		return errorReply(http.StatusBadRequest, "phoneNumber %q in body does not match %q in path", req.PhoneNumber, number)
	}

	now := s.now()
	s.mu.Lock()
	c := s.lists.put(s.lists.list(listID), number, req.Reason, "", now)
	s.stats.Upserts++
	s.unlockNotify([]Change{c})
	return jsonReply(http.StatusOK, v2Count{Count: 1})
}

// v2Remove takes one number off the list; 404 if it was not on it.
func (s *Server) v2Remove(r *http.Request, _ string) reply {
	listID, number := r.PathValue("listId"), r.PathValue("phoneNumber")
	if !s.listExists(listID) {
		return errorReply(http.StatusNotFound, "dnc list %q not found", listID)
	}
	if !validNumber(number) || s.refused(number) {
		return errorReply(http.StatusBadRequest, "invalid phoneNumber %q in path", number)
	}
	now := s.now()
	s.mu.Lock()
	c, ok := s.lists.remove(s.lists.list(listID), number, now)
	if !ok {
		s.mu.Unlock()
		return errorReply(http.StatusNotFound, "contact %q not found", number)
	}
	s.stats.Removes++
	s.unlockNotify([]Change{c})
	return emptyReply(http.StatusNoContent)
}

func (s *Server) listExists(id string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lists.list(id) != nil
}
