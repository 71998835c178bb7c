// Package console serves the status page at GET /: the queue and its last hour, the oldest unsynced
// request with its compliance clock, recent requests to CXone, the dead letters with their errors,
// and a number lookup. Server-rendered HTML with an inline SVG chart and no external assets. It
// needs the admin token: a login form sets a cookie derived from it.
package console

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/lookup"
	"github.com/dncsync/dncsync/internal/queue"
)

// Store is what the page reads.
type Store interface {
	queue.Queue
	queue.Evidence
	queue.Operations
}

// Handler serves the page, its login and its logout.
type Handler struct {
	Store         Store
	Token         string // DNCSYNC_ADMIN_TOKEN; empty: the page answers 403
	DefaultRegion string
	Pacing        lookup.Pacing // may be nil
	Sampler       *Sampler      // may be nil: no chart
	Recorder      *Recorder     // may be nil: no recent requests
	// Lanes, with more than one destination, sum up the tiles and the clock over all of them and
	// add a table of each one's queue; the dead letters shown are the primary's (Store).
	Lanes []lookup.Lane
	Now   func() time.Time
}

const cookieName = "dncsync_console"

// Register adds the routes to mux.
func (h *Handler) Register(mux interface{ Handle(string, http.Handler) }) {
	mux.Handle("GET /{$}", http.HandlerFunc(h.page))
	mux.Handle("GET /login", http.HandlerFunc(h.loginForm))
	mux.Handle("POST /login", http.HandlerFunc(h.login))
	mux.Handle("POST /logout", http.HandlerFunc(h.logout))
}

// session is the cookie value: an HMAC of a fixed label under the admin token, so that the cookie
// proves knowledge of the token without carrying it, and a new token ends every session.
func (h *Handler) session() string {
	m := hmac.New(sha256.New, []byte(h.Token))
	m.Write([]byte("dncsync console session v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// authorized accepts the session cookie or the admin token as a bearer token.
func (h *Handler) authorized(r *http.Request) bool {
	if c, err := r.Cookie(cookieName); err == nil && subtle.ConstantTimeCompare([]byte(c.Value), []byte(h.session())) == 1 {
		return true
	}
	got := r.Header.Get("Authorization")
	return len(got) > 7 && strings.EqualFold(got[:7], "Bearer ") &&
		subtle.ConstantTimeCompare([]byte(got[7:]), []byte(h.Token)) == 1
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
	w.Header().Set("Referrer-Policy", "no-referrer")
}

func (h *Handler) loginForm(w http.ResponseWriter, r *http.Request) {
	h.renderLogin(w, http.StatusOK, "")
}

func (h *Handler) renderLogin(w http.ResponseWriter, status int, msg string) {
	headers(w)
	if h.Token == "" {
		status, msg = http.StatusForbidden, "The status page is disabled: set DNCSYNC_ADMIN_TOKEN to enable it."
	}
	w.WriteHeader(status)
	_ = loginTmpl.Execute(w, map[string]any{"Message": msg, "Enabled": h.Token != ""})
}

func (h *Handler) login(w http.ResponseWriter, r *http.Request) {
	if h.Token == "" {
		h.renderLogin(w, http.StatusForbidden, "")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 4096)
	if subtle.ConstantTimeCompare([]byte(r.PostFormValue("token")), []byte(h.Token)) != 1 {
		h.renderLogin(w, http.StatusUnauthorized, "That is not the admin token.")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: h.session(), Path: "/", HttpOnly: true,
		SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil || r.Header.Get("X-Forwarded-Proto") == "https",
		MaxAge: int((12 * time.Hour).Seconds())})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (h *Handler) logout(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: cookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteStrictMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	if h.Token == "" {
		h.renderLogin(w, http.StatusForbidden, "")
		return
	}
	if !h.authorized(r) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
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
