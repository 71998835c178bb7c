package five9sim

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/five9/window"
)

func post(t *testing.T, s *Server, u, user, pass, op string, numbers ...string) (int, string) {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, `<env:Envelope xmlns:env="http://schemas.xmlsoap.org/soap/envelope/" xmlns:ser="%s"><env:Body><ser:%s>`, Namespace, op)
	for _, n := range numbers {
		fmt.Fprintf(&b, "<numbers>%s</numbers>", n)
	}
	fmt.Fprintf(&b, "</ser:%s></env:Body></env:Envelope>", op)
	req, _ := http.NewRequest(http.MethodPost, u, strings.NewReader(b.String()))
	req.SetBasicAuth(user, pass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// The simulator enforces what Five9 documents: Basic auth, additions only in the window by its
// own clock (which /sim/clock sets), 10-digit numbers, checks of at most MaxCheck numbers.
func TestEnforcesTheContract(t *testing.T) {
	s := New(Config{MaxCheck: 3})
	u, base, stop := s.Start()
	defer stop()
	user, pass := s.Config().User, s.Config().Password
	if code, _ := post(t, s, u, user, "wrong", OpConfig); code != http.StatusUnauthorized {
		t.Fatalf("wrong password: %d", code)
	}
	s.SetNow(time.Date(2026, 1, 15, 12, 0, 0, 0, window.Pacific))
	if code, body := post(t, s, u, user, pass, OpAdd, "4155552671"); code != 500 || !strings.Contains(body, "Pacific") || s.Has("4155552671") {
		t.Fatalf("add at noon: %d %s", code, body)
	}
	resp, err := http.Post(base+"/sim/clock", "text/plain", strings.NewReader("2026-01-16T07:30:00Z")) // 23:30 PST
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("set the clock: %v %v", resp, err)
	}
	if code, body := post(t, s, u, user, pass, OpAdd, "4155552671"); code != 200 || !strings.Contains(body, "<return>1</return>") {
		t.Fatalf("add at night: %d %s", code, body)
	}
	if code, body := post(t, s, u, user, pass, OpCheck, "4155552671", "4155552672"); code != 200 ||
		!strings.Contains(body, "<return>4155552671</return>") || strings.Contains(body, "4155552672") {
		t.Fatalf("check: %d %s", code, body)
	}
	if code, _ := post(t, s, u, user, pass, OpCheck, "1", "2", "3", "4"); code != 500 {
		t.Fatalf("a check past MaxCheck: %d", code)
	}
	if code, _ := post(t, s, u, user, pass, OpAdd, "+14155552673"); code != 500 {
		t.Fatalf("a number not of 10 digits: %d", code)
	}
	if st := s.Stats(); st.AuthFailed != 1 || st.OutsideWindow != 1 || st.Added != 1 {
		t.Fatalf("stats %+v", st)
	}
}
