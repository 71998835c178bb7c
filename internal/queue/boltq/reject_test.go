package boltq

import (
	"context"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/dncsync/dncsync/internal/queue"
	bolt "go.etcd.io/bbolt"
)

// A file of layout 2, whose rejections the release before the limits wrote (format 2: a 4 KiB body,
// no hash, no counters, no identities), opens: its rejections are counted and listed as they were,
// a lowered cap sheds them in batches, and new ones are held to the limits.
func TestOpenLayoutBeforeRejectionLimits(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "queue.db")
	s, err := Open(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	base := time.Now().Add(-time.Minute).Truncate(time.Millisecond)
	const old = 5
	for i := range old {
		if err := s.Reject(ctx, queue.Rejection{Raw: fmt.Sprintf("12%d", i), Body: strings.Repeat("x", 5000),
			Reason: "too_short", EventID: fmt.Sprintf("e%d", i), ReceivedAt: base.Add(time.Duration(i) * time.Millisecond)}); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	// Make it the file that release wrote: each rejection in format 2 with a 4 KiB body, the
	// counters and identities gone, layout 2.
	db, err := bolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bRejections)
		var keys, vals [][]byte
		b.ForEach(func(k, v []byte) error {
			r, err := decodeRejection(v)
			if err != nil {
				return err
			}
			r.Body = strings.Repeat("x", 4096)
			enc := []byte{rejectionV2}
			for _, s := range []string{r.Raw, r.Body, r.Reason, r.Region, r.Source, r.Channel, r.EventID} {
				enc = appendString(enc, s)
			}
			enc = appendString(appendString(appendTime(enc, r.ReceivedAt), r.Said), r.Key)
			keys, vals = append(keys, append([]byte(nil), k...)), append(vals, enc)
			return nil
		})
		for i := range keys {
			if err := b.Put(keys[i], vals[i]); err != nil {
				return err
			}
		}
		if err := tx.DeleteBucket(bRejSeen); err != nil {
			return err
		}
		if err := tx.Bucket(bMeta).Delete(keyRejStats); err != nil {
			return err
		}
		return tx.Bucket(bMeta).Put(keyFormat, []byte{formatNoRejStats})
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s = openAt(t, path, Options{Rejections: queue.RejectionLimits{Cap: 2}})
	st, err := s.RejectionStats(ctx)
	if err != nil || st.Kept != old || st.Recorded != 0 {
		t.Fatalf("stats after the upgrade %+v, %v; want the %d rejections kept", st, err, old)
	}
	rs, err := s.RejectionsSince(ctx, time.Time{}, 10)
	if err != nil || len(rs) != old || len(rs[0].Body) != 4096 || rs[0].Hash != "" || rs[0].EventID != "e4" {
		t.Fatalf("rejections of the release before: %d, %v", len(rs), err)
	}
	// The cap of 2: the trim sheds what is past it.
	if n, err := s.TrimRejections(ctx, time.Time{}); err != nil || n != old-2 {
		t.Fatalf("trim removed %d, %v; want %d", n, err, old-2)
	}
	// The same input again is recorded (the release before kept no identities), shedding one more.
	if err := s.Reject(ctx, queue.Rejection{Raw: "124", Body: "{}", Reason: "too_short", EventID: "e4", ReceivedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st, _ = s.RejectionStats(ctx)
	if st.Kept != 2 || st.Shed != old+1-2 || st.Recorded != 1 {
		t.Fatalf("stats after the trim %+v", st)
	}
	if rs, _ := s.Rejections(ctx, 10); len(rs) != 2 || rs[0].Hash == "" || rs[1].EventID != "e4" || rs[1].Hash != "" {
		t.Fatalf("kept %+v, want the new one and the newest of the release before", rs)
	}
	s.Close()
	checkFile(t, path)
}

// The filesystem's fill is df's Use%: used of used and available to a process without root's
// reserve.
func TestUsageIsTheFilesystemsAsDfSaysIt(t *testing.T) {
	dir := t.TempDir()
	used, limit, err := usage(dir)
	if err != nil {
		t.Skipf("no filesystem usage here: %v", err)
	}
	out, err := exec.Command("df", "-P", dir).Output()
	if err != nil {
		t.Skipf("no df here: %v", err)
	}
	f := strings.Fields(strings.Split(strings.TrimSpace(string(out)), "\n")[1])
	pct, err := strconv.Atoi(strings.TrimSuffix(f[4], "%"))
	if err != nil {
		t.Fatalf("df said %q", out)
	}
	if got := math.Ceil(float64(used) * 100 / float64(limit)); math.Abs(got-float64(pct)) > 1 {
		t.Fatalf("used %d of %d: %v%%, df says %d%%", used, limit, got, pct)
	}
}
