// Package version is the build's identity. The Makefile and the Dockerfile stamp Version and Commit
// with -ldflags -X, because a build made with -buildvcs=false (or from a tree without .git, as in a
// container build) carries no VCS stamp; without them, the module's build information is used.
package version

import (
	"runtime/debug"
	"strings"
)

// Stamped at link time: go build -ldflags "-X github.com/dncsync/dncsync/internal/version.Version=v1.2.3
// -X github.com/dncsync/dncsync/internal/version.Commit=abc123".
var (
	Version = ""
	Commit  = ""
)

// String is one line: version, Go version, commit (with +dirty and its time when the VCS stamp has
// them), and the platform.
func String() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		bi = &debug.BuildInfo{}
	}
	return line(bi, Version, Commit)
}

func line(bi *debug.BuildInfo, stampedVersion, stampedCommit string) string {
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	v := stampedVersion
	if v == "" {
		v = bi.Main.Version
	}
	if v == "" {
		v = "(devel)"
	}
	out := "dncsync " + v
	if bi.GoVersion != "" {
		out += " " + bi.GoVersion
	}
	rev, dirty, when := stampedCommit, false, ""
	if rev == "" {
		rev, dirty, when = settings["vcs.revision"], settings["vcs.modified"] == "true", settings["vcs.time"]
	} else if strings.HasSuffix(rev, "-dirty") {
		rev, dirty = strings.TrimSuffix(rev, "-dirty"), true
	}
	if rev != "" {
		out += " commit " + rev[:min(12, len(rev))]
		if dirty {
			out += "+dirty"
		}
		if when != "" {
			out += " " + when
		}
	}
	if a := settings["GOARCH"]; a != "" {
		out += " " + settings["GOOS"] + "/" + a
	}
	return out
}
