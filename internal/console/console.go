// Package console serves the status page at GET /: the queue and its last hour, each destination's
// pace and confirmation p99, the oldest unsynced request with its compliance clock, recent requests
// to each destination, the dead letters with their errors, and a number lookup. Server-rendered HTML with an inline SVG chart and no external assets. It
// needs the admin token: a login form starts a signed session that signing out ends (session.go).
package console

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/dncsync/dncsync/internal/gate"
	"github.com/dncsync/dncsync/internal/ops"
	"github.com/dncsync/dncsync/internal/queue"
)

// Store is what the page reads: the queue's status, the dead letters and a number's trail.
type Store interface {
	ops.StatusStore
	DeadLetters(ctx context.Context, limit int) ([]queue.DeadLetter, error)
	Lookup(ctx context.Context, number string, page queue.Page) (queue.History, bool, error)
}

// Handler serves the page, its login and its logout.
type Handler struct {
	Store Store
	// Admin checks the admin token (DNCSYNC_ADMIN_TOKEN) and accounts for failed sign-ins; the /v1
	// API shares it, so that a client's failures there and here add up. Without a token the page
	// answers 403.
	Admin *gate.Guard
	// Sessions records sign-outs where every replica sees them (the store).
	Sessions queue.Sessions
	// PublicURL (DNCSYNC_PUBLIC_URL), when set, is an origin the forms may be posted from besides
	// the Host the request names (a proxy that rewrites Host).
	PublicURL     string
	DefaultRegion string
	Pacing        ops.Pacing // may be nil
	Sampler       *Sampler   // may be nil: no chart
	Recorder      *Recorder  // may be nil: no recent requests
	// Lanes, with more than one destination, sum up the tiles and the clock over all of them and
	// add a table of each one's queue; the dead letters shown are the primary's (Store).
	Lanes []ops.Lane
	// Primary names the primary destination ("cxone"; with one destination, the only one), and
	// Titles each destination for people ("NICE CXone"); a name without a title is shown as is.
	Primary string
	Titles  map[string]string
	Now     func() time.Time

	csrf   *http.CrossOriginProtection
	public *url.URL
}

const cookieName = "dncsync_console"

// Register adds the routes to mux.
func (h *Handler) Register(mux interface{ Handle(string, http.Handler) }) {
	if h.Sessions == nil {
		panic("console: Handler.Sessions is required: sign-outs must be recorded where every replica sees them")
	}
	h.csrf = http.NewCrossOriginProtection()
	if u, err := url.Parse(h.PublicURL); err == nil && h.PublicURL != "" && u.Host != "" {
		if h.csrf.AddTrustedOrigin(u.Scheme+"://"+u.Host) == nil {
			h.public = u
		}
	}
	mux.Handle("GET /{$}", http.HandlerFunc(h.page))
	mux.Handle("GET /login", http.HandlerFunc(h.loginForm))
	mux.Handle("POST /login", http.HandlerFunc(h.login))
	mux.Handle("POST /logout", http.HandlerFunc(h.logout))
}

// challenge is the WWW-Authenticate of a 401 to a wrong bearer token.
const challenge = `Bearer realm="dncsync-admin"`

// authorize reports whether r may see the page: a live session, or the admin token as a bearer
// token. Otherwise it has answered r: the login form, or a refusal of a wrong token.
func (h *Handler) authorize(w http.ResponseWriter, r *http.Request) bool {
	if s, ok := h.readSession(r, h.now()); ok {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		revoked, err := h.Sessions.SessionRevoked(ctx, s.ID)
		if err != nil {
			h.renderLogin(w, http.StatusServiceUnavailable, "The store cannot be read, so your session cannot be checked; try again shortly.")
			return false
		}
		if !revoked {
			return true
		}
		h.setCookie(w, r, "", -1) // signed out elsewhere: forget it here too
	}
	if _, ok := gate.Bearer(r); ok {
		res := h.Admin.CheckBearer(r)
		if res.Verdict == gate.OK {
			return true
		}
		res.Deny(w, challenge)
		msg := res.Message()
		if msg == "" {
			msg = "That is not the admin token."
		}
		h.renderLogin(w, res.Status(), msg)
		return false
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return false
}

func (h *Handler) now() time.Time {
	if h.Now != nil {
		return h.Now()
	}
	return time.Now()
}

func headers(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	// Everything is inline and nothing is loaded from elsewhere.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	// same-origin, not no-referrer: under no-referrer a browser posts the forms with "Origin: null",
	// which the cross-site check (sameOrigin) must refuse.
	w.Header().Set("Referrer-Policy", "same-origin")
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	h.renderLogin(w, http.StatusOK, "")
}

func (h *Handler) renderLogin(w http.ResponseWriter, status int, msg string) {
	headers(w)
	if !h.Admin.Enabled() {
		status, msg = http.StatusForbidden, "The status page is disabled: set DNCSYNC_ADMIN_TOKEN to enable it."
	}
	w.WriteHeader(status)
	_ = loginTmpl.Execute(w, map[string]any{"Message": msg, "Enabled": h.Admin.Enabled()})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if !h.Admin.Enabled() {
		h.renderLogin(w, http.StatusForbidden, "")
		return
	}
	if err := h.sameOrigin(r); err != nil {
		h.renderLogin(w, http.StatusForbidden, "Refused: "+err.Error()+". Sign in from this page.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	switch res := h.Admin.Check(r, r.PostFormValue("token")); res.Verdict {
	case gate.OK:
		_, value := h.newSession(h.now())
		h.setCookie(w, r, value, int(SessionTTL.Seconds()))
		http.Redirect(w, r, "/", http.StatusSeeOther)
	case gate.Throttled:
		res.Deny(w, "")
		h.renderLogin(w, res.Status(), "Too many failed sign-ins from your address; try again in "+
			(res.RetryAfter+time.Second-1).Truncate(time.Second).String()+".")
	default:
		res.Deny(w, "")
		h.renderLogin(w, http.StatusUnauthorized, "That is not the admin token.")
	}
}

// logout ends the session: its cookie is cleared here and its id revoked in the store, so that a
// copy of the cookie stops working too, on every replica.
func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	if err := h.sameOrigin(r); err != nil {
		h.renderLogin(w, http.StatusForbidden, "Refused: "+err.Error()+". Sign out from this page.")
		return
	}
	h.setCookie(w, r, "", -1)
	if s, ok := h.readSession(r, h.now()); ok {
		ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
		defer cancel()
		if err := h.Sessions.RevokeSession(ctx, s.ID, s.Expires.Add(clockSkew)); err != nil {
			h.renderLogin(w, http.StatusServiceUnavailable,
				"Signed out in this browser, but the store could not record it: a copy of the session cookie works until it expires. Try signing out again.")
			return
		}
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	if !h.Admin.Enabled() {
		h.renderLogin(w, http.StatusForbidden, "")
		return
	}
	if !h.authorize(w, r) {
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	v := h.view(ctx, r.URL.Query().Get("number"))
	headers(w)
	status := http.StatusOK
	if v.Error != "" {
		status = http.StatusServiceUnavailable
	}
	w.WriteHeader(status)
	_ = pageTmpl.Execute(w, v)
}
