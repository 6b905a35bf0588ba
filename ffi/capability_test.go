package main

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/capability/verify"
	"github.com/perryts/perry-container/core"
)

// stubVerifier accepts one image, pinned to a fixed digest, and rejects the rest.
type stubVerifier struct{ accept string }

const stubDigest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

func (s stubVerifier) Verify(_ context.Context, ref string, _ verify.Policy) (verify.Result, error) {
	if ref != s.accept {
		return verify.Result{}, errors.New("no signature found")
	}
	repo := strings.SplitN(ref, ":", 2)[0]
	return verify.Result{Reference: ref, Digest: stubDigest, Pinned: repo + "@" + stubDigest}, nil
}

func TestRunCapabilityVerifiesFirst(t *testing.T) {
	t.Setenv("PERRY_CONFIG", "")
	t.Chdir(t.TempDir())
	fb := fake.New()
	c := fakeContext(fb)
	c.verifier = stubVerifier{accept: "registry.test/tools/echo:1"}
	ctx := context.Background()

	_, err := c.runShellCapability(ctx, newArg("name", "greet", true, false), newArg("image", "registry.test/evil:1", true, false),
		newArg("cmd", `["echo","hi"]`, true, false), arg{name: "grants"})
	if core.KindOf(err) != core.KindVerificationFailed || !strings.Contains(err.Error(), "registry.test/evil:1") {
		t.Fatalf("unverified image: %v", err)
	}
	for _, call := range fb.Calls() {
		if call.Method == "Create" || call.Method == "PullImage" {
			t.Fatalf("an unverified image reached the backend: %v", call)
		}
	}

	res, err := c.runShellCapability(ctx, newArg("name", "greet", true, false), newArg("image", "registry.test/tools/echo:1", true, false),
		newArg("cmd", `["echo","hi"]`, true, false), newArg("grants", `{"timeoutMs":5000}`, true, false))
	if err != nil {
		t.Fatalf("verified capability: %v", err)
	}
	out := res.(core.ContainerLogs)
	if out.Stdout != "hi\n" || out.ExitCode == nil || *out.ExitCode != 0 {
		t.Fatalf("output: %+v", out)
	}
	for _, call := range fb.Calls() {
		if call.Method == "Create" && !strings.Contains(call.Args[0], "@"+stubDigest) {
			t.Fatalf("not run by digest: %v", call)
		}
	}
	if left, _ := fb.List(ctx, backendAll()); len(left) != 0 {
		t.Fatalf("capability container left behind: %+v", left)
	}

	if _, err := c.runShellCapability(ctx, newArg("name", "greet", true, false), arg{name: "image"},
		newArg("cmd", `["echo"]`, true, false), newArg("grants", `{"netwrok":true}`, true, false)); core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "netwrok") {
		t.Fatalf("a typo in grants: %v", err)
	}
}

func TestRunCapabilityUsesConfiguredImage(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "perryconfig.toml")
	body := "[shellCapabilityImages.greet]\nimage = \"registry.test/tools/echo:1\"\n"
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PERRY_CONFIG", cfg)
	c := fakeContext(fake.New())
	c.verifier = stubVerifier{accept: "registry.test/tools/echo:1"}
	if _, err := c.runShellCapability(context.Background(), newArg("name", "greet", true, false), arg{name: "image"},
		newArg("cmd", `["echo","configured"]`, true, false), arg{name: "grants"}); err != nil {
		t.Fatalf("configured image: %v", err)
	}
}

func TestRunWithOptInVerification(t *testing.T) {
	fb := fake.New()
	c := fakeContext(fb)
	c.verifier = stubVerifier{accept: "registry.test/app:1"}
	ctx := context.Background()
	spec := `{"image":"registry.test/app:1","cmd":["sleep","9"],"verify":{"identity":"https://ci.example/release","issuer":"https://issuer.example"}}`
	res, err := c.opRun(ctx, newArg("spec", spec, true, false), false)
	if err != nil {
		t.Fatalf("verified run: %v", err)
	}
	info, _ := fb.Inspect(ctx, res.(core.ContainerHandle).ID)
	if info.Image != "registry.test/app@"+stubDigest {
		t.Fatalf("ran %q, want the verified digest", info.Image)
	}
	bad := `{"image":"registry.test/other:1","verify":{"identity":"https://ci.example/release","issuer":"https://issuer.example"}}`
	if _, err := c.opRun(ctx, newArg("spec", bad, true, false), false); core.KindOf(err) != core.KindVerificationFailed {
		t.Fatalf("unverified run: %v", err)
	}
	if _, err := c.opRun(ctx, newArg("spec", `{"image":"a","verify":{"identiy":"x"}}`, true, false), false); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("typo in verify: %v", err)
	}
}
