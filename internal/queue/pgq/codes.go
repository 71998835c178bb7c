package pgq

import "github.com/dncsync/dncsync/internal/queue"

// Schema 8 stores an event's kind and action as one-byte codes ("char"), which the views decode
// (event_kind, event_action in 0008_compact_numbers.sql). A kind or action without a code is
// written as "", which the table's CHECK refuses: an error, never a record stored as another.

// kindCode is the code of an events record's kind.
func kindCode(k queue.AuditKind) string {
	switch k {
	case queue.AuditReceived:
		return "r"
	case queue.AuditStale:
		return "s"
	}
	return ""
}

// actionCode is the code of an events record's action.
func actionCode(a queue.Action) string {
	switch a {
	case queue.Add:
		return "a"
	case queue.Remove:
		return "r"
	}
	return ""
}

// qchar is code as COPY writes a "char" (0 for none: the CHECK refuses it).
func qchar(code string) byte {
	if code == "" {
		return 0
	}
	return code[0]
}
