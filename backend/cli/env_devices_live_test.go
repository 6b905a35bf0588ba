package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// A variable the image sets is gone from the container when the spec
// removes it (compose's environment entry without a value), on docker's
// CLI (a bare --env the engine removes) and podman's (--unsetenv); another
// of the image's variables stays. nerdctl's run cannot remove one: the
// spec is refused naming the field, and the backend says so to the
// compose engine.
func TestRuntimesUnsetEnv(t *testing.T) {
	onCLIRuntimes(t, func(t *testing.T, name string, b *Backend) {
		ctx := t.Context()
		if name == "nerdctl" {
			if b.Supports(ctx, backend.FeatureUnsetEnv) {
				t.Error("nerdctl says it can remove an image's variable")
			}
			_, err := b.Create(ctx, &core.ContainerSpec{Image: testenv.Image, UnsetEnv: []string{"PERRY_GONE"}})
			if e := core.AsError(err); e == nil || e.Kind != core.KindInvalidArgument || !strings.Contains(e.Message, "unset_env") {
				t.Fatalf("got %v, want InvalidArgument naming unset_env", err)
			}
			return
		}
		if !b.Supports(ctx, backend.FeatureUnsetEnv) {
			t.Errorf("%s says it cannot remove an image's variable", name)
		}
		dir := t.TempDir()
		dockerfile := "FROM " + testenv.Image + "\nENV PERRY_GONE=from-image PERRY_KEPT=from-image\n"
		if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
			t.Fatal(err)
		}
		image := uniqueName("unsetenv") + ":latest"
		t.Cleanup(func() {
			ctx, cancel := cleanupCtx()
			defer cancel()
			if err := b.RemoveImage(ctx, image, true); err != nil && core.KindOf(err) != core.KindNotFound {
				t.Errorf("cleanup of image %s: %v", image, err)
			}
		})
		if err := b.Build(ctx, core.BuildSpec{Context: dir}, image); err != nil {
			t.Fatal(err)
		}
		cname := uniqueName("unsetenv")
		h := create(t, b, &core.ContainerSpec{Image: image, Name: cname, Labels: testLabels(cname),
			Cmd: []string{"env"}, UnsetEnv: []string{"PERRY_GONE"}}, true)
		if code := waitExit(t, b, h.ID); code != 0 {
			t.Fatalf("env exited %d", code)
		}
		logs, err := b.Logs(ctx, h.ID, backend.LogsOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(logs.Stdout, "PERRY_GONE=") || !strings.Contains(logs.Stdout, "PERRY_KEPT=from-image") {
			t.Fatalf("the container's environment:\n%s", logs.Stdout)
		}
	})
}

// A GPU request reaches each runtime as --gpus: Docker creates the
// container and refuses to start it on this GPU-less host with the
// daemon's words; nerdctl looks for NVIDIA's container CLI before it
// creates anything. podman's CLI has no --gpus: refused naming the field.
func TestRuntimesDeviceRequests(t *testing.T) {
	onCLIRuntimes(t, func(t *testing.T, name string, b *Backend) {
		ctx := t.Context()
		cname := uniqueName("gpus")
		spec := sleeper(cname, cname)
		spec.DeviceRequests = []core.DeviceRequest{{Count: -1, Capabilities: []string{"gpu"}}}
		switch name {
		case "podman":
			_, err := b.Create(ctx, spec)
			if e := core.AsError(err); e == nil || e.Kind != core.KindInvalidArgument || !strings.Contains(e.Message, "device_requests") {
				t.Fatalf("got %v, want InvalidArgument naming device_requests", err)
			}
		case "nerdctl":
			h, err := b.Create(ctx, spec)
			if h.ID != "" {
				_ = b.Remove(ctx, h.ID, true)
			}
			if core.KindOf(err) != core.KindBackendError || !strings.Contains(err.Error(), "nvidia-container-cli") {
				t.Fatalf("got %v, want nerdctl's failure to find nvidia-container-cli", err)
			}
		default:
			h := create(t, b, spec, false)
			err := b.Start(ctx, h.ID)
			if core.KindOf(err) != core.KindBackendError || !strings.Contains(err.Error(), `could not select device driver "" with capabilities: [[gpu]]`) {
				t.Fatalf("got %v, want the daemon's refusal of the GPU request", err)
			}
		}
	})
}
