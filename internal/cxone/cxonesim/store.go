package cxonesim

import (
	"slices"
	"time"
)

// Entry is one number on the DNC list. Reason and Source come from the v2
// profile, ExpiresAt from the admin profile's expiredDate (zero: none given).
type Entry struct {
	Number    string    `json:"number"` // E.164
	Reason    string    `json:"reason,omitempty"`
	Source    string    `json:"source,omitempty"`
	ExpiresAt time.Time `json:"expiresAt,omitzero"`
	AddedAt   time.Time `json:"addedAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Change operations reported to OnChange callbacks.
const (
	OpAdd    = "add"
	OpUpdate = "update"
	OpRemove = "remove"
)

// Change is one modification of the list, whoever made it (API or test).
type Change struct {
	Number string    `json:"number"`
	Op     string    `json:"op"` // OpAdd, OpUpdate or OpRemove
	At     time.Time `json:"at"`
}

// store holds DNC lists by ID. It knows nothing about HTTP or profiles, so
// every profile's handlers can share it. Not goroutine-safe; the Server's
// lock guards it.
type store struct {
	lists map[string]map[string]*Entry
}

func newStore(listIDs ...string) *store {
	st := &store{lists: map[string]map[string]*Entry{}}
	for _, id := range listIDs {
		st.lists[id] = map[string]*Entry{}
	}
	return st
}

// list returns the entries of a list, or nil if no such list exists.
func (st *store) list(id string) map[string]*Entry { return st.lists[id] }

// put adds or updates a number with v2 fields. Source is kept on update when
// the caller passes "" (an upsert carries no source).
func (st *store) put(list map[string]*Entry, number, reason, source string, now time.Time) Change {
	return st.upsert(list, number, now, func(e *Entry) {
		e.Reason = reason
		if source != "" {
			e.Source = source
		}
	})
}

// upsert adds number if absent, lets set fill in the caller's fields and
// reports which it was. Fields set does not touch are kept on update.
func (st *store) upsert(list map[string]*Entry, number string, now time.Time, set func(*Entry)) Change {
	e, ok := list[number]
	op := OpUpdate
	if !ok {
		e = &Entry{Number: number, AddedAt: now}
		list[number] = e
		op = OpAdd
	}
	set(e)
	e.UpdatedAt = now
	return Change{Number: number, Op: op, At: now}
}

// remove deletes a number and reports whether it was there.
func (st *store) remove(list map[string]*Entry, number string, now time.Time) (Change, bool) {
	if _, ok := list[number]; !ok {
		return Change{}, false
	}
	delete(list, number)
	return Change{Number: number, Op: OpRemove, At: now}, true
}

func sortedNumbers(list map[string]*Entry) []string {
	out := make([]string, 0, len(list))
	for n := range list {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// List returns the numbers currently on the list, sorted. There is one list:
// the v2 profile calls it Config.ListID, the admin profile Config.DNCGroupID.
func (s *Server) List() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return sortedNumbers(s.lists.list(s.cfg.ListID))
}

// Len is how many numbers are on the list: List's length without sorting it.
func (s *Server) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.lists.list(s.cfg.ListID))
}

// GroupList is List under the admin profile's name: the DNC group is the
// same list, so it returns the same E.164 numbers.
func (s *Server) GroupList() []string { return s.List() }

// Has reports whether number is on the list.
func (s *Server) Has(number string) bool {
	_, ok := s.Entry(number)
	return ok
}

// Entry returns the list entry for number.
func (s *Server) Entry(number string) (Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.lists.list(s.cfg.ListID)[number]
	if !ok {
		return Entry{}, false
	}
	return *e, true
}

// Seed puts numbers (E.164) on the list, and so in the DNC group, directly,
// e.g. to provoke 409s. Numbers
// already there are left alone. No validation: tests may plant anything.
func (s *Server) Seed(numbers ...string) {
	now := s.now()
	s.mu.Lock()
	list := s.lists.list(s.cfg.ListID)
	var changes []Change
	for _, n := range numbers {
		if _, ok := list[n]; !ok {
			changes = append(changes, s.lists.put(list, n, "seeded", "cxonesim", now))
		}
	}
	s.unlockNotify(changes)
}

// Delete removes numbers (E.164) from the list, and so from the DNC group,
// behind the client's back.
func (s *Server) Delete(numbers ...string) {
	now := s.now()
	s.mu.Lock()
	list := s.lists.list(s.cfg.ListID)
	var changes []Change
	for _, n := range numbers {
		if c, ok := s.lists.remove(list, n, now); ok {
			changes = append(changes, c)
		}
	}
	s.unlockNotify(changes)
}

// OnChange registers fn to be called for every list change. Callbacks run
// one at a time, in the order changes were applied, without the simulator's
// lock held (so they may call any Server method), but possibly on the
// goroutine of another request or of a later Seed/Delete.
func (s *Server) OnChange(fn func(Change)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.onChange = append(s.onChange, fn)
}

// unlockNotify queues changes, releases s.mu (which the caller holds) and
// delivers queued changes unless another goroutine already is. Only one
// goroutine delivers at a time, which keeps callbacks ordered, and none holds
// s.mu while calling out, which lets callbacks re-enter the Server.
func (s *Server) unlockNotify(changes []Change) {
	if len(s.onChange) == 0 {
		s.mu.Unlock()
		return
	}
	s.pending = append(s.pending, changes...)
	if s.draining {
		s.mu.Unlock()
		return
	}
	s.draining = true
	for {
		batch, fns := s.pending, s.onChange
		s.pending = nil
		if len(batch) == 0 {
			s.draining = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		s.deliver(batch, fns)
		s.mu.Lock()
	}
}

// deliver calls the callbacks. If one panics, it gives up the delivering role
// so later changes are still delivered once the panic has been dealt with.
func (s *Server) deliver(batch []Change, fns []func(Change)) {
	done := false
	defer func() {
		if !done {
			s.mu.Lock()
			s.draining = false
			s.mu.Unlock()
		}
	}()
	for _, c := range batch {
		for _, fn := range fns {
			fn(c)
		}
	}
	done = true
}
