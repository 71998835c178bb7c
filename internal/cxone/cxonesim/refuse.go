package cxonesim

// SetRefuse makes the tenant refuse the numbers refuse names although they are valid E.164, as a
// tenant might for a reason of its own or for a request shape it no longer takes: a v2 add,
// upsert or remove that carries one answers 400 "invalid phoneNumber" for the whole request, and
// an admin record of one fails on its own ("Invalid phone number"). nil refuses none. It takes
// effect for requests admitted afterwards.
func (s *Server) SetRefuse(refuse func(number string) bool) {
	s.mu.Lock()
	s.refuse = refuse
	s.mu.Unlock()
}

// refused reports whether the tenant refuses a valid number (SetRefuse).
func (s *Server) refused(number string) bool {
	s.mu.Lock()
	f := s.refuse
	s.mu.Unlock()
	return f != nil && f(number)
}
