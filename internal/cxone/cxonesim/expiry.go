package cxonesim

import "time"

// SetExpiredDateLayout sets how the admin list and search answers write expiredDate: a Go time
// layout applied to the expiry in UTC, such as "1/2/2006 3:04:05 PM" for the US form a tenant's
// locale may give; "" restores the default, RFC 3339. It tests how a client reads the shapes the
// vendor does not document.
func (s *Server) SetExpiredDateLayout(layout string) {
	s.mu.Lock()
	s.expiredLayout = layout
	s.mu.Unlock()
}

// SetExpiry changes when a listed number's record ends (zero: never), behind the client's back,
// e.g. to let it expire. It reports whether the number was listed.
func (s *Server) SetExpiry(number string, at time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.lists.list(s.cfg.ListID)[number]
	if ok {
		e.ExpiresAt = at
	}
	return ok
}

// wireExpiry is expiredDate as the answers write it; nil for none. Caller holds s.mu.
func (s *Server) wireExpiry(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	v := wireTime(t)
	if s.expiredLayout != "" {
		v = t.UTC().Format(s.expiredLayout)
	}
	return &v
}
