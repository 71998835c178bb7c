package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/dncsync/dncsync/internal/redistest"
)

// redisUsed is Redis's used_memory.
func redisUsed(t *testing.T, rdb *redis.Client) int64 {
	t.Helper()
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(l, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	t.Fatal("no used_memory in INFO")
	return 0
}

// junkBatch is n distinct junk events of about 2 KB each: a number too long to be one, and text.
func junkBatch(from, n int) string {
	filler := strings.Repeat("junk ", 400)
	var sb strings.Builder
	sb.WriteByte('[')
	for i := range n {
		if i > 0 {
			sb.WriteByte(',')
		}
		fmt.Fprintf(&sb, `{"phoneNumber":"%d%s","reason":"%s"}`, from+i, strings.Repeat("7", 40), filler)
	}
	sb.WriteByte(']')
	return sb.String()
}

// The report: junk posted into a Redis near maxmemory filled it, and then a valid opt-out got 503.
// A rejection is now stored compactly, and past DNCSYNC_REJECTION_MAX_FILL of maxmemory rejections
// are no longer written (counted as skipped): the junk is still answered, and opt-outs still fit.
func TestJunkLeavesRoomForOptOuts(t *testing.T) {
	_, env := startSim(t, 6000)
	srv := redistest.Start(t)
	p := startServe(t, append(env, "REDIS_URL="+srv.URL(), "DNCSYNC_ADMIN_TOKEN="+adminToken)...)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr})
	defer rdb.Close()
	ctx := context.Background()
	// Warm up the scripts and the keys an opt-out and a rejection create before measuring.
	if code, _, _ := p.post(`{"phoneNumber":"+14155552670"}`); code != 200 {
		t.Fatalf("the first opt-out answered %d", code)
	}
	if code, _, _ := p.post(junkBatch(0, 1)); code != 200 {
		t.Fatalf("the first junk answered %d", code)
	}
	before := redisUsed(t, rdb)
	const perPost, measured = 100, 1000
	for i := 0; i < measured; i += perPost {
		if code, resp, err := p.post(junkBatch(1+i, perPost)); err != nil || code != 200 {
			t.Fatalf("junk batch at %d: %d %.200s %v", i, code, resp, err)
		}
	}
	per := (redisUsed(t, rdb) - before) / measured
	t.Logf("a rejection of a 2 KB junk event costs Redis %d bytes", per)
	if per > 1500 {
		t.Fatalf("a rejection of a 2 KB junk event costs Redis %d bytes; want a compact record (hash and 256-byte prefix)", per)
	}

	// Room for about 3,000 more such rejections; then 12,000 more junk events.
	limit := redisUsed(t, rdb) + 3000*per
	if err := rdb.ConfigSet(ctx, "maxmemory", strconv.FormatInt(limit, 10)).Err(); err != nil {
		t.Fatal(err)
	}
	for i := measured; i < measured+12000; i += perPost {
		code, resp, err := p.post(junkBatch(1+i, perPost))
		if err != nil || code != 200 {
			t.Fatalf("junk batch at %d (Redis at %d of %d bytes): %d %.200s %v", i, redisUsed(t, rdb), limit, code, resp, err)
		}
		var got struct{ Results []struct{ Status string } }
		if err := json.Unmarshal([]byte(resp), &got); err != nil || len(got.Results) != perPost || got.Results[0].Status != "rejected" {
			t.Fatalf("junk batch at %d answered %.300s", i, resp)
		}
	}
	if used := redisUsed(t, rdb); used > limit*95/100 {
		t.Fatalf("Redis at %d of %d bytes after the junk: no headroom left for opt-outs", used, limit)
	}
	for i, n := range []string{"+14155552671", "+14155552672", "+14155552673"} {
		if code, resp, err := p.post(`{"phoneNumber":"` + n + `"}`); err != nil || code != 200 {
			t.Fatalf("opt-out %d after the junk: %d %s %v", i, code, resp, err)
		}
	}
	var st struct {
		Rejections struct {
			Kept, Recorded, Skipped int64
		}
	}
	if code := getJSON(t, p.url+"/v1/status", adminToken, &st); code != 200 {
		t.Fatalf("status answered %d", code)
	}
	r := st.Rejections
	if r.Skipped == 0 || r.Recorded+r.Skipped != 1+measured+12000 || r.Kept != r.Recorded {
		t.Fatalf("status counts %+v; want every junk event recorded or skipped, some skipped", r)
	}
	t.Logf("recorded %d rejections, skipped %d near Redis's maxmemory", r.Recorded, r.Skipped)
}

// Issue 21: re-running the same import recorded every rejection again (same event id, twice). A
// rerun now records nothing new: the same rejection (event id, text, key) is kept once.
func TestImportRerunRecordsNoNewRejection(t *testing.T) {
	csvRows := "phone,reason\n(415) 555-0101,web\n12,junk\n(415) 555-0102,web\n999999999999999999999,junk\n34,junk\n"
	path := filepath.Join(t.TempDir(), "optouts.csv")
	if err := os.WriteFile(path, []byte(csvRows), 0o644); err != nil {
		t.Fatal(err)
	}
	for name, env := range map[string][]string{
		"embedded": {"DNCSYNC_DATA_DIR=" + t.TempDir()},
		"redis":    {"REDIS_URL=" + redistest.Start(t).URL()},
	} {
		t.Run(name, func(t *testing.T) {
			list := func() []string {
				t.Helper()
				out, errOut, code := runCmd(t, env, "", "rejected", "list", "--json")
				var got struct {
					Rejections []struct{ Raw, EventID, SHA256 string }
				}
				if err := json.Unmarshal([]byte(out), &got); code != 0 || err != nil {
					t.Fatalf("rejected list: exit %d %v\n%s\n%s", code, err, out, errOut)
				}
				var ids []string
				for _, r := range got.Rejections {
					if r.SHA256 == "" {
						t.Fatalf("rejection %+v without the hash of what arrived", r)
					}
					ids = append(ids, r.EventID)
				}
				return ids
			}
			for run := range 2 {
				if out, errOut, code := runCmd(t, env, "", "import", "--max-rejected", "100%", path); code != 0 || !strings.Contains(out, "3 rejected") {
					t.Fatalf("import run %d: exit %d\n%s\n%s", run+1, code, out, errOut)
				}
				if ids := list(); len(ids) != 3 || ids[0] == ids[1] || ids[1] == ids[2] {
					t.Fatalf("after run %d: rejections %v, want the 3 junk rows once each", run+1, ids)
				}
			}
			out, _, code := runCmd(t, env, "", "status", "--json")
			var st struct {
				Rejections struct{ Kept, Recorded, Duplicates int }
			}
			if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 ||
				st.Rejections.Kept != 3 || st.Rejections.Recorded != 3 || st.Rejections.Duplicates != 3 {
				t.Fatalf("status: exit %d %+v %v\n%s", code, st, err, out)
			}
		})
	}
}

// The embedded store's analogue: on a small filesystem nearly full, junk stops being written past
// DNCSYNC_REJECTION_MAX_FILL of it (as df counts it), and opt-outs are still accepted.
func TestJunkLeavesRoomForOptOutsOnDisk(t *testing.T) {
	dir := loopMount(t) // 32 MB
	_, env := startSim(t, 6000)
	p := startServe(t, append(env, "DNCSYNC_DATA_DIR="+dir, "DNCSYNC_ADMIN_TOKEN="+adminToken)...)
	fill := func() float64 {
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			t.Fatal(err)
		}
		used := float64(st.Blocks - st.Bfree)
		return used / (used + float64(st.Bavail))
	}
	// Ballast up to about 85% of what the store may use.
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	total := float64(st.Blocks-st.Bfree+st.Bavail) * float64(st.Bsize)
	ballast := int64(0.85*total) - int64(st.Blocks-st.Bfree)*int64(st.Bsize)
	if err := os.WriteFile(filepath.Join(dir, "ballast"), make([]byte, ballast), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Logf("filesystem %.0f%% full before the junk", fill()*100)
	var rs struct {
		Rejections struct{ Recorded, Skipped int64 }
	}
	for i := 0; ; i += 100 {
		if i >= 40000 {
			t.Fatalf("40,000 junk events and nothing skipped; filesystem %.0f%% full, %+v", fill()*100, rs.Rejections)
		}
		if code, resp, err := p.post(junkBatch(i, 100)); err != nil || code != 200 {
			t.Fatalf("junk batch at %d (filesystem %.0f%% full): %d %.200s %v", i, fill()*100, code, resp, err)
		}
		if code := getJSON(t, p.url+"/v1/status", adminToken, &rs); code != 200 {
			t.Fatalf("status answered %d", code)
		}
		if rs.Rejections.Skipped > 0 {
			break
		}
	}
	t.Logf("filesystem %.0f%% full after %d rejections recorded", fill()*100, rs.Rejections.Recorded)
	for i := range 200 {
		n := fmt.Sprintf("+1415555%04d", 3000+i)
		if code, resp, err := p.post(`{"phoneNumber":"` + n + `"}`); err != nil || code != 200 {
			t.Fatalf("opt-out %d on a crowded disk: %d %s %v", i, code, resp, err)
		}
	}
}
