package intake

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/dncsync/dncsync/internal/queue"
)

// Twilio serves POST /webhook/twilio: SMS replies. STOP-like replies opt out, START-like opt back
// in, anything else is ignored (CONTRACTS.md section 3).
type Twilio struct {
	h         *Handler
	authToken string
	publicURL string // DNCSYNC_PUBLIC_URL: Twilio signs the URL it called, not the one we see
}

// NewTwilio returns the Twilio handler, writing through h.
func NewTwilio(h *Handler, authToken, publicURL string) *Twilio {
	return &Twilio{h: h, authToken: authToken, publicURL: strings.TrimRight(publicURL, "/")}
}

var (
	twilioStop  = map[string]bool{"STOP": true, "STOPALL": true, "UNSUBSCRIBE": true, "CANCEL": true, "END": true, "QUIT": true, "REVOKE": true, "OPTOUT": true, "OPT OUT": true}
	twilioStart = map[string]bool{"START": true, "UNSTOP": true, "YES": true}
)

const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// ServeHTTP checks the signature, maps the reply to an action and records it like a webhook event.
func (tw *Twilio) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		tw.h.fail(w, http.StatusMethodNotAllowed, "invalid", "use POST")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	if err := r.ParseForm(); err != nil {
		tw.h.fail(w, http.StatusBadRequest, "invalid", "body is not a form")
		return
	}
	if !tw.validSignature(r.Header.Get("X-Twilio-Signature"), r.URL.RequestURI(), r.PostForm) {
		tw.h.cfg.Logger.Warn("Twilio signature missing or wrong", "remote", r.RemoteAddr)
		tw.h.fail(w, http.StatusForbidden, "unauthorized", "X-Twilio-Signature missing or wrong")
		return
	}
	action, ok := twilioAction(r.PostForm.Get("Body"), r.PostForm.Get("OptOutType"))
	if !ok {
		tw.h.cfg.Metrics.Webhooks.WithLabelValues("ignored").Inc()
		writeTwiML(w)
		return
	}
	raw := map[string]any{"phoneNumber": r.PostForm.Get("From"), "action": string(action), "source": "twilio",
		"channel": "sms", "reason": strings.TrimSpace(r.PostForm.Get("Body")), "eventId": r.PostForm.Get("MessageSid")}
	event, _ := json.Marshal(raw) // a map of strings always encodes
	results, err := tw.h.process(r.Context(), []json.RawMessage{event}, tw.h.cfg.Now(), "", false)
	if err != nil {
		w.Header().Set("Retry-After", "5")
		tw.h.fail(w, http.StatusServiceUnavailable, "unavailable", "the store cannot be written; retry later")
		return
	}
	tw.h.cfg.Metrics.Webhooks.WithLabelValues(results[0].Status).Inc()
	// Twilio wants TwiML whatever happened to the number; a rejection is recorded as evidence.
	writeTwiML(w)
}

func writeTwiML(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(emptyTwiML))
}

// twilioAction maps a reply: the whole trimmed body, case-insensitive, or Twilio's OptOutType.
func twilioAction(body, optOutType string) (queue.Action, bool) {
	switch strings.ToUpper(strings.TrimSpace(optOutType)) {
	case "STOP":
		return queue.Add, true
	case "START":
		return queue.Remove, true
	}
	word := strings.ToUpper(strings.Join(strings.Fields(body), " "))
	switch {
	case twilioStop[word]:
		return queue.Add, true
	case twilioStart[word]:
		return queue.Remove, true
	}
	return "", false
}

// validSignature checks base64(HMAC-SHA1(token, public URL + each name and value, names sorted)).
func (tw *Twilio) validSignature(sig, path string, form url.Values) bool {
	if sig == "" {
		return false
	}
	var b strings.Builder
	b.WriteString(tw.publicURL + path)
	names := make([]string, 0, len(form))
	for k := range form {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		// As Twilio's own validators: a repeated parameter's values sorted, duplicates once.
		vals := slices.Clone(form[k])
		sort.Strings(vals)
		for _, v := range slices.Compact(vals) {
			b.WriteString(k)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(tw.authToken))
	mac.Write([]byte(b.String()))
	want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
	return hmac.Equal([]byte(sig), []byte(want))
}
