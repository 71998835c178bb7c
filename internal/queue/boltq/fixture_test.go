package boltq

import (
	"bytes"
	"flag"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue/queuetest"
	bolt "go.etcd.io/bbolt"
)

// Layout fixtures: testdata/layout-N.db is a store written by a release whose file layout was N
// (the meta bucket's format; queuetest.WriteFixture), and layout-N.json what that release read back
// from it (queuetest.Observe). Every later release must open a copy, upgrading it, and read the same.
//
// layout-3: written by commit 592b52e (a format byte per added field); layout 4 is the one
// encoding (queue.Codec), upgraded to at open (migrate.go), and layout-4 written by the release
// that made it.
//
// To write the fixture of the current layout: go test ./internal/queue/boltq -run TestWriteLayoutFixture -write-fixture=N
var writeFixture = flag.String("write-fixture", "", "write testdata/layout-N.db and .json with this code")

func TestWriteLayoutFixture(t *testing.T) {
	if *writeFixture == "" {
		t.Skip("-write-fixture not set")
	}
	var now time.Time
	path := filepath.Join(t.TempDir(), "queue.db")
	s, err := Open(path, Options{Destinations: queuetest.FixtureDestinations, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	queuetest.WriteFixture(t, s, &now)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join("testdata", "layout-"+*writeFixture)
	if err := os.MkdirAll("testdata", 0o755); err != nil {
		t.Fatal(err)
	}
	copyFile(t, path, out+".db")
	// Observe claims: read a copy.
	obs := observeCopy(t, out+".db", now)
	if err := os.WriteFile(out+".json", obs, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLayoutFixtures(t *testing.T) {
	dbs, _ := filepath.Glob(filepath.Join("testdata", "layout-*.db"))
	if len(dbs) == 0 {
		t.Fatal("no layout fixtures in testdata")
	}
	for _, db := range dbs {
		t.Run(filepath.Base(db), func(t *testing.T) {
			want, err := os.ReadFile(db[:len(db)-len(".db")] + ".json")
			if err != nil {
				t.Fatal(err)
			}
			got := observeCopy(t, db, queuetest.FixtureStart.Add(5*time.Minute))
			diff, err := queuetest.SameObservation(want, got)
			if err != nil {
				t.Fatal(err)
			}
			if diff != "" {
				t.Errorf("the store read from %s differs from what its release read:\n%s", db, diff)
			}
		})
	}
}

// observeCopy opens a copy of the store file at path with its clock at now and observes it.
func observeCopy(t *testing.T, path string, now time.Time) []byte {
	t.Helper()
	cp := filepath.Join(t.TempDir(), "copy.db")
	copyFile(t, path, cp)
	s, err := Open(cp, Options{Destinations: queuetest.FixtureDestinations, Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	out := queuetest.Observe(t, s, &now)
	if err := s.db.View(func(tx *bolt.Tx) error {
		if tx.Bucket(bMeta).Get(keyUpgrading) != nil {
			t.Error("the upgrade did not finish")
		}
		return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
			return b.ForEach(func(k, v []byte) error {
				valued := bytes.Equal(name, bAudit) || bytes.Equal(name, bRejections) || bytes.Equal(name, bTrail) ||
					bytes.HasSuffix(name, bItems) || bytes.HasSuffix(name, []byte("/state"))
				if valued && legacy(v) {
					t.Errorf("bucket %s key %q: a value of layout 3 is left after the upgrade", name, k)
				}
				return nil
			})
		})
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}
