package httpcall

import (
	"errors"
	"net/url"
	"sort"
	"strings"

	"github.com/dncsync/dncsync/internal/destination"
)

// TransportError is a failed exchange (no answer, an answer cut off): Transient, so the attempt
// is spent and retried with back-off, and redacted (Redact), since errors get logged.
func TransportError(dest, op, msg string, err error, secrets ...string) *destination.Error {
	return &destination.Error{Kind: destination.Transient, Dest: dest, Op: op, Msg: msg, Err: Redact(err, secrets...)}
}

// Redact is err as it may be logged: a URL it quotes keeps its scheme, host and path but loses
// its credentials and its query's values (a number, a signature); phone numbers and every secret
// given (the token sent) are hidden everywhere. It still unwraps to err
// (errors.Is(err, context.DeadlineExceeded) holds on).
func Redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		c := *ue
		c.URL = RedactURL(ue.URL)
		msg = strings.Replace(msg, ue.Error(), c.Error(), 1)
	}
	return &redacted{msg: RedactText(msg, secrets...), err: err}
}

// RedactURL is s without credentials or query values: "https://host/path?phoneNumber=...".
func RedactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(a URL)"
	}
	u.User = nil
	u.Fragment, u.RawFragment = "", ""
	if u.RawQuery != "" {
		q := u.Query()
		keys := make([]string, 0, len(q))
		for k := range q {
			keys = append(keys, k+"=...")
		}
		sort.Strings(keys)
		u.RawQuery = ""
		return RedactText(u.String()) + "?" + strings.Join(keys, "&")
	}
	return RedactText(u.String())
}

// RedactText is s with phone numbers (destination.RedactNumbers, the one rule) and every secret
// hidden.
func RedactText(s string, secrets ...string) string {
	for _, sec := range secrets {
		if len(sec) >= 4 {
			s = strings.ReplaceAll(s, sec, "[redacted]")
		}
	}
	return destination.RedactNumbers(s)
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
