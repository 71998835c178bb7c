package destination

import (
	"net"
	"net/url"
)

// SecureURL accepts https, and http only to a loopback host (a simulator, a local proxy): the
// credentials must not cross a network in clear.
func SecureURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return false
	}
	if u.Scheme == "https" {
		return true
	}
	if u.Scheme != "http" {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}
