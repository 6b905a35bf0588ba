package capability_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/contracttest"
	"github.com/perryts/perry-container/capability"
	"github.com/perryts/perry-container/capability/internal/sigtest"
	"github.com/perryts/perry-container/capability/verify"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// TestEngineRunsAVerifiedCapability is the end-to-end path on the real
// engine: the busybox test image is pushed to a registry on 127.0.0.1,
// signed (classic layout) by a virtual Sigstore, verified by package
// verify, pulled by digest by the engine and run as a hardened capability.
// PERRY_SKIP_ENGINE_TESTS=1 skips it; an engine that does not answer fails.
func TestEngineRunsAVerifiedCapability(t *testing.T) {
	b := testenv.RequireEngine(t)
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	rc, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rc.Close() })

	// The test image, pushed to a registry only this test knows.
	reg := sigtest.NewRegistry(t, true)
	repo := reg.Repo(t, "perry/busybox")
	tarPath := filepath.Join(t.TempDir(), "busybox.tar")
	saveImage(ctx, t, rc, contracttest.DefaultImage, tarPath)
	img, err := tarball.ImageFromPath(tarPath, nil)
	if err != nil {
		t.Fatal(err)
	}
	digest := sigtest.PushImage(t, repo, "latest", img)
	ss := sigtest.NewSigstore(t)
	sigtest.PushClassic(t, repo, digest, ss.SignClassic(t, sigtest.SimpleSigningPayload(repo, digest), sigtest.Identity, sigtest.Issuer))
	pinned := repo.Name() + "@" + digest
	t.Cleanup(func() {
		// Untags the pulled digest only; perry-test/busybox keeps the image.
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = b.RemoveImage(ctx, pinned, false)
	})

	v, err := verify.New(verify.WithTrustedRootJSON(ss.TrustedRootJSON(t)), verify.InsecureWithoutSCT())
	if err != nil {
		t.Fatal(err)
	}
	policy := verify.Policy{Identity: sigtest.Identity, Issuer: sigtest.Issuer}
	// Measured for the note: cold and cached verification.
	t0 := time.Now()
	if _, err := v.Verify(ctx, repo.Tag("latest").String(), policy); err != nil {
		t.Fatalf("Verify: %v", err)
	}
	cold := time.Since(t0)
	t0 = time.Now()
	if _, err := v.Verify(ctx, pinned, policy); err != nil {
		t.Fatal(err)
	}
	t.Logf("verification: cold %s, cached %s", cold, time.Since(t0))
	run := "r" + randomHex(4)
	labels := map[string]string{"perry.test": "1", "perry.test.run": run}
	t.Cleanup(func() { sweep(t, b, run) })

	script := `id -u; touch /probe 2>/dev/null && echo root-rw || echo root-ro; ` +
		`echo x > /tmp/x && echo tmp-rw; unshare -U true 2>/dev/null && echo userns-ok || echo userns-blocked; ` +
		`wget -q -T 2 -O /dev/null http://1.1.1.1 2>/dev/null && echo net-ok || echo net-none; sleep 3; echo done`
	done := make(chan outcome, 1)
	go func() {
		logs, err := capability.Run(ctx, b, v, capability.Request{
			Name: "probe", Image: repo.Tag("latest").String(), Cmd: []string{"sh", "-c", script},
			Policy: &policy, Labels: labels,
		})
		done <- outcome{logs, err}
	}()

	// Inspect the live container while the command sleeps.
	id := waitForContainer(ctx, t, b, run, done)
	ins, err := rc.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		t.Fatalf("inspect of the live capability container: %v", err)
	}
	c := ins.Container
	hc := c.HostConfig
	if c.Config.Image != pinned {
		t.Errorf("image %q, want the pinned %q", c.Config.Image, pinned)
	}
	if !hc.ReadonlyRootfs || string(hc.NetworkMode) != "none" || !slices.Equal(hc.CapDrop, []string{"ALL"}) ||
		len(hc.CapAdd) != 0 || hc.Privileged || c.Config.User != capability.User {
		t.Errorf("hardening: readonly=%v network=%s capDrop=%v capAdd=%v privileged=%v user=%q",
			hc.ReadonlyRootfs, hc.NetworkMode, hc.CapDrop, hc.CapAdd, hc.Privileged, c.Config.User)
	}
	if hc.Memory != capability.DefaultMemoryBytes || hc.PidsLimit == nil || *hc.PidsLimit != capability.DefaultPidsLimit {
		t.Errorf("limits: memory=%d pids=%v", hc.Memory, hc.PidsLimit)
	}
	if _, ok := hc.Tmpfs["/tmp"]; !ok || hasVolume(c.Mounts) {
		t.Errorf("tmpfs=%v mounts=%+v: want a tmpfs at /tmp and no volumes", hc.Tmpfs, c.Mounts)
	}
	if !slices.Contains(hc.SecurityOpt, "no-new-privileges") {
		t.Errorf("security options %v lack no-new-privileges", hc.SecurityOpt)
	}
	if !hasProfile(hc.SecurityOpt) {
		t.Errorf("security options do not carry perry's seccomp profile: %.200v", hc.SecurityOpt)
	}

	var out outcome
	select {
	case out = <-done:
	case <-ctx.Done():
		t.Fatal("the capability did not finish")
	}
	if out.err != nil {
		t.Fatalf("Run: %v", out.err)
	}
	got := strings.Fields(out.logs.Stdout)
	want := []string{"65532", "root-ro", "tmp-rw", "userns-blocked", "net-none", "done"}
	if !slices.Equal(got, want) || out.logs.ExitCode == nil || *out.logs.ExitCode != 0 {
		t.Errorf("output %q (exit %v, stderr %q), want %q", out.logs.Stdout, out.logs.ExitCode, out.logs.Stderr, want)
	}
	if _, err := rc.ContainerInspect(ctx, id, client.ContainerInspectOptions{}); err == nil {
		t.Errorf("container %s still exists after the run", id)
	}
	assertNothingLeft(t, b, run)

	// Overhead of a capability (verification cached) against a plain run
	// of the same image, both to completion and removal.
	t0 = time.Now()
	if _, err := capability.Run(ctx, b, v, capability.Request{Name: "noop", Image: repo.Tag("latest").String(), Cmd: []string{"true"}, Policy: &policy, Labels: labels}); err != nil {
		t.Fatal(err)
	}
	capRun := time.Since(t0)
	t0 = time.Now()
	h, err := b.Run(ctx, &core.ContainerSpec{Image: pinned, Cmd: []string{"true"}, Labels: labels})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.Wait(ctx, h.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Logs(ctx, h.ID, backend.LogsOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := b.Remove(ctx, h.ID, true); err != nil {
		t.Fatal(err)
	}
	t.Logf("capability run %s vs plain run %s", capRun, time.Since(t0))

	// A command that hangs is killed at its timeout, and removed.
	start := time.Now()
	_, err = capability.Run(ctx, b, v, capability.Request{
		Name: "hang", Image: repo.Tag("latest").String(), Cmd: []string{"sleep", "3600"},
		Grants: capability.Grants{TimeoutMs: 1500}, Policy: &policy, Labels: labels,
	})
	if core.KindOf(err) != core.KindTimeout {
		t.Fatalf("a hanging capability = %v, want Timeout", err)
	}
	if el := time.Since(start); el > 30*time.Second {
		t.Errorf("the timeout took %s", el)
	}
	assertNothingLeft(t, b, run)
	if s := v.Stats(); s.Verifications != 1 {
		t.Errorf("verification stats %+v: later runs must be served from the cache", s)
	}
}

type outcome struct {
	logs core.ContainerLogs
	err  error
}

func saveImage(ctx context.Context, t *testing.T, rc *client.Client, image, path string) {
	t.Helper()
	r, err := rc.ImageSave(ctx, []string{image})
	if err != nil {
		t.Fatalf("save %s: %v (build it with `bash tests/image/build.sh`)", image, err)
	}
	defer r.Close()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := io.Copy(f, r); err != nil {
		t.Fatal(err)
	}
}

// waitForContainer returns the id of the run's container once it runs.
func waitForContainer(ctx context.Context, t *testing.T, b backend.Backend, run string, done <-chan outcome) string {
	t.Helper()
	for {
		list, err := b.List(ctx, backend.ListOptions{Labels: map[string]string{"perry.test.run": run}})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) == 1 {
			return list[0].ID
		}
		select {
		case o := <-done:
			t.Fatalf("the capability ended before it could be inspected: %+v %v", o.logs, o.err)
		case <-ctx.Done():
			t.Fatal("the capability container never ran")
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func hasVolume(ms []container.MountPoint) bool {
	for _, m := range ms {
		if string(m.Type) == "volume" || string(m.Type) == "bind" {
			return true
		}
	}
	return false
}

// hasProfile reports whether the engine holds perry's profile: the API
// backend sends the file's JSON content as seccomp=<json>.
func hasProfile(opts []string) bool {
	var want any
	_ = json.Unmarshal(capability.SeccompProfile(), &want)
	for _, o := range opts {
		v, ok := strings.CutPrefix(o, "seccomp=")
		if !ok {
			continue
		}
		var got any
		if json.Unmarshal([]byte(v), &got) == nil && jsonEqual(got, want) {
			return true
		}
	}
	return false
}

func jsonEqual(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}

func assertNothingLeft(t *testing.T, b backend.Backend, run string) {
	t.Helper()
	left, err := b.List(context.Background(), backend.ListOptions{All: true, Labels: map[string]string{"perry.test.run": run}})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("capability containers left behind: %+v", left)
	}
}

// sweep removes anything of this run a failure left behind.
func sweep(t *testing.T, b backend.Backend, run string) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	left, _ := b.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{"perry.test.run": run}})
	for _, c := range left {
		if err := b.Remove(ctx, c.ID, true); err != nil {
			t.Errorf("cleanup: %v", err)
		}
	}
}

func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}
