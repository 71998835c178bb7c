package simfault

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"time"
)

// Reply is a response built before anything is written, so that a simulator can still delay it
// or drop the connection instead.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON is a reply with v as its JSON body.
func JSON(status int, v any) Reply {
	b, err := json.Marshal(v)
	if err != nil {
		panic("simfault: marshal reply: " + err.Error()) // only simulators' own types are marshalled
	}
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	return Reply{Status: status, Header: h, Body: b}
}

// Empty is a reply without a body.
func Empty(status int) Reply { return Reply{Status: status, Header: http.Header{}} }

// HTMLBadGateway is the 502 page of a misbehaving gateway.
func HTMLBadGateway() Reply {
	h := http.Header{}
	h.Set("Content-Type", "text/html; charset=utf-8")
	body := "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n" +
		"<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
	return Reply{Status: http.StatusBadGateway, Header: h, Body: []byte(body)}
}

// Write sends the reply.
func (rep Reply) Write(w http.ResponseWriter) {
	for k, vs := range rep.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(rep.Status)
	if len(rep.Body) > 0 {
		_, _ = w.Write(rep.Body)
	}
}

// Sleep sleeps for d; it reports false if ctx ended first (the client hung up).
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// DropConnection closes the connection without a response, so that the client cannot tell
// whether its request was applied.
func DropConnection(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// Not hijackable (HTTP/2): aborting the handler resets the stream, which the client also
		// sees as a transport error.
		panic(http.ErrAbortHandler)
	}
	_ = conn.Close()
}

// ReadBody reads the request body up front, as a real server receives the whole request before
// working on it; only once the body is consumed does net/http watch the connection, which is what
// lets a slow fault notice a client that hung up. More than limit bytes is an error.
func ReadBody(r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err == nil && int64(len(b)) > limit {
		err = errTooLarge
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, err
}

type tooLarge struct{}

func (tooLarge) Error() string { return "request body too large" }

var errTooLarge error = tooLarge{}

// StatusWriter remembers the status code written through it.
type StatusWriter struct {
	http.ResponseWriter
	Status int
}

func (w *StatusWriter) WriteHeader(code int) {
	w.Status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *StatusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
