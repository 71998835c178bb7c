package boltq

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	"github.com/dncsync/dncsync/internal/queue/queuetest"
	berrors "go.etcd.io/bbolt/errors"
)

// readers are the methods of Store that only read; every other method writes, and must refuse
// on a read-only Store (TestReadOnlyRefusesWrites calls each one).
var readers = map[string]bool{
	"Close": true, "DeadLetters": true, "Dest": true, "Destinations": true, "Entries": true, "EventIDs": true,
	"Export": true, "Histories": true, "LastConfirmed": true, "Lookup": true, "NextDue": true,
	"RecordedDestinations": true, "RejectionStats": true, "Rejections": true, "RejectionsSince": true,
	"SessionRevoked": true, "States": true, "Stats": true,
}

// writeSome writes a store at path with one queued opt-out, one rejection and the destinations
// recorded, and closes it.
func writeSome(t *testing.T, path string, dests []string) {
	t.Helper()
	ctx := context.Background()
	w, err := Open(path, Options{Destinations: dests})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if _, err := w.Enqueue(ctx, []queue.Event{event("+14155550001", "e1", now)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Reject(ctx, queue.Rejection{Raw: "not a number", Reason: "invalid", ReceivedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := w.RecordDestinations(ctx); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReadOnlyRefusesWrites(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	dests := []string{"cxone", "genesys"}
	writeSome(t, path, dests)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	r := openAt(t, path, Options{Destinations: dests, ReadOnly: true})
	// It reads what the writer wrote.
	st, err := r.Stats(ctx)
	if err != nil || st.Ready != 1 {
		t.Fatalf("Stats = %+v, %v; want the one queued entry", st, err)
	}
	h, found, err := r.Lookup(ctx, "+14155550001", queue.Page{})
	if err != nil || !found || len(h.Records) == 0 {
		t.Fatalf("Lookup = %+v, %v, %v; want the number and its trail", h, found, err)
	}
	hs, err := r.Histories(ctx, []string{"+14155550001", "+14155550002"})
	if err != nil || len(hs) != 1 {
		t.Fatalf("Histories = %v, %v; want the one number written", hs, err)
	}
	rs, err := r.RejectionsSince(ctx, time.Time{}, 10)
	if err != nil || len(rs) != 1 {
		t.Fatalf("RejectionsSince = %v, %v; want the one rejection", rs, err)
	}
	if got, err := r.RecordedDestinations(ctx); err != nil || strings.Join(got, ",") != "cxone,genesys" {
		t.Fatalf("RecordedDestinations = %v, %v", got, err)
	}

	// Every other method refuses, on the primary and on another destination's view, whatever its
	// arguments (zero values here: the refusal comes before anything is looked at).
	other, err := r.Dest("genesys")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []any{r, other} {
		v := reflect.ValueOf(s)
		typ := v.Type()
		writers := 0
		for i := range typ.NumMethod() {
			m := typ.Method(i)
			if readers[m.Name] {
				continue
			}
			writers++
			err := callZero(v.Method(i))
			if !errors.Is(err, ErrNeedsWrite) {
				t.Errorf("%s on a read-only store: %v; want ErrNeedsWrite", m.Name, err)
			}
			if errors.Is(err, queue.ErrUnavailable) {
				t.Errorf("%s: %v is ErrUnavailable, which callers retry", m.Name, err)
			}
		}
		if writers < 20 {
			t.Fatalf("only %d writing methods found on %T", writers, s)
		}
	}
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	after, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Fatal("the file changed under a read-only Store")
	}
}

// callZero calls method m with a background context and zero values, and returns its last result
// as an error (nil when it returns none).
func callZero(m reflect.Value) error {
	mt := m.Type()
	args := make([]reflect.Value, mt.NumIn())
	ctxType := reflect.TypeFor[context.Context]()
	for i := range args {
		if mt.In(i) == ctxType {
			args[i] = reflect.ValueOf(context.Background())
		} else {
			args[i] = reflect.Zero(mt.In(i))
		}
	}
	var out []reflect.Value
	if mt.IsVariadic() {
		out = m.CallSlice(args)
	} else {
		out = m.Call(args)
	}
	if len(out) == 0 {
		return nil
	}
	err, _ := out[len(out)-1].Interface().(error)
	return err
}

// TestReadOnlyLocks is the lock bbolt takes: readers share it; a writer and a reader exclude each
// other, each failing after lockTimeout with ErrTimeout and a message saying why.
func TestReadOnlyLocks(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	writeSome(t, path, nil)

	r1 := openAt(t, path, Options{ReadOnly: true})
	r2 := openAt(t, path, Options{ReadOnly: true}) // beside another reader
	if _, err := r2.Stats(context.Background()); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path, Options{}); !errors.Is(err, berrors.ErrTimeout) {
		t.Fatalf("a writer beside readers: %v; want ErrTimeout", err)
	}
	r1.Close()
	r2.Close()

	w := openAt(t, path, Options{})
	_, err := Open(path, Options{ReadOnly: true})
	if !errors.Is(err, berrors.ErrTimeout) || !strings.Contains(err.Error(), "held by a dncsync process that writes") {
		t.Fatalf("a reader beside a writer: %v; want ErrTimeout saying why", err)
	}
	w.Close()
	openAt(t, path, Options{ReadOnly: true}) // the lock goes with the writer
}

func TestReadOnlyOpenRefuses(t *testing.T) {
	dir := t.TempDir()
	t.Run("missing", func(t *testing.T) {
		path := filepath.Join(dir, "none", "queue.db")
		if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrNoStore) {
			t.Fatalf("read-only open of a missing file: %v; want ErrNoStore", err)
		}
		if _, err := os.Stat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("a read-only open created the data dir: %v", err)
		}
	})
	t.Run("empty", func(t *testing.T) {
		path := filepath.Join(dir, "empty.db")
		if err := os.WriteFile(path, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(path, Options{ReadOnly: true}); !errors.Is(err, ErrNoStore) {
			t.Fatalf("read-only open of an empty file: %v; want ErrNoStore", err)
		}
	})
	t.Run("older layout", func(t *testing.T) {
		path := filepath.Join(dir, "layout-3.db")
		copyFile(t, filepath.Join("testdata", "layout-3.db"), path)
		before, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Open(path, Options{Destinations: queuetest.FixtureDestinations, ReadOnly: true})
		if !errors.Is(err, ErrNeedsUpgrade) || !strings.Contains(err.Error(), "start serve once") {
			t.Fatalf("read-only open of layout 3: %v; want ErrNeedsUpgrade saying what to do", err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Fatal("a refused read-only open changed the file")
		}
	})
	t.Run("destination added", func(t *testing.T) {
		path := filepath.Join(dir, "one.db")
		writeSome(t, path, nil)
		_, err := Open(path, Options{Destinations: []string{"cxone", "five9"}, ReadOnly: true})
		if !errors.Is(err, ErrNeedsUpgrade) || !strings.Contains(err.Error(), "five9/") {
			t.Fatalf("read-only open for a destination the file lacks: %v; want ErrNeedsUpgrade naming it", err)
		}
	})
}

// A read-only Store that drops the file's pages after every read (a budget of 0) still reads the
// same answers: the pages come back from the page cache.
func TestReadOnlyDropsPagesAndReadsAgain(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	writeSome(t, path, nil)
	old := residentBudget
	residentBudget = 0
	t.Cleanup(func() { residentBudget = old })
	r := openAt(t, path, Options{ReadOnly: true})
	if r.mapped <= 0 {
		t.Fatalf("mapped size %d at a read-only open", r.mapped)
	}
	for i := range 3 {
		hs, err := r.Histories(ctx, []string{"+14155550001"})
		if err != nil || len(hs) != 1 || len(hs["+14155550001"].Records) == 0 {
			t.Fatalf("read %d after a drop: %v, %v", i, hs, err)
		}
	}
	var n int
	if err := r.Export(ctx, time.Time{}, time.Time{}, func(queue.AuditRecord) error { n++; return nil }); err != nil || n == 0 {
		t.Fatalf("export after drops: %d records, %v", n, err)
	}
}
