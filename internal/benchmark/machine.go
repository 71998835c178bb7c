package benchmark

import (
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// LoadAvg is the machine's load average over 1, 5 and 15 minutes ("0.52 0.61 0.70"), which a
// section states before and after its run: figures taken on a busy machine are noisy.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// GoVersion is the toolchain that builds the binaries measured (go env GOVERSION), or this test
// binary's when go cannot be run.
func GoVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}
