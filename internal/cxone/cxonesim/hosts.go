package cxonesim

import "net/http"

// Hosts are the base URLs of a simulated tenant's three hosts, as a real tenant has them: the
// access-key login on a regional host (https://na1.nice-incontact.com), discovery, the OpenID
// configuration and the token endpoint on the global host (https://cxone.niceincontact.com), and
// the tenant's API host that discovery names.
type Hosts struct {
	Login     string // POST /authentication/v1/token/access-key
	Discovery string // GET /.well-known/{cxone,openid}-configuration, POST /auth/token
	API       string // the API of both profiles, the v2 token endpoint, /sim/
}

// LoginHandler serves the access-key login host.
func (s *Server) LoginHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(s.loginMux, w, r) })
}

// DiscoveryHandler serves the global host: discovery, the OpenID configuration and the
// registered application's token endpoint.
func (s *Server) DiscoveryHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { s.serve(s.discoveryMux, w, r) })
}

// ListenHosts serves the three hosts on addr (e.g. "127.0.0.1:0"), each on a port of its own,
// until shutdown is called. Discovery then names the API host it returns, and tokens name the
// discovery host as their issuer.
func (s *Server) ListenHosts(addr string) (Hosts, func(), error) {
	var h Hosts
	var stops []func()
	stopAll := func() {
		for _, stop := range stops {
			stop()
		}
	}
	for _, x := range []struct {
		h   http.Handler
		url *string
	}{{s.LoginHandler(), &h.Login}, {s.DiscoveryHandler(), &h.Discovery}, {s, &h.API}} {
		u, stop, err := s.listen(addr, x.h)
		if err != nil {
			stopAll()
			return Hosts{}, nil, err
		}
		*x.url = u
		stops = append(stops, stop)
	}
	s.hosts.Store(&h)
	return h, stopAll, nil
}

// StartHosts is ListenHosts on free loopback ports. It panics if it cannot listen, which only
// happens on a broken host; it is meant for tests and the demo.
func (s *Server) StartHosts() (Hosts, func()) {
	h, stop, err := s.ListenHosts("127.0.0.1:0")
	if err != nil {
		panic("cxonesim: listen: " + err.Error())
	}
	return h, stop
}

// apiEndpoint is the api_endpoint discovery answers: Config.APIEndpoint, else the API host
// ListenHosts started, else the host r came to (a simulator mounted by hand on one server).
func (s *Server) apiEndpoint(r *http.Request) string {
	if s.cfg.APIEndpoint != "" {
		return s.cfg.APIEndpoint
	}
	if h := s.hosts.Load(); h != nil {
		return h.API
	}
	return baseURL(r)
}

// hostURL is one of the started hosts (picked by pick), else the host r came to.
func (s *Server) hostURL(r *http.Request, pick func(Hosts) string) string {
	if h := s.hosts.Load(); h != nil {
		return pick(*h)
	}
	return baseURL(r)
}
