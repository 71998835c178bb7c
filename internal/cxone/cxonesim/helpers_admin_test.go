package cxonesim

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// adminVersionPath is the API version the admin tests call.
const adminVersionPath = "v30.0"

// newAdminEnv serves a simulator and logs in with the access key.
func newAdminEnv(t *testing.T, cfg Config) *env {
	t.Helper()
	e := startEnv(t, cfg)
	e.tok = e.adminToken()
	return e
}

// accessKeyLogin posts an access key login with the given credentials.
func (e *env) accessKeyLogin(id, secret string) (int, []byte) {
	e.t.Helper()
	body := fmt.Sprintf(`{"accessKeyId":%q,"accessKeySecret":%q}`, id, secret)
	resp, err := e.client.Post(e.hosts.Login+"/authentication/v1/token/access-key", "application/json", strings.NewReader(body))
	if err != nil {
		e.t.Fatalf("access key login: %v", err)
	}
	status, _, b := readResp(e.t, resp)
	return status, b
}

// adminToken logs in with the configured access key.
func (e *env) adminToken() string {
	e.t.Helper()
	cfg := e.sim.Config()
	status, body := e.accessKeyLogin(cfg.AccessKeyID, cfg.AccessKeySecret)
	if status != http.StatusOK {
		e.t.Fatalf("access key login: %d %s", status, body)
	}
	var tr adminTokenResponse
	mustJSON(e.t, body, &tr)
	return tr.AccessToken
}

// adminCall issues an admin API call with the headers a correct client sends;
// opts may break them.
func (e *env) adminCall(method, path, body string, opts ...reqOpt) (int, http.Header, []byte) {
	e.t.Helper()
	opts = append([]reqOpt{delHeader("X-CXone-Version"), setHeader("Accept", "application/json")}, opts...)
	return e.call(method, path, body, opts...)
}

// adminSend is adminCall for requests that may get no answer.
func (e *env) adminSend(method, path, body string) (*http.Response, error) {
	e.t.Helper()
	return e.send(method, path, body, delHeader("X-CXone-Version"), setHeader("Accept", "application/json"))
}

func (e *env) servicesPath() string { return "/inContactAPI/services/" + adminVersionPath }

func (e *env) recordsPath() string {
	return e.servicesPath() + "/dnc-groups/" + e.sim.Config().DNCGroupID + "/records"
}

// recordsBody renders an add request as the spec types it: phoneNumber a JSON
// number (a string if it is not all digits, which the spec refuses). A number
// may carry an expiredDate as "digits@date".
func recordsBody(numbers ...string) string { return dncRecordsBody(true, numbers...) }

// removeBody renders a remove request: phoneNumber a JSON string.
func removeBody(numbers ...string) string { return dncRecordsBody(false, numbers...) }

func dncRecordsBody(asNumbers bool, numbers ...string) string {
	parts := make([]string, len(numbers))
	for i, n := range numbers {
		n, date, dated := strings.Cut(n, "@")
		phone := strconv.Quote(n)
		if asNumbers && n != "" && strings.Trim(n, "0123456789") == "" {
			phone = n
		}
		if dated {
			parts[i] = fmt.Sprintf(`{"phoneNumber":%s,"expiredDate":%q}`, phone, date)
		} else {
			parts[i] = fmt.Sprintf(`{"phoneNumber":%s}`, phone)
		}
	}
	return `{"dncGroupRecords":[` + strings.Join(parts, ",") + `]}`
}

// addRecords adds records and decodes the 200 answer.
func (e *env) addRecords(numbers ...string) adminResultSet {
	e.t.Helper()
	status, _, body := e.adminCall(http.MethodPost, e.recordsPath(), recordsBody(numbers...))
	if status != http.StatusOK {
		e.t.Fatalf("add: %d %s", status, body)
	}
	var got struct{ ResultSet adminResultSet }
	mustJSON(e.t, body, &got)
	return got.ResultSet
}

// removeRecords removes records and decodes the 200 answer.
func (e *env) removeRecords(numbers ...string) adminResultSet {
	e.t.Helper()
	status, _, body := e.adminCall(http.MethodDelete, e.recordsPath(), removeBody(numbers...))
	if status != http.StatusOK {
		e.t.Fatalf("remove: %d %s", status, body)
	}
	var got adminResultSet
	mustJSON(e.t, body, &got)
	return got
}

// digits returns the admin wire form of number(i): its 10 NANP digits.
func digits(i int) string { return number(i)[2:] }

// jwtPayload decodes the claims of a compact JWT.
func jwtPayload(t *testing.T, tok string) map[string]any {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q has %d parts, want 3", tok, len(parts))
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("payload of %q: %v", tok, err)
	}
	var claims map[string]any
	if err := json.Unmarshal(b, &claims); err != nil {
		t.Fatalf("payload %s: %v", b, err)
	}
	return claims
}
