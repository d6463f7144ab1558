// Package buildinfo says which build of hookd is running: the version, commit
// and date a release stamps in with -ldflags, or what the Go toolchain
// recorded when it was built from source (`go install ...@v1.2.3`, `go build`
// in a checkout).
package buildinfo

import (
	"runtime"
	"runtime/debug"
)

// Stamped by release builds:
//
//	-ldflags "-X github.com/hookd/hookd/internal/buildinfo.version=v1.2.3
//	          -X github.com/hookd/hookd/internal/buildinfo.commit=abc123
//	          -X github.com/hookd/hookd/internal/buildinfo.date=2026-12-02T10:00:00Z"
var version, commit, date string

// Info describes one build.
type Info struct {
	Version   string // "v1.2.3", or "devel" for an unstamped source build
	Commit    string // VCS revision, "" when unknown
	Date      string // build or commit time (RFC 3339), "" when unknown
	GoVersion string
}

// Get returns this binary's build information: the stamped values first,
// then the toolchain's record of the module version and VCS state.
func Get() Info {
	info := Info{Version: version, Commit: commit, Date: date, GoVersion: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		fillFrom(&info, bi)
	}
	if info.Version == "" {
		info.Version = "devel"
	}
	return info
}

func fillFrom(info *Info, bi *debug.BuildInfo) {
	if info.Version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		info.Version = bi.Main.Version
	}
	stamped := info.Commit != ""
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if !stamped {
				info.Commit = s.Value
			}
		case "vcs.time":
			if info.Date == "" {
				info.Date = s.Value
			}
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if !stamped && dirty && info.Commit != "" {
		info.Commit += "-dirty"
	}
}

// UserAgent is the User-Agent hookd sends: "hookd/<version>".
func UserAgent() string { return "hookd/" + Get().Version }
