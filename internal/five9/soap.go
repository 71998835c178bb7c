package five9

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/five9/window"
)

// The SOAP operations used.
const (
	opAdd    = "addNumbersToDnc"
	opRemove = "removeNumbersFromDnc"
	opCheck  = "checkDncForNumbers"
	opConfig = "getVCCConfiguration"
)

// namespace is the admin service's (Five9's WSDL).
const namespace = "http://service.admin.ws.five9.com/"

// maxAnswer bounds an answer read: a check of 50,000 numbers answers about 1.5 MB.
const maxAnswer = 8 << 20

// envelope is a request: the operation with its <numbers> children.
func envelope(op string, numbers []string) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="` +
		namespace + `"><env:Header/><env:Body><ser:` + op + `>`)
	for _, n := range numbers {
		b.WriteString("<numbers>")
		_ = xml.EscapeText(&b, []byte(n))
		b.WriteString("</numbers>")
	}
	b.WriteString(`</ser:` + op + `></env:Body></env:Envelope>`)
	return b.Bytes()
}

// answer is a response envelope: a fault, or the operation's response with its <return>s.
type answer struct {
	Body struct {
		Fault *struct {
			Code   string `xml:"faultcode"`
			String string `xml:"faultstring"`
		} `xml:"Fault"`
		Response struct {
			XMLName xml.Name
			Return  []string `xml:"return"`
		} `xml:",any"`
	} `xml:"Body"`
}

// call sends one operation through the pacer and returns its <return> values.
func (c *Client) call(ctx context.Context, op, soapOp string, numbers []string) ([]string, error) {
	if err := c.cfg.Pacer.Wait(ctx); err != nil {
		return nil, &destination.Error{Kind: destination.Transient, Dest: Dest, Op: op, Msg: "waiting for the rate limit", Err: err}
	}
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.cfg.URL, bytes.NewReader(envelope(soapOp, numbers)))
	if err != nil {
		return nil, configError(op, 0, "FIVE9_URL is not usable")
	}
	req.Header.Set("Content-Type", "text/xml; charset=utf-8")
	req.Header.Set("SOAPAction", `""`)
	req.SetBasicAuth(c.cfg.User, c.cfg.Password)
	sent := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is not logged whole
		}
		return nil, &destination.Error{Kind: destination.Transient, Dest: Dest, Op: op, Msg: "no answer", Err: err}
	}
	destination.Answered(ctx, c.cfg.Pacer, sent)
	defer resp.Body.Close()
	body, rerr := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	status := resp.StatusCode
	if status == http.StatusTooManyRequests {
		pause := c.cfg.Pacer.Throttled(ctx, destination.RetryAfter(resp.Header, time.Now()))
		return nil, &destination.Error{Kind: destination.RateLimited, Dest: Dest, Op: op, Status: status, RetryAfter: pause,
			Msg: "Five9's request limit"}
	}
	if status < 500 {
		c.cfg.Pacer.OK(ctx)
	}
	if rerr != nil {
		// Five9 applied the request, or not: unknown, so not confirmed.
		return nil, &destination.Error{Kind: destination.Transient, Dest: Dest, Op: op, Status: status, Msg: "answer cut off", Err: rerr}
	}
	var a answer
	perr := xml.Unmarshal(body, &a)
	switch {
	case perr == nil && a.Body.Fault != nil:
		return nil, c.faultError(op, status, a.Body.Fault.String)
	case status/100 == 3:
		return nil, configError(op, status, "FIVE9_URL redirects elsewhere; set it to the final URL")
	case status == http.StatusUnauthorized:
		return nil, configError(op, status, "Five9 refused the login; check FIVE9_USER and FIVE9_PASSWORD")
	case status == http.StatusForbidden:
		return nil, configError(op, status, "Five9 refused the user; check that FIVE9_USER is an administrator with API access")
	case status == http.StatusNotFound || status == http.StatusMethodNotAllowed:
		return nil, configError(op, status, "nothing answers at FIVE9_URL; it is the AdminWebService URL")
	case status >= 500 || status == http.StatusRequestTimeout:
		return nil, &destination.Error{Kind: destination.Transient, Dest: Dest, Op: op, Status: status, Msg: "Five9 failed" + excerpt(body)}
	case status/100 != 2:
		return nil, configError(op, status, "Five9 refused the request"+excerpt(body))
	case perr != nil || a.Body.Response.XMLName.Local != soapOp+"Response":
		return nil, &destination.Error{Kind: destination.Transient, Dest: Dest, Op: op, Status: status, Msg: "unexpected answer" + excerpt(body)}
	}
	return a.Body.Response.Return, nil
}

// faultError classifies a SOAP fault by its text: the window, a missing permission (the
// deployment's), or a failure of Five9's to retry.
func (c *Client) faultError(op string, status int, text string) *destination.Error {
	msg := destination.ShortText(destination.RedactNumbers(text))
	low := strings.ToLower(text)
	switch {
	case op == "add" && (strings.Contains(low, "pacific") || strings.Contains(low, "11:00 pm")):
		// Our clock said open: Five9's is a little ahead (past 06:00: tonight's window) or behind
		// (before 23:00: in a minute).
		now := c.now(time.Now())
		_, at := window.Adds(now.Add(time.Hour))
		if at.IsZero() {
			at = now.Add(time.Minute)
		}
		return windowError(at, now)
	case strings.Contains(low, "permission") || strings.Contains(low, "access") || strings.Contains(low, "not allowed"):
		return configError(op, status, "Five9 refused the operation: "+msg+
			" (give FIVE9_USER the DNC permissions: see docs/destinations.md)")
	case op != "login" && strings.Contains(low, "number"):
		// A number refused, or the request's form of it: the pusher decides (write halves first).
		return &destination.Error{Kind: destination.Refused, Dest: Dest, Op: op, Status: status, Record: true,
			Msg: "Five9 refused the number: " + msg}
	}
	return &destination.Error{Kind: destination.Transient, Dest: Dest, Op: op, Status: status, Msg: "Five9 answered a fault: " + msg}
}

// excerpt is a short, log-safe quote of an answer.
func excerpt(body []byte) string {
	s := destination.ShortText(destination.RedactNumbers(string(body)))
	if s == "" {
		return ""
	}
	return " (" + s + ")"
}

func configError(op string, status int, msg string) *destination.Error {
	return &destination.Error{Kind: destination.Config, Dest: Dest, Op: op, Status: status, Msg: msg}
}
