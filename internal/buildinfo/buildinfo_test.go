package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestStampedValuesWin(t *testing.T) {
	info := Info{Version: "v1.2.3", Commit: "abc"}
	fillFrom(&info, &debug.BuildInfo{Main: debug.Module{Version: "v9.9.9"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "def"}, {Key: "vcs.time", Value: "2026-12-02T10:00:00Z"}, {Key: "vcs.modified", Value: "true"},
	}})
	if info.Version != "v1.2.3" || info.Commit != "abc" || info.Date != "2026-12-02T10:00:00Z" {
		t.Fatalf("got %+v", info)
	}
}

func TestSourceBuildFromToolchainRecord(t *testing.T) {
	var info Info
	fillFrom(&info, &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{
		{Key: "vcs.revision", Value: "def"}, {Key: "vcs.modified", Value: "true"},
	}})
	if info.Version != "" || info.Commit != "def-dirty" {
		t.Fatalf("got %+v", info)
	}
	info = Info{}
	fillFrom(&info, &debug.BuildInfo{Main: debug.Module{Version: "v1.4.0"}})
	if info.Version != "v1.4.0" {
		t.Fatalf("go install @version: got %+v", info)
	}
}

func TestGetNeverEmpty(t *testing.T) {
	if v := Get(); v.Version == "" || v.GoVersion == "" {
		t.Fatalf("got %+v", v)
	}
	if UserAgent() != "hookd/"+Get().Version {
		t.Fatal(UserAgent())
	}
}
