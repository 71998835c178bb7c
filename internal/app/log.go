package app

import (
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/dncsync/dncsync/internal/queue"
)

// NewLogger is the logger DNCSYNC_LOG_LEVEL and DNCSYNC_LOG_FORMAT ask for, writing to w.
func NewLogger(level, format string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("DNCSYNC_LOG_LEVEL=%q must be debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l, ReplaceAttr: capAttr}
	switch strings.ToLower(format) {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("DNCSYNC_LOG_FORMAT=%q must be json or text", format)
}

// maxLogField caps every logged value: log lines carry senders' input (an error quoting a field,
// a remote address) and must not grow with what a sender chooses to send.
const maxLogField = 512

// capAttr shortens long string values, errors and other values that print as text.
func capAttr(_ []string, a slog.Attr) slog.Attr {
	switch v := a.Value; v.Kind() {
	case slog.KindString:
		if s := v.String(); len(s) > maxLogField {
			a.Value = slog.StringValue(queue.Cut(s, maxLogField))
		}
	case slog.KindAny:
		if s := fmt.Sprint(v.Any()); len(s) > maxLogField {
			a.Value = slog.StringValue(queue.Cut(s, maxLogField))
		}
	}
	return a
}
