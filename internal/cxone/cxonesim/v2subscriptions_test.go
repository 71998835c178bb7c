package cxonesim

import (
	"net/http"
	"slices"
	"testing"
)

const subPath = "/api/v2/event-subscriptions"

func TestSubscriptionCreated(t *testing.T) {
	e := newEnv(t, Config{})
	body := `{"name":"dnc","eventTypes":["contact.dnc"],"callbackUrl":"https://hooks.example.com/cx","enabled":true,"retryPolicy":{"maxRetries":3,"interval":60}}`
	status, _, resp := e.call(http.MethodPost, subPath, body)
	if status != http.StatusCreated {
		t.Fatalf("status %d %s", status, resp)
	}
	var got struct{ ID string }
	mustJSON(t, resp, &got)
	if got.ID != "sub-0001" {
		t.Errorf("id %q", got.ID)
	}
	subs := e.sim.Subscriptions()
	if len(subs) != 1 {
		t.Fatalf("subscriptions %+v", subs)
	}
	s := subs[0]
	if s.ID != got.ID || s.Org != "dncsync-sim" || s.Name != "dnc" || !slices.Equal(s.EventTypes, []string{"contact.dnc"}) ||
		s.CallbackURL != "https://hooks.example.com/cx" || !s.Enabled || s.RetryPolicy == nil || *s.RetryPolicy != (RetryPolicy{3, 60}) {
		t.Errorf("stored %+v", s)
	}
	// A second subscription gets its own ID.
	status, _, resp = e.call(http.MethodPost, subPath, `{"name":"b","eventTypes":["x"],"callbackUrl":"http://127.0.0.1:9/cb"}`)
	mustJSON(t, resp, &got)
	if status != http.StatusCreated || got.ID != "sub-0002" {
		t.Errorf("second: %d %s", status, resp)
	}
}

func TestSubscriptionValidation(t *testing.T) {
	e := newEnv(t, Config{})
	cases := map[string]string{
		"relative url":      `{"name":"a","eventTypes":["x"],"callbackUrl":"/cb"}`,
		"ftp url":           `{"name":"a","eventTypes":["x"],"callbackUrl":"ftp://h/cb"}`,
		"no host":           `{"name":"a","eventTypes":["x"],"callbackUrl":"https:///cb"}`,
		"missing url":       `{"name":"a","eventTypes":["x"]}`,
		"empty eventTypes":  `{"name":"a","eventTypes":[],"callbackUrl":"https://h/cb"}`,
		"missing eventType": `{"name":"a","callbackUrl":"https://h/cb"}`,
		"blank eventType":   `{"name":"a","eventTypes":[""],"callbackUrl":"https://h/cb"}`,
		"missing name":      `{"eventTypes":["x"],"callbackUrl":"https://h/cb"}`,
		"unknown field":     `{"name":"a","eventTypes":["x"],"callbackURL":"https://h/cb"}`,
		"retry unknown key": `{"name":"a","eventTypes":["x"],"callbackUrl":"https://h/cb","retryPolicy":{"retries":3}}`,
		"retry negative":    `{"name":"a","eventTypes":["x"],"callbackUrl":"https://h/cb","retryPolicy":{"maxRetries":-1}}`,
		"enabled string":    `{"name":"a","eventTypes":["x"],"callbackUrl":"https://h/cb","enabled":"yes"}`,
	}
	for name, body := range cases {
		if status, _, resp := e.call(http.MethodPost, subPath, body); status != http.StatusBadRequest {
			t.Errorf("%s: %d %s, want 400", name, status, resp)
		}
	}
	if status, _, _ := e.call(http.MethodPost, subPath, `{"name":"a","eventTypes":["x"],"callbackUrl":"https://h/cb"}`, delHeader("X-CXone-Version")); status != http.StatusBadRequest {
		t.Errorf("no version header: %d, want 400", status)
	}
	if n := len(e.sim.Subscriptions()); n != 0 {
		t.Errorf("%d subscriptions created by invalid requests", n)
	}
}
