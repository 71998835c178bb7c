package version

import (
	"runtime/debug"
	"testing"
)

func TestLine(t *testing.T) {
	vcs := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"},
		{Key: "vcs.time", Value: "2026-12-04T10:00:00Z"}, {Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"},
	}}
	noVCS := &debug.BuildInfo{GoVersion: "go1.26.8", Settings: []debug.BuildSetting{{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "amd64"}}}
	for _, c := range []struct {
		name, version, commit string
		bi                    *debug.BuildInfo
		want                  string
	}{
		{"vcs stamp", "", "", vcs, "dncsync (devel) go1.26.8 commit 0123456789ab+dirty 2026-12-04T10:00:00Z linux/amd64"},
		{"ldflags win over the vcs stamp", "v1.4.0", "fedcba9876543210", vcs, "dncsync v1.4.0 go1.26.8 commit fedcba987654 linux/amd64"},
		// -buildvcs=false: the VCS stamp is absent, the ldflags stamp is all there is.
		{"buildvcs=false", "v1.4.0", "fedcba98-dirty", noVCS, "dncsync v1.4.0 go1.26.8 commit fedcba98+dirty linux/amd64"},
		{"nothing", "", "", noVCS, "dncsync (devel) go1.26.8 linux/amd64"},
	} {
		if got := line(c.bi, c.version, c.commit); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}
