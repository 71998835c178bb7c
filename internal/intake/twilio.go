package intake

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/consent"
	"github.com/dncsync/dncsync/internal/phone"
	"github.com/dncsync/dncsync/internal/queue"
)

// Twilio serves POST /webhook/twilio: SMS replies. A reply with an opt-out keyword opts its sender
// out; every other reply is kept in the sender's trail as ignored, with its text (smswords.go).
type Twilio struct {
	h   *Handler
	cfg TwilioConfig
	// urls are the forms of the public URL a genuine signature may be over (urlForms).
	urls  []string
	words smsWords
}

// TwilioConfig configures the Twilio handler.
type TwilioConfig struct {
	AuthToken string // TWILIO_AUTH_TOKEN
	// PublicURL is DNCSYNC_PUBLIC_URL: Twilio signs the URL it called, not the one we see.
	PublicURL string
	// StopWords are opt-out keywords beyond the defaults (DNCSYNC_SMS_STOP_WORDS).
	StopWords []string
	// StartRemoves makes START/YES/UNSTOP a removal from the list (DNCSYNC_SMS_START_REMOVES).
	// By default they are consent to texts, not to calls, and only recorded.
	StartRemoves bool
}

// NewTwilio returns the Twilio handler, writing through h.
func NewTwilio(h *Handler, cfg TwilioConfig) *Twilio {
	return &Twilio{h: h, cfg: cfg, urls: urlForms(strings.TrimRight(cfg.PublicURL, "/")), words: newSMSWords(cfg.StopWords)}
}

// urlForms is the public URL with and without its port: Twilio's own validators accept a
// signature over either, since Twilio may sign the URL with or without the default port and an
// explicit one.
func urlForms(public string) []string {
	out := []string{public}
	u, err := url.Parse(public)
	if err != nil || u.Host == "" {
		return out
	}
	alt := *u
	if u.Port() != "" {
		alt.Host = u.Hostname()
	} else if p := map[string]string{"https": "443", "http": "80"}[u.Scheme]; p != "" {
		alt.Host = net.JoinHostPort(u.Hostname(), p)
	}
	if s := alt.String(); s != public {
		out = append(out, s)
	}
	return out
}

const emptyTwiML = `<?xml version="1.0" encoding="UTF-8"?><Response></Response>`

// ServeHTTP checks the signature, reads what the reply means and records it: an opt-out (or, if so
// configured, a removal) like a webhook event, anything else as ignored words.
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
	from, text, sid := r.PostForm.Get("From"), r.PostForm.Get("Body"), r.PostForm.Get("MessageSid")
	now := tw.h.cfg.Now()
	var action queue.Action
	ignored := ""
	switch m := tw.meaning(text, r.PostForm.Get("OptOutType")); {
	case m == smsStop:
		action = queue.Add
	case m == smsStart && tw.cfg.StartRemoves:
		action = queue.Remove
	case m == smsStart:
		ignored = "sms_start" // consent to texts, which is not consent to calls
	case m == smsHelp:
		ignored = "sms_help"
	default:
		ignored = "sms_no_keyword"
	}
	if ignored != "" {
		rej := queue.Rejection{Kind: queue.AuditIgnored, Raw: from, Said: text, Reason: ignored, Source: "twilio",
			Channel: "sms", EventID: sid, Region: tw.h.cfg.DefaultRegion, ReceivedAt: now.Truncate(time.Millisecond)}
		if n, err := phone.Parse(from, tw.h.cfg.DefaultRegion); err == nil {
			rej.Number = n.E164
		}
		if err := tw.h.record(r.Context(), []queue.Rejection{rej}); err != nil {
			tw.h.unavailable(w, err)
			return
		}
		tw.h.cfg.Metrics.Webhooks.WithLabelValues("ignored").Inc()
		writeTwiML(w)
		return
	}
	// A STOP is about texts; under revoke-all it reaches every channel, and is recorded so. A START
	// restores texts only (consent.Decide: it never lifts an opt-out of a wider scope).
	scope := consent.SMS
	if action == queue.Add && tw.h.cfg.RevokeAll.At(now) == consent.RevokeAll {
		scope = consent.All
	}
	raw := map[string]any{"phoneNumber": from, "action": string(action), "source": "twilio",
		"channel": "sms", "consentChannel": string(scope), "reason": strings.TrimSpace(text), "eventId": sid}
	event, _ := json.Marshal(raw) // a map of strings always encodes
	results, err := tw.h.process(r.Context(), []json.RawMessage{event}, now, "", false)
	if err != nil {
		tw.h.unavailable(w, err)
		return
	}
	tw.h.cfg.Metrics.Webhooks.WithLabelValues(results[0].Status).Inc()
	// Twilio wants TwiML whatever happened to the number; a rejection is recorded as evidence.
	writeTwiML(w)
}

// meaning reads a reply, or Twilio's own reading of it (OptOutType, with Advanced Opt-Out). An
// opt-out keyword in the text wins over Twilio's START.
func (tw *Twilio) meaning(text, optOutType string) smsMeaning {
	m := tw.words.meaning(text)
	if m == smsStop {
		return m
	}
	switch strings.ToUpper(strings.TrimSpace(optOutType)) {
	case "STOP":
		return smsStop
	case "START":
		return smsStart
	case "HELP":
		return smsHelp
	}
	return m
}

func writeTwiML(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/xml")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(emptyTwiML))
}

// validSignature checks base64(HMAC-SHA1(token, public URL + each name and value, names sorted))
// over each form of the public URL (urlForms).
func (tw *Twilio) validSignature(sig, path string, form url.Values) bool {
	if sig == "" {
		return false
	}
	var b strings.Builder
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
	params := b.String()
	for _, u := range tw.urls {
		mac := hmac.New(sha1.New, []byte(tw.cfg.AuthToken))
		mac.Write([]byte(u + path + params))
		want := base64.StdEncoding.EncodeToString(mac.Sum(nil))
		if hmac.Equal([]byte(sig), []byte(want)) {
			return true
		}
	}
	return false
}
