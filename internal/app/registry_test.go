package app

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/destination"
	"github.com/dncsync/dncsync/internal/setting"
)

// A destination is its Spec and one registry line: with a fake one registered, its settings are
// declared and checked, its lane is built, and an opt-out reaches it through the service, with
// nothing else changed.
func TestRegistryIsTheOnlyPlace(t *testing.T) {
	got := make(chan string, 10)
	fake := destination.Spec{Name: "fake", Title: "a fake list", Bind: func(s *setting.Set) destination.Settings {
		f := &fakeSettings{got: got}
		s.String(&f.list, "fake-list", "FAKE_LIST", "", "the fake list").Require("with fake in DNCSYNC_DESTINATIONS")
		return f
	}}
	pinned := Destinations
	Destinations = append(append([]destination.Spec(nil), pinned...), fake)
	defer func() { Destinations = pinned }()
	for k, v := range map[string]string{"DNCSYNC_DESTINATIONS": "fake", "DNCSYNC_DATA_DIR": t.TempDir(),
		"DNCSYNC_WEBHOOK_AUTH": "none", "FAKE_LIST": "", "DNCSYNC_LOG_LEVEL": "info", "DNCSYNC_LOG_FORMAT": "json"} {
		t.Setenv(k, v)
	}
	cfg := Bind(setting.New(""))
	if st := cfg.Set.Lookup("FAKE_LIST"); st == nil || st.Group != "destination fake" {
		t.Fatalf("the fake's setting is not declared under its group: %+v", st)
	}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "FAKE_LIST is required") {
		t.Fatalf("the fake's settings are not checked: %v", err)
	}
	if err := cfg.Set.Lookup("FAKE_LIST").Set("list-1"); err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	svc, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, ln) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	resp, err := http.Post("http://"+ln.Addr().String()+"/webhook/opt-out", "application/json",
		strings.NewReader(`{"phoneNumber":"+14155552671"}`))
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("opt-out: %v %v", resp, err)
	}
	resp.Body.Close()
	select {
	case n := <-got:
		if n != "+14155552671" {
			t.Fatalf("the fake destination got %s", n)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the opt-out did not reach the fake destination")
	}
}

type fakeSettings struct {
	list string
	got  chan string
}

func (f *fakeSettings) Validate() error {
	if f.list == "" {
		return errors.New("FAKE_LIST is required")
	}
	return nil
}

func (f *fakeSettings) Pace() destination.Pace { return destination.Pace{RPM: 60000, MaxBatch: 10} }

func (f *fakeSettings) New(destination.Deps) (destination.Client, error) {
	return fakeClient{f.got}, nil
}

type fakeClient struct{ got chan string }

func (c fakeClient) Add(_ context.Context, cs []destination.Contact) []error {
	for _, x := range cs {
		c.got <- x.Number
	}
	return make([]error, len(cs))
}

func (c fakeClient) Remove(_ context.Context, cs []destination.Contact) []error {
	return make([]error, len(cs))
}
func (c fakeClient) Login(context.Context) error { return nil }
