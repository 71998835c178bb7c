package destination

import (
	"errors"
	"strconv"
	"strings"
	"testing"
)

const (
	bad   = "+14155550100"
	other = "+14155550101"
)

func TestAttributionNeedsAnotherBatchSince(t *testing.T) {
	var a Attribution
	b1 := a.Batch()
	a.Accepted(b1, "add", []string{"+14155550001", "+14155550002"})

	b2 := a.Batch()
	if k := a.Refusal(b2, "add", bad); k != Config {
		t.Fatalf("first refusal, although numbers got through before it: %v, want config", k)
	}
	a.Accepted(b2, "add", []string{other}) // a batch mate: it says nothing of the refusal

	b3 := a.Batch()
	if k := a.Refusal(b3, "add", bad); k != Config {
		t.Fatalf("refused again with only a batch mate accepted since: %v, want config", k)
	}
	if k := a.Refusal(b3, "remove", "+14155550102"); k != Config {
		t.Fatalf("a remove: %v, want config", k)
	}
	a.Accepted(b3, "add", []string{"+14155550003"})

	b4 := a.Batch()
	if k := a.Refusal(b4, "remove", "+14155550102"); k != Config {
		t.Fatalf("a refused remove after adds got through: %v, want config (operations are apart)", k)
	}
	if k := a.Refusal(b4, "add", bad); k != Permanent {
		t.Fatalf("refused after another batch got another number through: %v, want permanent", k)
	}
	// Decided once: its next refusal starts over.
	if k := a.Refusal(a.Batch(), "add", bad); k != Config {
		t.Fatalf("after the decision: %v, want a first refusal again", k)
	}
}

func TestAttributionNothingAccepted(t *testing.T) {
	var a Attribution
	for range 10 {
		if k := a.Refusal(a.Batch(), "add", bad); k != Config {
			t.Fatalf("refused while nothing gets through: %v, want config", k)
		}
	}
	// The number itself getting through forgets its refusals.
	a.Accepted(a.Batch(), "add", []string{bad})
	a.Accepted(a.Batch(), "add", []string{other})
	if k := a.Refusal(a.Batch(), "add", bad); k != Config {
		t.Fatalf("refused after it got through itself: %v, want a first refusal", k)
	}
	// Only the number itself accepted since: no evidence.
	var b Attribution
	b.Refusal(b.Batch(), "add", bad)
	b.Accepted(b.Batch(), "add", []string{other})
	b.Accepted(b.Batch(), "add", []string{bad})
	b.Refusal(b.Batch(), "add", bad)
	b.Accepted(b.Batch(), "add", []string{bad})
	if k := b.Refusal(b.Batch(), "add", bad); k != Config {
		t.Fatalf("refused with only itself accepted since its first refusal: %v", k)
	}
}

func TestAttribute(t *testing.T) {
	var a Attribution
	for _, err := range []error{nil, errors.New("plain"), &Error{Kind: Transient, Op: "add"}, &Error{Kind: Permanent, Op: "add"}} {
		if got := a.Attribute(a.Batch(), "add", bad, err); got != err {
			t.Errorf("Attribute(%v) = %v, want it unchanged", err, got)
		}
	}
	refused := &Error{Kind: Refused, Dest: "genesys", Op: "add", Status: 400, Record: true, Msg: "refused (invalid.value)"}
	got := a.Attribute(a.Batch(), "add", bad, refused)
	var e *Error
	if !errors.As(got, &e) || e.Kind != Config || e.Status != 400 || !e.Record || e.Dest != "genesys" ||
		!strings.Contains(e.Msg, "held without spending an attempt") || !strings.HasSuffix(e.Msg, "refused (invalid.value)") {
		t.Fatalf("first refusal: %#v", got)
	}
	if refused.Kind != Refused {
		t.Fatal("Attribute changed the error it was given")
	}
	a.Accepted(a.Batch(), "add", []string{other})
	got = a.Attribute(a.Batch(), "add", bad, refused)
	if KindOf(got) != Permanent || !strings.Contains(got.Error(), "accepted another number since") {
		t.Fatalf("attributed refusal: %v", got)
	}
}

func TestAttributionBounded(t *testing.T) {
	var a Attribution
	b := a.Batch()
	for i := range maxRefused + 10 {
		a.Refusal(b, "add", strconv.Itoa(i))
	}
	if n := len(a.ops["add"].refused); n != maxRefused {
		t.Fatalf("%d numbers remembered, want the bound %d", n, maxRefused)
	}
}

func TestProbe(t *testing.T) {
	var p Probe
	for range ProbeLimit - 1 {
		p.Refused()
	}
	if p.Exhausted() {
		t.Fatal("exhausted before the limit")
	}
	p.Accepted()
	for range ProbeLimit - 1 {
		p.Refused()
	}
	if p.Exhausted() {
		t.Fatal("an accepted request did not reset the count")
	}
	p.Refused()
	if !p.Exhausted() || KindOf(Unsent("genesys", "add")) != Config {
		t.Fatal("not exhausted at the limit, or unsent numbers would spend attempts")
	}
}
