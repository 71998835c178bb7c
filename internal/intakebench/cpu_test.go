//go:build intakebench

package intakebench

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dncsync/dncsync/internal/pgtest"
)

// The CPU time a configuration costs, read from /proc: the service's process and the PostgreSQL
// backends serving its connections (found by application_name). Wall-clock throughput on a shared
// machine moves with the neighbours' load; CPU seconds per event move much less.

// cpuUse is the CPU time (user + system) of the service and of its database backends.
type cpuUse struct {
	Service, Database time.Duration
	ok                bool
}

// per100k formats u per 100,000 events: "service + database" seconds.
func (u cpuUse) per100k(events int) string {
	if !u.ok || events == 0 {
		return ""
	}
	f := 100000 / float64(events)
	if u.Database == 0 {
		return fmt.Sprintf("%.1f", u.Service.Seconds()*f)
	}
	return fmt.Sprintf("%.1f + %.1f", u.Service.Seconds()*f, u.Database.Seconds()*f)
}

// startCPU reads the CPU time of pid and of the backends named appName ("": none) now; the
// function it returns reads them again and gives the difference.
func startCPU(t *testing.T, pid int, appName string) func() cpuUse {
	svc0, err := procCPU(pid)
	if err != nil {
		t.Logf("CPU of pid %d: %v", pid, err)
		return func() cpuUse { return cpuUse{} }
	}
	db0 := backendsCPU(t, appName)
	return func() cpuUse {
		svc1, err := procCPU(pid)
		if err != nil {
			t.Logf("CPU of pid %d: %v", pid, err)
			return cpuUse{}
		}
		u := cpuUse{Service: svc1 - svc0, ok: true}
		// A backend that started during the load counts from zero; one that ended is not seen
		// (the pool keeps its connections, so none does in these runs).
		for p, d := range backendsCPU(t, appName) {
			u.Database += d - db0[p]
		}
		return u
	}
}

// backendsCPU is the CPU time of each backend whose application_name is appName.
func backendsCPU(t *testing.T, appName string) map[int]time.Duration {
	out := map[int]time.Duration{}
	if appName == "" {
		return out
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Logf("backends' CPU: %v", err)
		return out
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT pid FROM pg_stat_activity WHERE application_name = $1`, appName)
	if err != nil {
		t.Logf("backends' CPU: %v", err)
		return out
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		t.Logf("backends' CPU: %v", err)
		return out
	}
	for _, p := range pids {
		if d, err := procCPU(int(p)); err == nil {
			out[int(p)] = d
		}
	}
	return out
}

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times (100 on Linux).
const clockTicks = 100

// procCPU is pid's user and system time so far (/proc/<pid>/stat, fields 14 and 15).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) may hold spaces: the fields after it start past its ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	var ticks int64
	for _, v := range f[11:13] { // utime, stime: fields 14 and 15, the 12th and 13th after the name
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("/proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * time.Second / clockTicks, nil
}

// withAppName is raw (a postgres:// URL) with application_name set.
func withAppName(t *testing.T, raw, name string) string {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("application_name", name)
	u.RawQuery = q.Encode()
	return u.String()
}
