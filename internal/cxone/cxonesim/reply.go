package cxonesim

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// reply is a response built before anything is written, so the pipeline can
// still decide to delay it or drop the connection instead (faults).
type reply struct {
	status int
	header http.Header
	body   []byte
}

func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own response types are marshalled; failing here is a bug.
		panic("cxonesim: marshal reply: " + err.Error())
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return reply{status: status, header: h, body: b}
}

// errorReply builds the vendor's error shape: {"error":"..."}.
func errorReply(status int, format string, args ...any) reply {
	return jsonReply(status, map[string]string{"error": fmt.Sprintf(format, args...)})
}

func emptyReply(status int) reply { return reply{status: status, header: http.Header{}} }

func (rep reply) write(w http.ResponseWriter) {
	for k, vs := range rep.header {
		w.Header()[k] = vs
	}
	w.WriteHeader(rep.status)
	if len(rep.body) > 0 {
		_, _ = w.Write(rep.body)
	}
}
