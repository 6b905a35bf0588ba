package cli

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/contracttest"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// Integration tests against the real docker engine through the docker
// protocol. They use only the local image perry-test/busybox:latest (built by
// tests/image/build.sh; nothing is pulled). Every container, network and
// volume is named perrytest-…, labelled perry.test=1 and removed by the test.
// PERRY_SKIP_ENGINE_TESTS=1 skips them; an engine that does not answer fails.

const testImage = testenv.Image

// engine is the docker protocol on the real engine, once testenv found
// that the engine answers and holds the test image.
func engine(t *testing.T) *Backend {
	t.Helper()
	testenv.RequireEngine(t)
	t.Parallel()
	return Docker("docker", "docker")
}

// uniqueName is perrytest-<what>-<random>.
func uniqueName(what string) string {
	var buf [4]byte
	_, _ = rand.Read(buf[:])
	return "perrytest-" + what + "-" + hex.EncodeToString(buf[:])
}

func testLabels(run string) map[string]string {
	return map[string]string{"perry.test": "1", "perry.test.run": run}
}

func cleanupCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 2*time.Minute)
}

// create creates a container and removes it when the test ends.
func create(t *testing.T, b *Backend, spec *core.ContainerSpec, start bool) core.ContainerHandle {
	t.Helper()
	var (
		h   core.ContainerHandle
		err error
	)
	if start {
		h, err = b.Run(t.Context(), spec)
	} else {
		h, err = b.Create(t.Context(), spec)
	}
	if h.ID != "" {
		t.Cleanup(func() {
			ctx, cancel := cleanupCtx()
			defer cancel()
			if err := b.Remove(ctx, h.ID, true); err != nil && core.KindOf(err) != core.KindNotFound {
				t.Errorf("cleanup of container %s: %v", h.ID, err)
			}
		})
	}
	if err != nil {
		t.Fatalf("create %s: %v", spec.Name, err)
	}
	return h
}

func sleeper(name, run string) *core.ContainerSpec {
	return &core.ContainerSpec{Image: testImage, Name: name, Labels: testLabels(run), Cmd: []string{"sleep", "300"}}
}

func waitExit(t *testing.T, b *Backend, id string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	code, err := b.Wait(ctx, id)
	if err != nil {
		t.Fatalf("wait %s: %v", id, err)
	}
	return code
}

// eventually polls cond for up to 20 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	testenv.Eventually(t, 20*time.Second, what, cond)
}

func TestEngineInfo(t *testing.T) {
	b := engine(t)
	info, err := b.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "docker" || !info.Available || info.Version == "" || info.Mode != "local" ||
		info.IsolationLevel != core.IsolationContainer || info.Strategy != "cli" || info.Endpoint != "docker" {
		t.Errorf("info %+v", info)
	}
}

func TestEngineContainerLifecycle(t *testing.T) {
	b := engine(t)
	ctx := t.Context()
	name := uniqueName("life")
	spec := &core.ContainerSpec{
		Image: testImage, Name: name, Labels: testLabels(name),
		Env:   map[string]string{"GREETING": "hello world"},
		Ports: []string{"127.0.0.1::80"},
		// exec: sleep is PID 1 and ignores SIGTERM, so stop must kill it after the timeout.
		Cmd: []string{"sh", "-c", `echo out; echo err >&2; echo "$GREETING"; exec sleep 300`},
	}
	h := create(t, b, spec, false)
	if h.ID == "" || h.Name != name {
		t.Fatalf("handle %+v", h)
	}

	info, err := b.Inspect(ctx, h.ID)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != "created" || info.Name != name || info.Image != testImage || info.Labels["perry.test"] != "1" || info.ExitCode != nil {
		t.Errorf("created: %+v", info)
	}

	if err := b.Start(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	info, err = b.Inspect(ctx, name)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != "running" || info.ID != h.ID || info.IPAddress == "" || !slices.Equal(info.Networks, []string{"bridge"}) {
		t.Errorf("running: %+v", info)
	}
	if _, err := time.Parse(time.RFC3339Nano, info.Created); err != nil {
		t.Errorf("created %q is not ISO 8601: %v", info.Created, err)
	}
	if len(info.Ports) != 1 || !regexp.MustCompile(`^127\.0\.0\.1:\d+->80/tcp$`).MatchString(info.Ports[0]) {
		t.Errorf("ports %q", info.Ports)
	}

	var logs core.ContainerLogs
	eventually(t, "logs", func() bool {
		logs, err = b.Logs(ctx, h.ID, backend.LogsOptions{})
		return err == nil && strings.Contains(logs.Stdout, "hello world")
	})
	if logs.Stdout != "out\nhello world\n" || logs.Stderr != "err\n" {
		t.Errorf("logs %q / %q", logs.Stdout, logs.Stderr)
	}
	one := 1
	// The engine copies stdout and stderr apart, so which line is last is
	// its choice; the tail has one line in all.
	if tail, err := b.Logs(ctx, h.ID, backend.LogsOptions{Tail: &one}); err != nil || strings.Count(tail.Stdout+tail.Stderr, "\n") != 1 {
		t.Errorf("tail 1: %+v %v", tail, err)
	}

	res, err := b.Exec(ctx, h.ID, backend.ExecOptions{
		Cmd: []string{"sh", "-c", `echo "$FOO|$PWD|$GREETING"; echo bad >&2; exit 3`},
		Env: map[string]string{"FOO": "a b"}, Workdir: "/tmp",
	})
	if err != nil {
		t.Fatalf("exec with a non-zero exit is not an error: %v", err)
	}
	if res.Stdout != "a b|/tmp|hello world\n" || res.Stderr != "bad\n" || res.ExitCode == nil || *res.ExitCode != 3 {
		t.Errorf("exec %+v (exit %v)", res, res.ExitCode)
	}
	res, err = b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"id", "-u"}, User: "nobody"})
	if err != nil || strings.TrimSpace(res.Stdout) != "65534" || *res.ExitCode != 0 {
		t.Errorf("exec as nobody: %+v %v", res, err)
	}

	running, err := b.List(ctx, backend.ListOptions{Labels: map[string]string{"perry.test.run": name}})
	if err != nil || len(running) != 1 || running[0].ID != h.ID || running[0].State != "running" {
		t.Errorf("list: %+v %v", running, err)
	}

	one = 1
	start := time.Now()
	if err := b.Stop(ctx, h.ID, &one); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("stop with a 1 s timeout took %s", d)
	}
	if code := waitExit(t, b, h.ID); code != 137 {
		t.Errorf("exit code %d, want 137 (killed after the stop timeout)", code)
	}
	info, err = b.Inspect(ctx, h.ID)
	if err != nil || info.State != "exited" || info.ExitCode == nil || *info.ExitCode != 137 {
		t.Errorf("exited: %+v %v", info, err)
	}
	if _, err := b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"true"}}); core.KindOf(err) != core.KindBackendError {
		t.Errorf("exec in a stopped container must fail, got %v", err)
	}

	if err := b.Remove(ctx, h.ID, true); err != nil {
		t.Fatal(err)
	}
	_, err = b.Inspect(ctx, h.ID)
	if core.KindOf(err) != core.KindNotFound || !strings.Contains(err.Error(), h.ID) {
		t.Errorf("inspect after remove: %v", err)
	}
}

func TestEngineRunWaitExitCode(t *testing.T) {
	b := engine(t)
	name := uniqueName("exit")
	h := create(t, b, &core.ContainerSpec{Image: testImage, Name: name, Labels: testLabels(name), Cmd: []string{"sh", "-c", "exit 7"}}, true)
	if code := waitExit(t, b, h.ID); code != 7 {
		t.Errorf("exit code %d, want 7", code)
	}
	list, err := b.List(t.Context(), backend.ListOptions{All: true, Labels: map[string]string{"perry.test.run": name}})
	if err != nil || len(list) != 1 || list[0].ExitCode == nil || *list[0].ExitCode != 7 || list[0].State != "exited" {
		t.Errorf("list of the exited container: %+v %v", list, err)
	}
}

func TestEngineList(t *testing.T) {
	b := engine(t)
	ctx := t.Context()
	run := uniqueName("list")
	a := create(t, b, sleeper(run+"-a", run), true)
	created := create(t, b, sleeper(run+"-b", run), false)

	tests := []struct {
		name string
		opts backend.ListOptions
		want []string
	}{
		{"running only", backend.ListOptions{Labels: map[string]string{"perry.test.run": run}}, []string{a.ID}},
		{"all, sorted by name", backend.ListOptions{All: true, Labels: map[string]string{"perry.test.run": run}}, []string{a.ID, created.ID}},
		{"key-only filter", backend.ListOptions{All: true, Labels: map[string]string{"perry.test.run": run, "perry.test": ""}}, []string{a.ID, created.ID}},
		{"mismatching value", backend.ListOptions{All: true, Labels: map[string]string{"perry.test.run": run, "perry.test": "2"}}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			list, err := b.List(ctx, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, c := range list {
				ids = append(ids, c.ID)
				if c.Labels["perry.test.run"] != run || c.Created == "" {
					t.Errorf("entry %+v", c)
				}
			}
			if !slices.Equal(ids, tt.want) {
				t.Errorf("ids %q, want %q", ids, tt.want)
			}
		})
	}
	all, err := b.List(ctx, backend.ListOptions{All: true})
	if err != nil || !slices.ContainsFunc(all, func(c core.ContainerInfo) bool { return c.ID == created.ID && c.State == "created" }) {
		t.Errorf("unfiltered list lacks the created container: %v", err)
	}
}

func TestEngineRename(t *testing.T) {
	b := engine(t)
	name := uniqueName("rename")
	h := create(t, b, sleeper(name, name), false)
	if err := b.Rename(t.Context(), h.ID, name+"-new"); err != nil {
		t.Fatal(err)
	}
	info, err := b.Inspect(t.Context(), name+"-new")
	if err != nil || info.ID != h.ID {
		t.Errorf("inspect by the new name: %+v %v", info, err)
	}
}

func TestEngineUnknownIDsAreNotFound(t *testing.T) {
	b := engine(t)
	ctx := t.Context()
	id := uniqueName("missing")
	zero := 0
	calls := map[string]error{}
	_, calls["inspect"] = b.Inspect(ctx, id)
	calls["start"] = b.Start(ctx, id)
	calls["stop"] = b.Stop(ctx, id, &zero)
	calls["remove"] = b.Remove(ctx, id, false)
	calls["remove force"] = b.Remove(ctx, id, true)
	calls["rename"] = b.Rename(ctx, id, id+"x")
	_, calls["logs"] = b.Logs(ctx, id, backend.LogsOptions{})
	calls["follow"] = b.FollowLogs(ctx, id, backend.LogsOptions{}, nil, nil)
	_, calls["exec"] = b.Exec(ctx, id, backend.ExecOptions{Cmd: []string{"true"}})
	_, calls["wait"] = b.Wait(ctx, id)
	_, calls["inspect image"] = b.InspectImage(ctx, id+":latest")
	calls["remove image"] = b.RemoveImage(ctx, id+":latest", false)
	_, calls["inspect network"] = b.InspectNetwork(ctx, id)
	calls["remove network"] = b.RemoveNetwork(ctx, id)
	_, calls["inspect volume"] = b.InspectVolume(ctx, id)
	for op, err := range calls {
		if core.KindOf(err) != core.KindNotFound || !strings.Contains(err.Error(), id) {
			t.Errorf("%s: want NotFound naming %s, got %v", op, id, err)
		}
	}
}

func TestEngineBuildFromScratch(t *testing.T) {
	b := engine(t)
	ctx := t.Context()
	busybox, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("a static /bin/busybox is needed for the build context (apt-get install busybox-static): %v", err)
	}
	dir := t.TempDir()
	dockerfile := "FROM scratch\nCOPY busybox /bin/busybox\nARG GREETING\nLABEL greeting=$GREETING\nCMD [\"/bin/busybox\", \"echo\", \"built\"]\n"
	if err := os.WriteFile(filepath.Join(dir, "busybox"), busybox, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Build.Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	repo := uniqueName("img")
	image := repo + ":latest"
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := b.RemoveImage(ctx, image, true); err != nil && core.KindOf(err) != core.KindNotFound {
			t.Errorf("cleanup of image %s: %v", image, err)
		}
	})
	spec := core.BuildSpec{Context: dir, Dockerfile: "Build.Dockerfile", Args: map[string]string{"GREETING": "hi"}, Labels: map[string]string{"perry.test": "1"}}
	if err := b.Build(ctx, spec, image); err != nil {
		t.Fatal(err)
	}
	img, err := b.InspectImage(ctx, image)
	if err != nil || img.Repository != repo || img.Tag != "latest" || !strings.HasPrefix(img.ID, "sha256:") || img.Size == 0 || img.Created == "" {
		t.Fatalf("inspect image: %+v %v", img, err)
	}
	images, err := b.ListImages(ctx)
	if err != nil || !slices.ContainsFunc(images, func(i core.ImageInfo) bool { return i.Repository == repo && i.ID == img.ID }) {
		t.Errorf("list images lacks %s: %v", image, err)
	}
	name := uniqueName("built")
	h := create(t, b, &core.ContainerSpec{Image: image, Name: name, Labels: testLabels(name)}, true)
	if code := waitExit(t, b, h.ID); code != 0 {
		t.Errorf("built image exited %d", code)
	}
	if logs, err := b.Logs(ctx, h.ID, backend.LogsOptions{}); err != nil || logs.Stdout != "built\n" {
		t.Errorf("logs %+v %v", logs, err)
	}
	if err := b.Remove(ctx, h.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := b.RemoveImage(ctx, image, false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.InspectImage(ctx, image); core.KindOf(err) != core.KindNotFound {
		t.Errorf("inspect after removal: %v", err)
	}
	bad := core.BuildSpec{Context: dir, Dockerfile: "Missing.Dockerfile"}
	if err := b.Build(ctx, bad, uniqueName("img")+":x"); core.KindOf(err) != core.KindBackendError {
		t.Errorf("a failed build is a BackendError, got %v", err)
	}
}

func TestEngineImages(t *testing.T) {
	b := engine(t)
	images, err := b.ListImages(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(images, func(i core.ImageInfo) bool { return i.Repository == "perry-test/busybox" && i.Tag == "latest" })
	if i < 0 {
		t.Fatalf("%s not listed", testImage)
	}
	listed := images[i]
	img, err := b.InspectImage(t.Context(), testImage)
	if err != nil || img.ID != listed.ID || img.Size == 0 || listed.Size == 0 || listed.Created == "" {
		t.Errorf("inspect %+v vs list %+v (%v)", img, listed, err)
	}
}

func TestEngineNetworks(t *testing.T) {
	b := engine(t)
	ctx := t.Context()
	run := uniqueName("net")
	front, back := run+"-front", run+"-back"
	for _, n := range []string{front, back} {
		if err := b.CreateNetwork(ctx, n, core.NetworkConfig{Labels: testLabels(run)}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := cleanupCtx()
			defer cancel()
			if err := b.RemoveNetwork(ctx, n); err != nil && core.KindOf(err) != core.KindNotFound {
				t.Errorf("cleanup of network %s: %v", n, err)
			}
		})
	}
	info, err := b.InspectNetwork(ctx, front)
	if err != nil || info.Name != front || info.Driver != "bridge" || info.Labels["perry.test.run"] != run || info.ID == "" {
		t.Errorf("inspect network: %+v %v", info, err)
	}
	nets, err := b.ListNetworks(ctx, map[string]string{"perry.test.run": run})
	if err != nil || len(nets) != 2 || nets[0].Name != back || nets[1].Name != front {
		t.Errorf("list networks: %+v %v", nets, err)
	}

	// A container on both networks, with an alias on each.
	spec := sleeper(run+"-db", run)
	spec.Network, spec.NetworkAliases = front, []string{"db-front"}
	spec.Networks = []core.NetworkAttach{{Name: back, Aliases: []string{"db-back"}}}
	db := create(t, b, spec, true)
	dbInfo, err := b.Inspect(ctx, db.ID)
	if err != nil || !slices.Equal(dbInfo.Networks, []string{back, front}) {
		t.Errorf("networks of the container: %+v %v", dbInfo.Networks, err)
	}
	client := sleeper(run+"-client", run)
	client.Network = back
	c := create(t, b, client, true)
	res, err := b.Exec(ctx, c.ID, backend.ExecOptions{Cmd: []string{"ping", "-c", "1", "-W", "5", "db-back"}})
	if err != nil || *res.ExitCode != 0 {
		t.Errorf("the alias on the connected network does not resolve: %+v %v", res, err)
	}

	for _, id := range []string{db.ID, c.ID} {
		if err := b.Remove(ctx, id, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.RemoveNetwork(ctx, front); err != nil {
		t.Fatal(err)
	}
	if _, err := b.InspectNetwork(ctx, front); core.KindOf(err) != core.KindNotFound {
		t.Errorf("inspect of a removed network: %v", err)
	}
}

func TestEngineVolumes(t *testing.T) {
	b := engine(t)
	ctx := t.Context()
	vol := uniqueName("vol")
	if err := b.CreateVolume(ctx, vol, core.VolumeConfig{Labels: testLabels(vol)}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := b.RemoveVolume(ctx, vol, true); err != nil && core.KindOf(err) != core.KindNotFound {
			t.Errorf("cleanup of volume %s: %v", vol, err)
		}
	})
	info, err := b.InspectVolume(ctx, vol)
	if err != nil || info.Name != vol || info.Driver != "local" || info.Mountpoint == "" || info.Labels["perry.test.run"] != vol {
		t.Errorf("inspect volume: %+v %v", info, err)
	}
	vols, err := b.ListVolumes(ctx, map[string]string{"perry.test.run": vol})
	if err != nil || len(vols) != 1 || vols[0].Name != vol {
		t.Errorf("list volumes: %+v %v", vols, err)
	}

	writer := &core.ContainerSpec{Image: testImage, Name: vol + "-w", Labels: testLabels(vol),
		Mounts: []core.Mount{{Type: "volume", Source: vol, Target: "/data"}},
		Cmd:    []string{"sh", "-c", "echo persisted > /data/f"}}
	w := create(t, b, writer, true)
	if code := waitExit(t, b, w.ID); code != 0 {
		t.Fatalf("writer exited %d", code)
	}
	reader := &core.ContainerSpec{Image: testImage, Name: vol + "-r", Labels: testLabels(vol),
		Volumes: []string{vol + ":/data:ro"}, Cmd: []string{"cat", "/data/f"}}
	r := create(t, b, reader, true)
	if code := waitExit(t, b, r.ID); code != 0 {
		t.Fatalf("reader exited %d", code)
	}
	if logs, err := b.Logs(ctx, r.ID, backend.LogsOptions{}); err != nil || logs.Stdout != "persisted\n" {
		t.Errorf("volume content: %+v %v", logs, err)
	}
	for _, id := range []string{w.ID, r.ID} {
		if err := b.Remove(ctx, id, true); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.RemoveVolume(ctx, vol, false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.InspectVolume(ctx, vol); core.KindOf(err) != core.KindNotFound {
		t.Errorf("inspect of a removed volume: %v", err)
	}
}

func TestEngineFollowLogs(t *testing.T) {
	b := engine(t)
	name := uniqueName("follow")
	spec := &core.ContainerSpec{Image: testImage, Name: name, Labels: testLabels(name),
		Cmd: []string{"sh", "-c", `i=0; while true; do echo "tick $i"; echo "tock $i" >&2; i=$((i+1)); sleep 0.2; done`}}
	h := create(t, b, spec, true)
	ctx, cancel := context.WithCancel(t.Context())
	var stdout, stderr testenv.Buffer
	done := make(chan error, 1)
	go func() { done <- b.FollowLogs(ctx, h.ID, backend.LogsOptions{}, &stdout, &stderr) }()
	eventually(t, "three streamed ticks", func() bool {
		return strings.Contains(stdout.String(), "tick 2\n") && strings.Contains(stderr.String(), "tock 2\n")
	})
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("follow ended by ctx: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("FollowLogs did not return after ctx ended")
	}

	// A container that exits ends the stream by itself.
	short := uniqueName("follow-short")
	s := create(t, b, &core.ContainerSpec{Image: testImage, Name: short, Labels: testLabels(short), Cmd: []string{"sh", "-c", "echo a; echo b >&2"}}, true)
	waitExit(t, b, s.ID)
	var out, errOut testenv.Buffer
	fctx, fcancel := context.WithTimeout(t.Context(), time.Minute)
	defer fcancel()
	if err := b.FollowLogs(fctx, s.ID, backend.LogsOptions{}, &out, &errOut); err != nil || out.String() != "a\n" || errOut.String() != "b\n" {
		t.Errorf("follow of an exited container: %q / %q, %v", out.String(), errOut.String(), err)
	}
}

// TestEngineInjection sends hostile values through the real CLI and reads
// them back from inside the container, byte for byte.
func TestEngineInjection(t *testing.T) {
	b := engine(t)
	canary := filepath.Join(t.TempDir(), "CANARY")
	values := hostileValues(canary)
	name := uniqueName("inject")
	// printf prints every positional parameter NUL-terminated.
	cmd := append([]string{"sh", "-c", `printf '%s\0' "$@"; printf '%s' "$V" >&2`, "sh"}, values...)
	spec := &core.ContainerSpec{Image: testImage, Name: name, Labels: testLabels(name), Env: map[string]string{"V": values[4]}, Cmd: cmd}
	h := create(t, b, spec, true)
	waitExit(t, b, h.ID)
	logs, err := b.Logs(t.Context(), h.ID, backend.LogsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Split(strings.TrimSuffix(logs.Stdout, "\x00"), "\x00")
	if !slices.Equal(got, values) {
		t.Errorf("arguments changed on the way:\n got %q\nwant %q", got, values)
	}
	if logs.Stderr != values[4] {
		t.Errorf("env value %q, want %q", logs.Stderr, values[4])
	}
	if _, err := os.Stat(canary); err == nil {
		t.Fatal("a value was interpreted by a shell on the host")
	}
}

// TestEngineFailedBuildLeavesNoContainer: a RUN step that fails leaves no
// intermediate container behind (the classic builder keeps it without
// --force-rm). Such containers carry no label: they are found by a marker
// in their command.
func TestEngineFailedBuildLeavesNoContainer(t *testing.T) {
	b := engine(t)
	ctx := t.Context()
	dir := t.TempDir()
	marker := uniqueName("perry-failed-step")
	dockerfile := "FROM " + testImage + "\nRUN echo " + marker + " && false\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	err := b.Build(ctx, core.BuildSpec{Context: dir, Labels: map[string]string{"perry.test": "1"}}, uniqueName("img")+":x")
	if core.KindOf(err) != core.KindBackendError {
		t.Fatalf("a failing RUN step: %v, want BackendError", err)
	}
	out, err := exec.CommandContext(ctx, "docker", "ps", "-a", "--no-trunc", "--format", "{{.ID}} {{.Command}}").Output()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(out), "\n") {
		if strings.Contains(line, marker) {
			id, _, _ := strings.Cut(line, " ")
			_ = exec.Command("docker", "rm", "-f", id).Run()
			t.Errorf("the failed step's container was left behind: %s", line)
		}
	}
}

// TestEngineContract runs the whole backend contract on the docker CLI, as
// the API backend's tests do: both strategies must behave alike.
func TestEngineContract(t *testing.T) {
	contracttest.Run(t, engine(t), contracttest.Options{Image: testImage})
}

// TestEngineKillDeliversTheSignal: a signal other than SIGKILL reaches the
// container's process, which decides what it means (here: exit 7).
func TestEngineKillDeliversTheSignal(t *testing.T) {
	b := engine(t)
	ctx := t.Context()
	name := uniqueName("usr1")
	h := create(t, b, &core.ContainerSpec{Image: testImage, Name: name, Labels: testLabels(name),
		Cmd: []string{"sh", "-c", "trap 'exit 7' USR1; touch /tmp/trapped; sleep 1000 & wait"}}, true)
	eventually(t, "the trap to be set before the signal comes", func() bool {
		res, err := b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"test", "-f", "/tmp/trapped"}})
		return err == nil && res.ExitCode != nil && *res.ExitCode == 0
	})
	if err := b.Kill(ctx, h.ID, "usr1"); err != nil {
		t.Fatal(err)
	}
	if code := waitExit(t, b, h.ID); code != 7 {
		t.Errorf("exit code %d after SIGUSR1, want 7 (the trap's)", code)
	}
}
