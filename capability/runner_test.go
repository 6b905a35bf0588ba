package capability_test

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/capability"
	"github.com/perryts/perry-container/capability/internal/sigtest"
	"github.com/perryts/perry-container/capability/verify"
	"github.com/perryts/perry-container/core"
)

const testDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

// fixedVerifier answers every Verify with the same result, and records the
// questions. It stands for package verify where the runner alone is tested.
type fixedVerifier struct {
	mu     sync.Mutex
	res    verify.Result
	err    error
	asked  []string
	policy []verify.Policy
}

func (f *fixedVerifier) Verify(_ context.Context, ref string, p verify.Policy) (verify.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.asked = append(f.asked, ref)
	f.policy = append(f.policy, p)
	return f.res, f.err
}

// accepting verifies any reference as repo@testDigest, like a Verifier
// that found a good signature.
func accepting() *fixedVerifier {
	return &fixedVerifier{res: verify.Result{Digest: testDigest}}
}

// recorder is the fake engine plus the specs it was asked to create and
// the seccomp profile found at the spec's path at that moment.
type recorder struct {
	*fake.Backend
	mu       sync.Mutex
	specs    []core.ContainerSpec
	profiles [][]byte
}

func (r *recorder) Create(ctx context.Context, spec *core.ContainerSpec) (core.ContainerHandle, error) {
	r.mu.Lock()
	r.specs = append(r.specs, *spec)
	data, _ := os.ReadFile(spec.Seccomp)
	r.profiles = append(r.profiles, data)
	r.mu.Unlock()
	return r.Backend.Create(ctx, spec)
}

func newRecorder() *recorder { return &recorder{Backend: fake.New()} }

// waitSignal closes waiting when Wait is first called: the container runs.
type waitSignal struct {
	*recorder
	once    sync.Once
	waiting chan struct{}
}

func (w *waitSignal) Wait(ctx context.Context, id string) (int, error) {
	w.once.Do(func() { close(w.waiting) })
	return w.recorder.Wait(ctx, id)
}

// noContainersLeft fails if any container (running or not) remains.
func noContainersLeft(t *testing.T, b backend.Backend) {
	t.Helper()
	left, err := b.List(context.Background(), backend.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Fatalf("containers left behind: %+v", left)
	}
}

func TestRunUsesTheHardenedSpec(t *testing.T) {
	b := newRecorder()
	v := accepting()
	v.res.Pinned = "cgr.dev/chainguard/wolfi-base@" + testDigest
	logs, err := capability.Run(t.Context(), b, v, capability.Request{
		Name: "greet", Cmd: []string{"echo", "hello", "world"},
		Labels: map[string]string{"perry.test": "1"},
	})
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if logs.Stdout != "hello world\n" || logs.ExitCode == nil || *logs.ExitCode != 0 {
		t.Fatalf("logs = %+v (exit %v), want hello world and exit 0", logs, logs.ExitCode)
	}
	// No tool image for echo: the default base image, Chainguard's policy.
	if !slices.Equal(v.asked, []string{"cgr.dev/chainguard/wolfi-base"}) || v.policy[0] != verify.ChainguardPolicy() {
		t.Fatalf("verified %v with %+v", v.asked, v.policy)
	}
	if len(b.specs) != 1 {
		t.Fatalf("%d containers created, want 1", len(b.specs))
	}
	got := b.specs[0]
	if !regexp.MustCompile(`^perry-cap-greet-[0-9a-f]{8}$`).MatchString(got.Name) {
		t.Errorf("name %q", got.Name)
	}
	if !slices.Equal(b.profiles[0], capability.SeccompProfile()) {
		t.Errorf("the spec's seccomp path %q did not hold the profile at create time", got.Seccomp)
	}
	if _, err := os.Stat(got.Seccomp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the profile file %s must be gone after create (stat: %v)", got.Seccomp, err)
	}
	want := core.ContainerSpec{
		Image:       "cgr.dev/chainguard/wolfi-base@" + testDigest,
		Name:        got.Name,
		Entrypoint:  []string{"echo"},
		Cmd:         []string{"hello", "world"},
		Network:     "none",
		ReadOnly:    true,
		Tmpfs:       []string{"/tmp:rw,noexec,nosuid,nodev,size=67108864,mode=1777"},
		User:        "65532:65532",
		CapDrop:     []string{"ALL"},
		SecurityOpt: []string{"no-new-privileges"},
		Seccomp:     got.Seccomp,
		Memory:      256 << 20,
		PidsLimit:   128,
		Labels:      map[string]string{"perry.test": "1", "perry.capability": "greet"},
	}
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Fatalf("spec:\n%s\nwant:\n%s", g, w)
	}
	// Pulled by digest, created, waited for, read, force-removed.
	wantCalls := []string{"InspectImage", "PullImage", "Create", "Start", "Wait", "Logs", "Remove"}
	if m := b.Methods(); !slices.Equal(m, wantCalls) {
		t.Fatalf("backend calls %v, want %v", m, wantCalls)
	}
	calls := b.Calls()
	if calls[1].Args[0] != want.Image || calls[6].Args[1] != "true" {
		t.Fatalf("pull must be by digest and remove forced: %v", calls)
	}
	noContainersLeft(t, b)
}

func TestRunGrants(t *testing.T) {
	b := newRecorder()
	v := accepting()
	v.res.Pinned = "cgr.dev/chainguard/git@" + testDigest
	_, err := capability.Run(t.Context(), b, v, capability.Request{
		Name: "fetch", Cmd: []string{"/usr/bin/git"},
		Grants: capability.Grants{
			Network: true, Env: map[string]string{"GIT_TERMINAL_PROMPT": "0"},
			MemoryBytes: 64 << 20, PidsLimit: 16, CPUs: 0.5, TmpfsBytes: 1 << 20, TimeoutMs: 50,
		},
	})
	// The fake engine keeps an unknown command running: the timeout ends it.
	if core.KindOf(err) != core.KindTimeout {
		t.Fatalf("Run = %v, want Timeout", err)
	}
	if !slices.Equal(v.asked, []string{"cgr.dev/chainguard/git"}) {
		t.Fatalf("a git command must use Chainguard's git image, verified %v", v.asked)
	}
	got := b.specs[0]
	if got.Network != "bridge" || got.Env["GIT_TERMINAL_PROMPT"] != "0" || len(got.Env) != 1 ||
		got.Memory != 64<<20 || got.PidsLimit != 16 || got.CPUs != 0.5 ||
		got.Tmpfs[0] != "/tmp:rw,noexec,nosuid,nodev,size=1048576,mode=1777" || got.Cmd != nil {
		t.Fatalf("grants not applied: %+v", got)
	}
	// Grants never weaken the rest.
	if !got.ReadOnly || got.Privileged || !slices.Equal(got.CapDrop, []string{"ALL"}) || len(got.CapAdd) != 0 ||
		len(got.Volumes) != 0 || len(got.Mounts) != 0 || got.User != capability.User {
		t.Fatalf("hardening weakened: %+v", got)
	}
	noContainersLeft(t, b)
}

func TestRunWithAConfiguredImageAndPolicy(t *testing.T) {
	b := newRecorder()
	v := accepting()
	v.res.Pinned = "registry.example/tools/jq@" + testDigest
	p := verify.Policy{IdentityRegex: `https://github\.com/example/.*`, Issuer: "https://issuer.enforce.dev"}
	if _, err := capability.Run(t.Context(), b, v, capability.Request{
		Name: "jq", Image: "registry.example/tools/jq:1.7", Cmd: []string{"true"}, Policy: &p,
	}); err != nil {
		t.Fatal(err)
	}
	if v.asked[0] != "registry.example/tools/jq:1.7" || v.policy[0] != p {
		t.Fatalf("an override image must be verified with its policy: %v %+v", v.asked, v.policy)
	}
	if b.specs[0].Image != v.res.Pinned {
		t.Fatalf("ran %q, want the pinned %q", b.specs[0].Image, v.res.Pinned)
	}
}

func TestUnverifiedImagesNeverReachTheEngine(t *testing.T) {
	tests := []struct {
		name string
		v    *fixedVerifier
		want string
	}{
		{"rejected", &fixedVerifier{err: core.Errorf(core.KindVerificationFailed, "image %q failed verification: no signature", "x").With("reason", "no signature")}, "no signature"},
		{"foreign error", &fixedVerifier{err: errors.New("boom")}, "boom"},
		{"tag instead of digest", &fixedVerifier{res: verify.Result{Digest: testDigest, Pinned: "cgr.dev/chainguard/git:latest"}}, "not pinned"},
		{"pinned to another digest", &fixedVerifier{res: verify.Result{Digest: testDigest, Pinned: "cgr.dev/chainguard/git@sha256:" + strings.Repeat("f", 64)}}, "not pinned"},
		{"no digest", &fixedVerifier{res: verify.Result{Pinned: "cgr.dev/chainguard/git@"}}, "not pinned"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newRecorder()
			_, err := capability.Run(t.Context(), b, tc.v, capability.Request{Name: "git", Cmd: []string{"git", "status"}})
			e := core.AsError(err)
			if e == nil || e.Kind != core.KindVerificationFailed || e.Code() != 403 || !strings.Contains(e.Error(), tc.want) {
				t.Fatalf("Run = %v, want VerificationFailed mentioning %q", err, tc.want)
			}
			if !strings.Contains(e.Error(), "cgr.dev/chainguard/git") && tc.name != "rejected" {
				t.Errorf("the error must name the image: %v", e)
			}
			if calls := b.Calls(); len(calls) != 0 {
				t.Fatalf("the engine was used for an unverified image: %v", calls)
			}
		})
	}
}

func TestRunStopsAndRemovesOnTimeoutAndCancel(t *testing.T) {
	b := newRecorder()
	v := accepting()
	v.res.Pinned = "cgr.dev/chainguard/busybox@" + testDigest
	start := time.Now()
	_, err := capability.Run(t.Context(), b, v, capability.Request{
		Name: "hang", Cmd: []string{"sleep", "3600"}, Grants: capability.Grants{TimeoutMs: 100},
	})
	e := core.AsError(err)
	if e == nil || e.Kind != core.KindTimeout || !strings.Contains(e.Message, `"hang"`) {
		t.Fatalf("Run = %v, want Timeout naming the capability", err)
	}
	if time.Since(start) > 10*time.Second {
		t.Fatal("the timeout was not honoured")
	}
	noContainersLeft(t, b)

	// Cancelled once the command runs and Run waits for its exit.
	w := &waitSignal{recorder: b, waiting: make(chan struct{})}
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	go func() {
		select {
		case <-w.waiting:
			cancel()
		case <-ctx.Done():
		}
	}()
	_, err = capability.Run(ctx, w, v, capability.Request{Name: "hang", Cmd: []string{"sleep", "3600"}})
	if core.KindOf(err) != core.KindCancelled {
		t.Fatalf("Run after cancel = %v, want Cancelled", err)
	}
	noContainersLeft(t, b)
	if m := b.Methods(); m[len(m)-2] != "Remove" { // the last is noContainersLeft's List
		t.Fatalf("calls %v: the run must end with the forced Remove", m)
	}
}

func TestRunReportsExitCodeAndBackendFailures(t *testing.T) {
	b := newRecorder()
	v := accepting()
	v.res.Pinned = "cgr.dev/chainguard/busybox@" + testDigest
	logs, err := capability.Run(t.Context(), b, v, capability.Request{Name: "f", Cmd: []string{"sh", "-c", "echo oops; exit 3"}})
	if err != nil || logs.ExitCode == nil || *logs.ExitCode != 3 || logs.Stdout != "oops\n" {
		t.Fatalf("Run = %+v, %v; want exit 3 with output and no error", logs, err)
	}

	b.Inject(fake.Fault{Method: "Start", Err: core.Errorf(core.KindBackendError, "start failed")})
	if _, err := capability.Run(t.Context(), b, v, capability.Request{Name: "f", Cmd: []string{"true"}}); core.KindOf(err) != core.KindBackendError {
		t.Fatalf("Run with a failing start = %v", err)
	}
	noContainersLeft(t, b) // created, failed to start, still removed

	b2 := newRecorder()
	b2.Inject(fake.Fault{Method: "Remove", Err: core.Errorf(core.KindBackendError, "engine busy")})
	logs, err = capability.Run(t.Context(), b2, v, capability.Request{Name: "f", Cmd: []string{"echo", "hi"}})
	if core.KindOf(err) != core.KindBackendError || !strings.Contains(err.Error(), "could not be removed") || logs.Stdout != "hi\n" {
		t.Fatalf("a failed removal must be reported with the output: %+v %v", logs, err)
	}

	b3 := newRecorder()
	b3.Inject(fake.Fault{Method: "Create", Err: core.Errorf(core.KindBackendError, "no space")})
	if _, err := capability.Run(t.Context(), b3, v, capability.Request{Name: "f", Cmd: []string{"true"}}); core.KindOf(err) != core.KindBackendError {
		t.Fatalf("Run with a failing create = %v", err)
	}
	if _, err := os.Stat(b3.specs[0].Seccomp); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the profile file must be removed when create fails")
	}
}

func TestRunValidatesTheRequest(t *testing.T) {
	for _, req := range []capability.Request{
		{Cmd: []string{"true"}},
		{Name: "x"},
		{Name: "x", Cmd: []string{""}},
		{Name: "x", Cmd: []string{"echo", "a\x00b"}},
		{Name: "x", Cmd: []string{"true"}, Grants: capability.Grants{MemoryBytes: -1}},
		{Name: "x", Cmd: []string{"true"}, Grants: capability.Grants{Env: map[string]string{"A=B": "c"}}},
	} {
		v := accepting()
		b := newRecorder()
		if _, err := capability.Run(t.Context(), b, v, req); core.KindOf(err) != core.KindInvalidArgument {
			t.Errorf("Run(%+v) = %v, want InvalidArgument", req, err)
		}
		if len(v.asked) != 0 || len(b.Calls()) != 0 {
			t.Errorf("an invalid request must do nothing")
		}
	}
	if _, err := capability.Run(t.Context(), nil, accepting(), capability.Request{Name: "x", Cmd: []string{"true"}}); core.KindOf(err) != core.KindInvalidArgument {
		t.Errorf("a nil backend must be InvalidArgument: %v", err)
	}
}

// TestRunWithRealVerification wires the runner to package verify, a
// registry on 127.0.0.1 and a virtual Sigstore: a signed image runs by
// digest, an unsigned one never reaches the engine.
func TestRunWithRealVerification(t *testing.T) {
	reg := sigtest.NewRegistry(t, true)
	ss := sigtest.NewSigstore(t)
	repo := reg.Repo(t, "perry/busybox")
	signed := sigtest.PushRandom(t, repo, "signed")
	sigtest.PushClassic(t, repo, signed, ss.SignClassic(t, sigtest.SimpleSigningPayload(repo, signed), sigtest.Identity, sigtest.Issuer))
	sigtest.PushRandom(t, repo, "unsigned")
	v, err := verify.New(verify.WithTrustedRootJSON(ss.TrustedRootJSON(t)), verify.InsecureWithoutSCT())
	if err != nil {
		t.Fatal(err)
	}
	p := verify.Policy{Identity: sigtest.Identity, Issuer: sigtest.Issuer}

	b := newRecorder()
	logs, err := capability.Run(t.Context(), b, v, capability.Request{Name: "ok", Image: repo.Tag("signed").String(), Cmd: []string{"echo", "ok"}, Policy: &p})
	if err != nil || logs.Stdout != "ok\n" {
		t.Fatalf("signed image: %+v %v", logs, err)
	}
	if want := repo.Name() + "@" + signed; b.specs[0].Image != want {
		t.Fatalf("ran %q, want %q", b.specs[0].Image, want)
	}

	b = newRecorder()
	ref := repo.Tag("unsigned").String()
	_, err = capability.Run(t.Context(), b, v, capability.Request{Name: "bad", Image: ref, Cmd: []string{"echo", "bad"}, Policy: &p})
	e := core.AsError(err)
	if e == nil || e.Kind != core.KindVerificationFailed || e.Details["reference"] != ref || !strings.Contains(e.Details["reason"].(string), "no signature found") {
		t.Fatalf("unsigned image: %v", err)
	}
	if len(b.Calls()) != 0 {
		t.Fatalf("the engine was used for an unsigned image: %v", b.Calls())
	}
}

func TestImages(t *testing.T) {
	if got := capability.DefaultBaseImage(); got != "cgr.dev/chainguard/wolfi-base" {
		t.Errorf("DefaultBaseImage() = %q", got)
	}
	for tool, want := range map[string]string{
		"git": "cgr.dev/chainguard/git", "/usr/bin/git": "cgr.dev/chainguard/git", "curl": "cgr.dev/chainguard/curl",
		"python3": "cgr.dev/chainguard/python", "go": "cgr.dev/chainguard/go", "node": "cgr.dev/chainguard/node",
		"bash": "cgr.dev/chainguard/bash", "busybox": "cgr.dev/chainguard/busybox",
	} {
		if got, ok := capability.ChainguardImage(tool); !ok || got != want {
			t.Errorf("ChainguardImage(%q) = %q, %v; want %q", tool, got, ok, want)
		}
	}
	for _, tool := range []string{"unknown-tool", "", "jq", "alpine-base"} {
		if got, ok := capability.ChainguardImage(tool); ok || got != "" {
			t.Errorf("ChainguardImage(%q) = %q, %v; want none", tool, got, ok)
		}
	}
}

func TestSeccompProfile(t *testing.T) {
	var p struct {
		DefaultAction string `json:"defaultAction"`
		ArchMap       []struct {
			Architecture     string   `json:"architecture"`
			SubArchitectures []string `json:"subArchitectures"`
		} `json:"archMap"`
		Syscalls []struct {
			Names    []string `json:"names"`
			Action   string   `json:"action"`
			ErrnoRet int      `json:"errnoRet"`
			Args     []struct {
				Index    int    `json:"index"`
				Value    uint64 `json:"value"`
				ValueTwo uint64 `json:"valueTwo"`
				Op       string `json:"op"`
			} `json:"args"`
		} `json:"syscalls"`
	}
	if err := json.Unmarshal(capability.SeccompProfile(), &p); err != nil {
		t.Fatal(err)
	}
	blocked := map[string]int{}
	var cloneFlags uint64
	for _, s := range p.Syscalls {
		if s.Action != "SCMP_ACT_ERRNO" {
			t.Errorf("rule %v: action %s", s.Names, s.Action)
		}
		for _, n := range s.Names {
			if n == "clone" {
				if len(s.Args) != 1 || s.Args[0].Op != "SCMP_CMP_MASKED_EQ" || s.Args[0].Value != s.Args[0].ValueTwo {
					t.Errorf("clone rule %+v", s.Args)
				}
				cloneFlags |= s.Args[0].Value
				continue
			}
			blocked[n] = s.ErrnoRet
		}
	}
	for _, n := range []string{"unshare", "setns", "mount", "pivot_root", "open_by_handle_at", "bpf", "perf_event_open",
		"userfaultfd", "io_uring_setup", "keyctl", "ptrace", "init_module", "kexec_load", "reboot"} {
		if blocked[n] != 1 {
			t.Errorf("%s must fail with EPERM (errnoRet %d)", n, blocked[n])
		}
	}
	if blocked["clone3"] != 38 {
		t.Errorf("clone3 must fail with ENOSYS so libc falls back to clone")
	}
	// CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET
	if cloneFlags != 0x7E020000 {
		t.Errorf("clone namespace flags blocked = %#x, want 0x7e020000", cloneFlags)
	}
	if p.DefaultAction != "SCMP_ACT_ALLOW" || len(p.ArchMap) != 2 || !slices.Contains(p.ArchMap[0].SubArchitectures, "SCMP_ARCH_X86") {
		t.Errorf("profile header: %s %+v", p.DefaultAction, p.ArchMap)
	}
}
