package loadgen

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"strconv"
	"time"
)

// conn is one keep-alive HTTP/1.1 connection that sends a request and reads its answer, as a
// sender does. It is lean on purpose: net/http's client costs about as much CPU per request as a
// service does to answer it, and on a shared machine the load generator must not take the CPU the
// service being measured needs. Answers with Content-Length or chunked bodies are read; the body
// is discarded.
type conn struct {
	addr, host string
	c          net.Conn
	r          *bufio.Reader
	req        bytes.Buffer
}

func newConn(base string) (*conn, error) {
	u, err := url.Parse(base)
	if err != nil || u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("loadgen: --url %q: want http://host:port", base)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	return &conn{addr: addr, host: u.Host}, nil
}

// do sends one POST of body to path and returns the answer's status.
func (c *conn) do(path, token string, body []byte, timeout time.Duration) (int, error) {
	if c.c == nil {
		nc, err := net.DialTimeout("tcp", c.addr, timeout)
		if err != nil {
			return 0, err
		}
		c.c, c.r = nc, bufio.NewReaderSize(nc, 4096)
	}
	c.req.Reset()
	fmt.Fprintf(&c.req, "POST %s HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n", path, c.host, len(body))
	if token != "" {
		c.req.WriteString("Authorization: Bearer " + token + "\r\n")
	}
	c.req.WriteString("\r\n")
	c.req.Write(body)
	_ = c.c.SetDeadline(time.Now().Add(timeout))
	if _, err := c.c.Write(c.req.Bytes()); err != nil {
		c.close()
		return 0, err
	}
	status, keep, err := readResponse(c.r)
	if err != nil || !keep {
		c.close()
	}
	return status, err
}

func (c *conn) close() {
	if c.c != nil {
		c.c.Close()
		c.c = nil
	}
}

var errMalformed = errors.New("loadgen: malformed HTTP answer")

// readResponse reads a status line, headers and body; keep reports whether the connection stays.
func readResponse(r *bufio.Reader) (status int, keep bool, err error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return 0, false, err
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) {
		return 0, false, errMalformed
	}
	status, err = strconv.Atoi(string(line[9:12]))
	if err != nil {
		return 0, false, errMalformed
	}
	length, chunked, keep := -1, false, true
	for {
		h, err := r.ReadSlice('\n')
		if err != nil {
			return status, false, err
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		k, v, ok := bytes.Cut(h, []byte(":"))
		if !ok {
			return status, false, errMalformed
		}
		v = bytes.TrimSpace(v)
		switch {
		case bytes.EqualFold(k, []byte("Content-Length")):
			if length, err = strconv.Atoi(string(v)); err != nil {
				return status, false, errMalformed
			}
		case bytes.EqualFold(k, []byte("Transfer-Encoding")):
			chunked = bytes.EqualFold(v, []byte("chunked"))
		case bytes.EqualFold(k, []byte("Connection")):
			keep = !bytes.EqualFold(v, []byte("close"))
		}
	}
	switch {
	case chunked:
		for {
			sz, err := r.ReadSlice('\n')
			if err != nil {
				return status, false, err
			}
			n, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.SplitN(sz, []byte(";"), 2)[0])), 16, 64)
			if err != nil {
				return status, false, errMalformed
			}
			if _, err := r.Discard(int(n) + 2); err != nil { // the chunk and its CRLF
				return status, false, err
			}
			if n == 0 {
				return status, keep, nil
			}
		}
	case length >= 0:
		_, err = r.Discard(length)
		return status, keep, err
	}
	_, err = io.Copy(io.Discard, r) // no length: the body ends with the connection
	return status, false, err
}
