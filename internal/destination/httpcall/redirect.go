package httpcall

import (
	"errors"
	"net/http"
)

var errRedirectedWrite = errors.New("redirected write refused")

// RefuseRedirectedWrites returns a copy of hc (nil: a new client) that follows redirects of GET
// and HEAD only. net/http would resend a POST redirected by a 301, 302 or 303 as a GET, whose 2xx
// must never pass for the write's; and a 307 or 308 would send the write, numbers and token, to
// a host nobody configured. The refused exchange's error wraps errRedirectedWrite.
func RefuseRedirectedWrites(hc *http.Client) *http.Client {
	c := &http.Client{}
	if hc != nil {
		*c = *hc
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if m := via[0].Method; m != http.MethodGet && m != http.MethodHead {
			return errRedirectedWrite
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects") // net/http's default
		}
		return nil
	}
	return c
}
