package cli

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

func TestParseEvent(t *testing.T) {
	docker := `{"status":"start","id":"abc","Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"name":"p-app-1","com.docker.compose.service":"app"}},"time":1700000000,"timeNano":1700000000123456789}`
	ev, ok := parseEvent([]byte(docker))
	if !ok || ev.Action != "start" || ev.ID != "abc" || ev.Attributes["name"] != "p-app-1" || ev.Attributes["com.docker.compose.service"] != "app" ||
		!ev.Time.Equal(time.Unix(0, 1700000000123456789)) {
		t.Fatalf("docker: %+v %v", ev, ok)
	}
	podman := `{"ID":"def","Image":"busybox","Name":"p-app-1","Status":"died","Time":"2024-01-02T03:04:05.5Z","Type":"container","Attributes":{"com.docker.compose.service":"app"}}`
	ev, ok = parseEvent([]byte(podman))
	if !ok || ev.Action != "die" || ev.ID != "def" || ev.Attributes["name"] != "p-app-1" || ev.Attributes["image"] != "busybox" ||
		ev.Attributes["com.docker.compose.service"] != "app" || !ev.Time.Equal(time.Date(2024, 1, 2, 3, 4, 5, 5e8, time.UTC)) {
		t.Fatalf("podman: %+v %v", ev, ok)
	}
	for _, bad := range []string{"", "not json", `{"Type":"container"}`} {
		if _, ok := parseEvent([]byte(bad)); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestHostPathWithAColonStaysLocal(t *testing.T) {
	if p := hostPath("a:b"); p == "a:b" || p[0] != '/' {
		t.Fatalf("hostPath(a:b) = %q", p)
	}
	for _, p := range []string{"/x:y", "./x:y", "plain"} {
		if got := hostPath(p); got != p {
			t.Errorf("hostPath(%q) = %q", p, got)
		}
	}
}

// TestRestartIsTheRuntimesRestart: one `restart` call (a restart event),
// with the stop timeout when given; apple/container has none, which the
// engine turns into a stop and a start.
func TestRestartIsTheRuntimesRestart(t *testing.T) {
	five := 5
	for _, tc := range []struct {
		timeout *int
		want    []string
	}{
		{nil, []string{"restart", "--", "c1"}},
		{&five, []string{"restart", "-t", "5", "--", "c1"}},
	} {
		f := newFakeCLI(t, "docker")
		if err := Docker("docker", f.bin).Restart(t.Context(), "c1", tc.timeout); err != nil {
			t.Fatal(err)
		}
		if got := f.last(); !slices.Equal(got[1:], tc.want) {
			t.Errorf("argv %q, want %q", got[1:], tc.want)
		}
	}
	f := newFakeCLI(t, "container")
	err := Apple(f.bin).Restart(t.Context(), "c1", nil)
	if core.AsError(err).Details["unsupported"] != true || len(f.calls()) != 0 {
		t.Fatalf("apple/container: %v, %d calls", err, len(f.calls()))
	}
}

// TestPushImageArgs: `push -- ref` (`image push` on apple/container), with
// the runtime's own stored login; a failure names the CLI's message.
func TestPushImageArgs(t *testing.T) {
	for _, tc := range []struct {
		name string
		make func(bin string) *Backend
		want []string
	}{
		{"docker", func(bin string) *Backend { return Docker("docker", bin) }, []string{"push", "--", "reg.example/app:1"}},
		{"podman", func(bin string) *Backend { return Docker("podman", bin) }, []string{"push", "--", "reg.example/app:1"}},
		{"nerdctl", func(bin string) *Backend { return Docker("nerdctl", bin) }, []string{"push", "--", "reg.example/app:1"}},
		{"container", Apple, []string{"image", "push", "--", "reg.example/app:1"}},
	} {
		f := newFakeCLI(t, tc.name)
		if err := tc.make(f.bin).PushImage(t.Context(), "reg.example/app:1"); err != nil {
			t.Fatal(err)
		}
		if got := f.last(); !slices.Equal(got[1:], tc.want) {
			t.Errorf("%s argv %q, want %q", tc.name, got[1:], tc.want)
		}
	}
	// As for a pull: podman is told a loopback registry speaks plain HTTP.
	if got := podmanP.PushArgs("127.0.0.1:5000/app:1"); !slices.Equal(got, []string{"push", "--tls-verify=false", "--", "127.0.0.1:5000/app:1"}) {
		t.Errorf("podman push to a loopback registry: %q", got)
	}
	f := newFakeCLI(t, "docker").on("push", reply{stderr: "denied: requested access to the resource is denied", exit: 1})
	if err := Docker("docker", f.bin).PushImage(t.Context(), "reg.example/app:1"); err == nil || !strings.Contains(err.Error(), "denied") {
		t.Fatalf("PushImage on a refusing registry: %v", err)
	}
}

// TestStatsReadsTheRuntimesColumns: one `stats --no-stream` for all the
// containers, by the template names docker, podman and nerdctl share, read
// back in the order asked; apple/container has no stats.
func TestStatsReadsTheRuntimesColumns(t *testing.T) {
	out := "bbbbbbbbbbbb22\tdemo-db-1\t0.00%\t1.2MiB / 7.6GiB\t0.02%\t1.1kB / 0B\t0B / 0B\t1\n" +
		"aaaaaaaaaaaa11\t/demo-web-1\t12.50%\t30MiB / 7.6GiB\t0.39%\t5MB / 1MB\t4.1MB / 0B\t7\n"
	f := newFakeCLI(t, "podman").on("stats", reply{stdout: out})
	got, err := Docker("podman", f.bin).Stats(t.Context(), []string{"aaaaaaaaaaaa11", "bbbbbbbbbbbb"})
	if err != nil {
		t.Fatal(err)
	}
	want := []backend.ContainerStats{
		{ID: "aaaaaaaaaaaa11", Name: "demo-web-1", CPUPerc: "12.50%", MemUsage: "30MiB / 7.6GiB", MemPerc: "0.39%", NetIO: "5MB / 1MB", BlockIO: "4.1MB / 0B", PIDs: "7"},
		{ID: "bbbbbbbbbbbb22", Name: "demo-db-1", CPUPerc: "0.00%", MemUsage: "1.2MiB / 7.6GiB", MemPerc: "0.02%", NetIO: "1.1kB / 0B", BlockIO: "0B / 0B", PIDs: "1"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("stats\n got %+v\nwant %+v", got, want)
	}
	if argv := f.last(); !slices.Equal(argv[1:4], []string{"stats", "--no-stream", "--no-trunc"}) ||
		!slices.Equal(argv[len(argv)-3:], []string{"--", "aaaaaaaaaaaa11", "bbbbbbbbbbbb"}) {
		t.Fatalf("argv %q", argv)
	}
	if _, err := Docker("podman", f.bin).Stats(t.Context(), []string{"cccc"}); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("a container the runtime did not report: %v", err)
	}
	g := newFakeCLI(t, "docker").on("stats", reply{stdout: "garbage\n"})
	if _, err := Docker("docker", g.bin).Stats(t.Context(), []string{"x"}); err == nil || core.KindOf(err) == core.KindNotFound {
		t.Fatalf("garbage: %v", err)
	}
	a := newFakeCLI(t, "container")
	if _, err := Apple(a.bin).Stats(t.Context(), []string{"x"}); core.AsError(err).Details["unsupported"] != true {
		t.Fatalf("apple/container: %v", err)
	}
}

// TestAttachArgs: docker's and podman's attach pass the signals they get
// on to the process when asked, and take --no-stdin and the detach keys;
// nerdctl's has neither flag (without stdin it reads an empty input);
// apple/container has no attach.
func TestAttachArgs(t *testing.T) {
	in := strings.NewReader("")
	for _, tc := range []struct {
		p     Protocol
		iio   backend.InteractiveIO
		want  []string
		field string // refused, naming it
	}{
		{dockerP, backend.InteractiveIO{Stdin: in}, []string{"attach", "--sig-proxy=false", "--", "c1"}, ""},
		{dockerP, backend.InteractiveIO{SignalsToProcess: true}, []string{"attach", "--sig-proxy=true", "--no-stdin", "--", "c1"}, ""},
		{dockerP, backend.InteractiveIO{}, []string{"attach", "--sig-proxy=false", "--no-stdin", "--", "c1"}, ""},
		{podmanP, backend.InteractiveIO{Stdin: in, DetachKeys: "ctrl-x"}, []string{"attach", "--sig-proxy=false", "--detach-keys", "ctrl-x", "--", "c1"}, ""},
		{nerdctlP, backend.InteractiveIO{Stdin: in}, []string{"attach", "--", "c1"}, ""},
		{nerdctlP, backend.InteractiveIO{SignalsToProcess: true}, []string{"attach", "--", "c1"}, ""},
	} {
		got, err := tc.p.AttachArgs("c1", tc.iio)
		if tc.field != "" {
			assertRejected(t, tc.p, err, tc.field)
			continue
		}
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("%s: %q %v, want %q", tc.p.Runtime, got, err, tc.want)
		}
	}
	f := newFakeCLI(t, "container")
	if _, err := Apple(f.bin).Attach(t.Context(), "c1", backend.InteractiveIO{}); core.AsError(err).Details["unsupported"] != true || len(f.calls()) != 0 {
		t.Fatalf("apple/container: %v", err)
	}
}

// TestPodmanEventsFollowOnAfterAnEarlyEnd: a podman follower that ends
// (exit 0) in the middle of a stream is followed again from the last event
// given, without giving again the events of that instant. docker's stream
// ending is the end.
func TestPodmanEventsFollowOnAfterAnEarlyEnd(t *testing.T) {
	ev := func(id, status, at string) string {
		return `{"ID":"` + id + `","Name":"p-web-1","Status":"` + status + `","Time":"` + at + `","Type":"container","Attributes":{"com.docker.compose.project":"p"}}` + "\n"
	}
	const t1, t2, t3 = "2026-12-06T18:16:05.100000000Z", "2026-12-06T18:16:05.200000000Z", "2026-12-06T18:16:06Z"
	f := newFakeCLI(t, "podman").
		on("1", reply{stdout: ev("c1", "start", t1) + ev("c1", "died", t2)}).
		on("2", reply{stdout: ev("c1", "died", t2) + ev("c1", "remove", t3), sleep: 30})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	var got []string
	err := Docker("podman", f.bin).Events(ctx, backend.EventsOptions{Labels: map[string]string{"com.docker.compose.project": "p"}},
		func(e backend.ContainerEvent) {
			got = append(got, e.Action)
			if len(got) == 3 {
				cancel()
			}
		})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []string{"start", "die", "destroy"}) {
		t.Fatalf("events %q, want start, die, destroy once each", got)
	}
	calls := f.calls()
	if len(calls) != 2 {
		t.Fatalf("%d followers, want 2", len(calls))
	}
	if !slices.Contains(calls[1], "--since=1796580965.200000000") { // t2
		t.Fatalf("the second follower %q does not start at the last event", calls[1])
	}

	d := newFakeCLI(t, "docker").on("1", reply{stdout: ""})
	if err := Docker("docker", d.bin).Events(t.Context(), backend.EventsOptions{}, func(backend.ContainerEvent) {}); err != nil || len(d.calls()) != 1 {
		t.Fatalf("docker's ended stream: %v, %d calls", err, len(d.calls()))
	}
}

// TestCommitArgsPerRuntime: docker commit's flags in each CLI's spelling,
// the pause always said (podman's own default is not to pause), podman
// asked for docker's image format and no progress, the id read from the
// last line (podman's bare hex written as docker's "sha256:…"); nerdctl
// needs an image name, apple/container cannot commit.
func TestCommitArgsPerRuntime(t *testing.T) {
	const hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	opts := backend.CommitOptions{Reference: "app:snap", Author: "Ann <ann@example.com>", Message: "-m looks like a flag",
		Changes: []string{"ENV A=1", `CMD ["sh"]`}}
	for _, tc := range []struct {
		name, stdout string
		make         func(bin string) *Backend
		opts         backend.CommitOptions
		want         []string
	}{
		{"docker", "sha256:" + hex + "\n", func(bin string) *Backend { return Docker("docker", bin) }, opts,
			[]string{"commit", "--author=Ann <ann@example.com>", "--message=-m looks like a flag", "--change=ENV A=1", `--change=CMD ["sh"]`, "--pause=true", "--", "c1", "app:snap"}},
		{"podman", hex + "\n", func(bin string) *Backend { return Docker("podman", bin) }, backend.CommitOptions{NoPause: true},
			[]string{"commit", "--quiet", "--format=docker", "--pause=false", "--", "c1"}},
		{"nerdctl", "sha256:" + hex + "\n", func(bin string) *Backend { return Docker("nerdctl", bin) }, backend.CommitOptions{Reference: "app:snap", NoPause: true},
			[]string{"commit", "--pause=false", "--", "c1", "app:snap"}},
	} {
		f := newFakeCLI(t, tc.name).on("commit", reply{stdout: tc.stdout})
		id, err := tc.make(f.bin).Commit(t.Context(), "c1", tc.opts)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if got := f.last(); !slices.Equal(got[1:], tc.want) {
			t.Errorf("%s argv %q, want %q", tc.name, got[1:], tc.want)
		}
		if id != "sha256:"+hex {
			t.Errorf("%s: image id %q", tc.name, id)
		}
	}
	f := newFakeCLI(t, "nerdctl")
	if _, err := Docker("nerdctl", f.bin).Commit(t.Context(), "c1", backend.CommitOptions{}); core.KindOf(err) != core.KindInvalidArgument ||
		!strings.Contains(err.Error(), "REPOSITORY[:TAG]") || len(f.calls()) != 0 {
		t.Errorf("nerdctl without an image name: %v, %d calls", err, len(f.calls()))
	}
	f = newFakeCLI(t, "container")
	if _, err := Apple(f.bin).Commit(t.Context(), "c1", opts); core.AsError(err).Details["unsupported"] != true || len(f.calls()) != 0 {
		t.Errorf("apple/container: %v, %d calls", err, len(f.calls()))
	}
	f = newFakeCLI(t, "docker").on("commit", reply{stderr: "Error response from daemon: No such container: c9", exit: 1})
	if _, err := Docker("docker", f.bin).Commit(t.Context(), "c9", opts); core.KindOf(err) != core.KindNotFound {
		t.Errorf("commit of an unknown container: %v", err)
	}
}

// TestExportStreamsTheCLIsStdout: `export -- id`, its stdout written to
// the caller's writer as it comes; a nerdctl without export (2.0) and
// apple/container are refused as unsupported.
func TestExportStreamsTheCLIsStdout(t *testing.T) {
	for _, name := range []string{"docker", "podman", "nerdctl"} {
		f := newFakeCLI(t, name).on("export", reply{stdout: "tar bytes"})
		var out strings.Builder
		if err := Docker(name, f.bin).Export(t.Context(), "c1", &out); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := f.last(); !slices.Equal(got[1:], []string{"export", "--", "c1"}) || out.String() != "tar bytes" {
			t.Errorf("%s: argv %q, output %q", name, got[1:], out.String())
		}
	}
	f := newFakeCLI(t, "nerdctl").on("export", reply{stderr: `time="2026-01-01T00:00:00Z" level=fatal msg="unknown subcommand \"export\" for \"nerdctl\""`, exit: 1})
	if err := Docker("nerdctl", f.bin).Export(t.Context(), "c1", io.Discard); core.AsError(err).Details["unsupported"] != true {
		t.Errorf("nerdctl 2.0: %v", err)
	}
	f = newFakeCLI(t, "docker").on("export", reply{stderr: "Error response from daemon: No such container: c9", exit: 1})
	if err := Docker("docker", f.bin).Export(t.Context(), "c9", io.Discard); core.KindOf(err) != core.KindNotFound {
		t.Errorf("export of an unknown container: %v", err)
	}
	f = newFakeCLI(t, "container")
	if err := Apple(f.bin).Export(t.Context(), "c1", io.Discard); core.AsError(err).Details["unsupported"] != true || len(f.calls()) != 0 {
		t.Errorf("apple/container: %v, %d calls", err, len(f.calls()))
	}
}
