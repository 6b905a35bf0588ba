package detect

import (
	"testing"
)

// FuzzColimaStatus: whatever `colima status --json` prints, and whatever
// `colima --version` prints, detection reports colima available or not with
// a reason; it never panics. It also drives the version and host parsers.
//
//	go test -run '^$' -fuzz '^FuzzColimaStatus$' -fuzztime 1h ./backend/detect/
func FuzzColimaStatus(f *testing.F) {
	for _, s := range []string{
		`{"display_name":"colima","runtime":"docker","docker_socket":"unix:///x/docker.sock"}`,
		`{"runtime":"containerd","containerd_socket":"unix:///x/containerd.sock"}`,
		`{"runtime":1}`, `{"docker_socket":"tcp://[::1"}`, `{"docker_socket":"npipe:////./pipe/x"}`, `null`, `[]`, ``, "\xff",
		`{"docker_socket":"unix://` + "\x00" + `"}`, `{"docker_socket":"ssh://u@h:22"}`, `{"docker_socket":"http://h:-1"}`,
	} {
		f.Add(s, "colima version v0.10.3\ngit commit: x")
	}
	f.Add(`{}`, "")
	f.Add(`{}`, "version")
	f.Fuzz(func(t *testing.T, status, version string) {
		sys := newFakeSys("darwin", t.TempDir())
		sys.bin("colima", "/opt/homebrew/bin/colima")
		sys.cmd(version, 0, "/opt/homebrew/bin/colima", "--version")
		sys.cmd(status, 0, "/opt/homebrew/bin/colima", "status", "--json")
		rep, _ := newTestDetector(sys).Detect(ctxT(t))
		found := false
		for _, c := range rep.Candidates {
			if c.Name == Colima {
				found = true
				if !c.Available && c.Reason == "" {
					t.Fatalf("colima unavailable without a reason: %+v", c)
				}
			}
		}
		if !found {
			t.Fatalf("colima missing from the candidates: %+v", rep.Candidates)
		}
		_ = parseVersion(version)
		_, _, _ = hostAddr(status)
	})
}
