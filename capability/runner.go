package capability

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"strings"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/capability/verify"
	"github.com/perryts/perry-container/core"
)

// Verifier is what Run needs of image verification. *verify.Verifier
// implements it; a Verifier must return a Result whose Pinned reference is
// repository@sha256:<hex> of the digest it checked.
type Verifier interface {
	Verify(ctx context.Context, ref string, p verify.Policy) (verify.Result, error)
}

// Defaults of the limits a capability container runs under.
const (
	DefaultMemoryBytes = 256 << 20
	DefaultPidsLimit   = 128
	DefaultTmpfsBytes  = 64 << 20
	DefaultTimeout     = 60 * time.Second
	// User is the non-root user capabilities run as: Chainguard's
	// "nonroot" (65532), given numerically so that images without
	// /etc/passwd work too.
	User = "65532:65532"
	// LabelCapability marks capability containers with the capability's
	// name, so that a sweep can find any a crash left behind.
	LabelCapability = "perry.capability"
)

// Grants are everything a capability container gets beyond the hardened
// default. Nothing else can be asked for: no volumes, no added Linux
// capabilities, no privileged mode, no host namespaces.
type Grants struct {
	// Network attaches the default bridge network; otherwise "none".
	Network bool `json:"network,omitempty" toml:"network"`
	// Env is the whole environment given to the command (the image's own
	// variables, such as PATH, remain).
	Env map[string]string `json:"env,omitempty" toml:"env"`
	// Limits; zero means the default.
	MemoryBytes int64   `json:"memoryBytes,omitempty" toml:"memoryBytes"`
	PidsLimit   int64   `json:"pidsLimit,omitempty" toml:"pidsLimit"`
	CPUs        float64 `json:"cpus,omitempty" toml:"cpus"` // 0: no CPU quota
	TmpfsBytes  int64   `json:"tmpfsBytes,omitempty" toml:"tmpfsBytes"`
	// TimeoutMs is the wall-clock limit of the command; past it the
	// container is killed and removed and Run fails with Timeout.
	TimeoutMs int64 `json:"timeoutMs,omitempty" toml:"timeoutMs"`
}

// Request is one capability invocation.
type Request struct {
	// Name is the capability's name (its key in perryconfig.toml).
	Name string `json:"name"`
	// Image to run; "" selects ChainguardImage(Cmd[0]) or DefaultBaseImage.
	// Any image, configured or default, must pass verification.
	Image string `json:"image,omitempty"`
	// Cmd is the command and its arguments, executed directly (the image's
	// entrypoint is replaced; no shell is involved unless Cmd names one).
	Cmd    []string `json:"cmd"`
	Grants Grants   `json:"grants,omitempty"`
	// Policy is who must have signed Image; nil means Chainguard's release
	// workflow (verify.ChainguardPolicy).
	Policy *verify.Policy `json:"policy,omitempty"`
	// Labels are added to the container's (tests label theirs perry.test=1).
	Labels map[string]string `json:"labels,omitempty"`
}

// Run runs one shell capability: it verifies the image first — nothing is
// pulled or created if verification fails — then runs Cmd by digest in an
// ephemeral hardened container on b, waits for it, collects its output and
// force-removes it. The returned logs carry the command's exit code; a
// non-zero exit is not an error.
//
// The container has a read-only root filesystem with a tmpfs at /tmp, no
// network unless granted, no volumes, all Linux capabilities dropped,
// no-new-privileges, SeccompProfile, memory and pids limits, and runs as
// User. It is removed when the command exits, when Grants.TimeoutMs passes
// (Run then fails with Timeout and returns the output so far), and when ctx
// ends (Cancelled or Timeout).
//
// Errors: InvalidArgument for a malformed request; VerificationFailed (403)
// naming the image and the reason when the image does not verify (or the
// Verifier returns a reference not pinned by digest); the backend's errors
// otherwise.
func Run(ctx context.Context, b backend.Backend, v Verifier, req Request) (core.ContainerLogs, error) {
	if b == nil || v == nil {
		return core.ContainerLogs{}, core.InvalidArgument("backend/verifier", "are required")
	}
	if err := req.validate(); err != nil {
		return core.ContainerLogs{}, err
	}
	image := req.Image
	if image == "" {
		image = imageFor(req.Cmd)
	}
	policy := verify.ChainguardPolicy()
	if req.Policy != nil {
		policy = *req.Policy
	}
	start := time.Now()

	res, err := v.Verify(ctx, image, policy)
	if err != nil {
		return core.ContainerLogs{}, verificationError(image, err)
	}
	if err := checkPinned(image, res); err != nil {
		return core.ContainerLogs{}, err
	}

	if err := ensureImage(ctx, b, res.Pinned); err != nil {
		return core.ContainerLogs{}, err
	}
	profile, cleanupProfile, err := writeSeccompProfile()
	if err != nil {
		return core.ContainerLogs{}, core.Errorf(core.KindInternal, "capability %q: seccomp profile: %w", req.Name, err)
	}
	spec := hardenedSpec(req, res.Pinned, profile)
	h, err := b.Create(ctx, spec)
	cleanupProfile()
	if err != nil {
		return core.ContainerLogs{}, err
	}

	logs, runErr := runCreated(ctx, b, req, h.ID)
	rmErr := remove(ctx, b, h.ID)
	slog.Default().LogAttrs(ctx, slog.LevelDebug, "perry-container: capability run",
		slog.String("capability", req.Name), slog.String("image", res.Pinned),
		slog.Any("exitCode", logs.ExitCode), slog.Duration("elapsed", time.Since(start)),
		slog.Any("error", runErr), slog.Any("removeError", rmErr))
	if runErr != nil {
		if rmErr != nil {
			return logs, core.AsError(runErr).With("removeError", rmErr.Error())
		}
		return logs, runErr
	}
	if rmErr != nil {
		return logs, core.Errorf(core.KindOf(rmErr), "capability %q ran, but its container %s could not be removed: %w", req.Name, h.ID, rmErr)
	}
	return logs, nil
}

// runCreated starts the container and waits for it within the capability's
// timeout.
func runCreated(ctx context.Context, b backend.Backend, req Request, id string) (core.ContainerLogs, error) {
	if err := b.Start(ctx, id); err != nil {
		return core.ContainerLogs{}, err
	}
	timeout := req.Grants.timeout()
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	code, err := b.Wait(wctx, id)
	if err != nil {
		logs := bestEffortLogs(ctx, b, id)
		switch {
		case ctx.Err() != nil:
			return logs, core.AsError(ctx.Err())
		case errors.Is(wctx.Err(), context.DeadlineExceeded):
			return logs, core.Errorf(core.KindTimeout, "capability %q did not finish within %s and was stopped", req.Name, timeout).
				With("capability", req.Name).With("timeoutMs", timeout.Milliseconds())
		}
		return logs, err
	}
	logs, err := b.Logs(ctx, id, backend.LogsOptions{})
	if err != nil {
		return core.ContainerLogs{ExitCode: &code}, err
	}
	logs.ExitCode = &code
	return logs, nil
}

// bestEffortLogs collects what a killed or abandoned container printed.
func bestEffortLogs(ctx context.Context, b backend.Backend, id string) core.ContainerLogs {
	lctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	logs, _ := b.Logs(lctx, id, backend.LogsOptions{})
	return logs
}

// remove force-removes the container, also when ctx has ended: an ephemeral
// container must not outlive its invocation.
func remove(ctx context.Context, b backend.Backend, id string) error {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := b.Remove(rctx, id, true); err != nil && core.KindOf(err) != core.KindNotFound {
		return err
	}
	return nil
}

// ensureImage pulls the pinned image unless the engine has it. Pulling by
// digest makes the engine check the content against the verified digest.
func ensureImage(ctx context.Context, b backend.Backend, pinned string) error {
	_, err := b.InspectImage(ctx, pinned)
	if err == nil {
		return nil
	}
	if core.KindOf(err) != core.KindNotFound {
		return err
	}
	return b.PullImage(ctx, pinned)
}

// hardenedSpec is the one ContainerSpec a capability runs with.
func hardenedSpec(req Request, pinned, seccompPath string) *core.ContainerSpec {
	network := "none"
	if req.Grants.Network {
		network = "bridge"
	}
	labels := maps.Clone(req.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[LabelCapability] = req.Name
	var env map[string]string
	if len(req.Grants.Env) > 0 {
		env = maps.Clone(req.Grants.Env)
	}
	var args []string
	if len(req.Cmd) > 1 {
		args = append(args, req.Cmd[1:]...)
	}
	return &core.ContainerSpec{
		Image: pinned,
		Name:  containerName(req.Name),
		// The entrypoint is replaced so that the command runs exactly as
		// configured, whatever entrypoint the image has.
		Entrypoint:  []string{req.Cmd[0]},
		Cmd:         args,
		Env:         env,
		Network:     network,
		ReadOnly:    true,
		Tmpfs:       []string{fmt.Sprintf("/tmp:rw,noexec,nosuid,nodev,size=%d,mode=1777", req.Grants.tmpfs())},
		User:        User,
		CapDrop:     []string{"ALL"},
		SecurityOpt: []string{"no-new-privileges"},
		Seccomp:     seccompPath,
		Memory:      req.Grants.memory(),
		PidsLimit:   req.Grants.pids(),
		CPUs:        req.Grants.CPUs,
		Labels:      labels,
		// Not Rm: the engine would remove the container as soon as it
		// exits, racing the collection of its output. Run removes it
		// itself, on every path.
	}
}

func (g Grants) memory() int64 { return orDefault(g.MemoryBytes, DefaultMemoryBytes) }
func (g Grants) pids() int64   { return orDefault(g.PidsLimit, DefaultPidsLimit) }
func (g Grants) tmpfs() int64  { return orDefault(g.TmpfsBytes, DefaultTmpfsBytes) }
func (g Grants) timeout() time.Duration {
	if g.TimeoutMs > 0 {
		return time.Duration(g.TimeoutMs) * time.Millisecond
	}
	return DefaultTimeout
}

func orDefault(v, d int64) int64 {
	if v > 0 {
		return v
	}
	return d
}

func (r Request) validate() error {
	if r.Name == "" {
		return core.InvalidArgument("name", "is required")
	}
	if strings.ContainsRune(r.Name, 0) {
		return core.InvalidArgument("name", "must not contain NUL")
	}
	if len(r.Cmd) == 0 || r.Cmd[0] == "" {
		return core.InvalidArgument("cmd", "is required")
	}
	for _, a := range r.Cmd {
		if strings.ContainsRune(a, 0) {
			return core.InvalidArgument("cmd", "arguments must not contain NUL")
		}
	}
	g := r.Grants
	if g.MemoryBytes < 0 || g.PidsLimit < 0 || g.CPUs < 0 || g.TmpfsBytes < 0 || g.TimeoutMs < 0 {
		return core.InvalidArgument("grants", "limits must not be negative")
	}
	for k := range g.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return core.InvalidArgument("grants.env", "key %q is empty or contains '=' or NUL", k)
		}
	}
	return nil
}

// containerName is perry-cap-<name>-<random>, the name reduced to what
// engines accept.
func containerName(capName string) string {
	var sb strings.Builder
	for _, r := range capName {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_', r == '.', r == '-':
			sb.WriteRune(r)
		default:
			sb.WriteByte('-')
		}
		if sb.Len() >= 40 {
			break
		}
	}
	var buf [4]byte
	_, _ = rand.Read(buf[:])
	return "perry-cap-" + sb.String() + "-" + hex.EncodeToString(buf[:])
}

// checkPinned is defence in depth against a faulty Verifier: what runs
// must be the digest that was checked.
func checkPinned(image string, res verify.Result) error {
	if pinnedTo(res.Pinned, res.Digest) {
		return nil
	}
	return core.Errorf(core.KindVerificationFailed,
		"image %q failed verification: the verifier returned %q, which is not pinned to the verified digest %q", image, res.Pinned, res.Digest).
		With("reference", image).With("reason", "reference not pinned by digest")
}

// pinnedTo reports whether ref is <repository>@<digest>.
func pinnedTo(ref, digest string) bool {
	repo, d, ok := strings.Cut(ref, "@")
	return ok && repo != "" && d == digest && strings.HasPrefix(digest, "sha256:") && len(digest) == len("sha256:")+64
}

// verificationError makes every verification failure a VerificationFailed
// naming the image, except the caller's own cancellation and a policy
// mistake, which keep their kinds.
func verificationError(image string, err error) error {
	e := core.AsError(err)
	switch e.Kind {
	case core.KindVerificationFailed, core.KindCancelled, core.KindTimeout, core.KindInvalidArgument:
		return e
	}
	return core.Errorf(core.KindVerificationFailed, "image %q failed verification: %w", image, err).
		With("reference", image).With("reason", err.Error())
}
