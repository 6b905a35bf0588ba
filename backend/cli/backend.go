package cli

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/moby/moby/client/pkg/versions"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Backend drives a runtime's CLI. It is safe for concurrent use: every call
// is its own process, and the only shared state (apple/container's attached
// starts) is guarded.
type Backend struct {
	name     string
	bin      string
	prefix   []string // arguments between bin and the protocol's (lima)
	lima     bool
	instance string // lima instance
	proto    Protocol

	// pollInterval paces apple/container's start and wait polling.
	pollInterval time.Duration

	mu      sync.Mutex
	started map[string]*attachedRun // apple/container: container id → its attached start
	api     string                  // Engine API version, once known (docker flavour)
	ver     string                  // the runtime's version, once known
}

var (
	_ backend.Backend  = (*Backend)(nil)
	_ backend.Features = (*Backend)(nil)
)

// Docker is the backend for a Docker-compatible CLI: name is the runtime
// (docker, podman, nerdctl, orbstack, colima, rancher-desktop) and bin the
// binary to run (a path or a name looked up in PATH).
func Docker(name, bin string) *Backend {
	return newBackend(name, bin, nil, DockerProtocol(name, bin))
}

// Apple is the backend for apple/container's `container` CLI.
func Apple(bin string) *Backend {
	return newBackend(RuntimeApple, bin, nil, AppleProtocol())
}

// Lima is the backend for nerdctl inside Lima instance instance:
// `limactl shell --workdir / INSTANCE nerdctl …`. The working directory is
// "/" because the host's may not exist in the VM.
func Lima(bin, instance string) *Backend {
	b := newBackend(RuntimeLima, bin, []string{"shell", "--workdir", "/", instance, "nerdctl"}, LimaProtocol())
	b.lima, b.instance = true, instance
	return b
}

func newBackend(name, bin string, prefix []string, p Protocol) *Backend {
	return &Backend{name: name, bin: bin, prefix: prefix, proto: p, pollInterval: 100 * time.Millisecond, started: map[string]*attachedRun{}}
}

// Name is the runtime's canonical name.
func (b *Backend) Name() string { return b.name }

// Protocol is the argument builder the backend uses.
func (b *Backend) Protocol() Protocol { return b.proto }

func requireID(what, id string) error { return backend.RequireID(what, id) }

// Check reports whether the runtime answers.
func (b *Backend) Check(ctx context.Context) error {
	_, err := b.Info(ctx)
	return err
}

// Info describes the runtime. The version comes from `version` JSON
// (apple/container: `system version`, or `--version` before 0.12).
func (b *Backend) Info(ctx context.Context) (core.BackendInfo, error) {
	info := core.BackendInfo{Name: b.name, Mode: "local", IsolationLevel: core.IsolationContainer, Strategy: "cli", Endpoint: b.bin}
	if b.proto.apple() {
		info.IsolationLevel = core.IsolationMicroVM // one lightweight VM per container
	}
	if b.lima {
		if err := b.checkLima(ctx); err != nil {
			return info, err
		}
	}
	version, err := b.version(ctx)
	if err != nil {
		return info, err
	}
	info.Available, info.Version = true, version
	return info, nil
}

// Supports reports the version-dependent features of the runtime behind
// the CLI. healthcheck.start_interval needs docker's CLI and an engine of
// API 1.44 or later (older daemons make the CLI refuse the flag); podman's
// and nerdctl's start flags mean something else. Unknown means no: the
// compose engine then emulates start_interval, which works everywhere.
func (b *Backend) Supports(ctx context.Context, feature string) bool {
	switch feature {
	case backend.FeatureHealthcheck, backend.FeatureUnsetEnv:
		// nerdctl (lima included) stores a healthcheck but never runs it;
		// apple/container has none. Neither run can remove a variable the
		// image sets.
		return b.proto.Flavor != FlavorNerdctl && !b.proto.apple()
	case backend.FeatureClassicBuild:
		return false // BuildKit, buildah, or the docker CLI's choice, unknown here
	case backend.FeatureWriteFiles:
		return b.writesFiles()
	case backend.FeatureHealthStartInterval:
		if b.proto.Flavor != FlavorDocker || b.lima {
			return false
		}
		v := b.engineAPI(ctx)
		return v != "" && !versions.LessThan(v, "1.44")
	}
	return true
}

// engineTakes refuses what the runtime's CLI cannot ask of this engine or
// version, before anything is created, and returns the spec to pass on.
// The docker CLI's --mac-address sets the MAC on the container's network
// endpoint, which needs Engine API 1.44 (the CLI refuses it before; the
// Engine API strategy sends it the older way). Its --mount volume-subpath
// needs API 1.45: an older engine, reached by a newer CLI, mounts the whole
// volume without a word. podman's --mount takes subpath from podman 5.4.
// An unknown version is not refused. For nerdctl the spec comes back with
// volumes_from turned into mounts (nerdctlVolumesFrom); otherwise it is
// spec itself.
func (b *Backend) engineTakes(ctx context.Context, spec *core.ContainerSpec) (*core.ContainerSpec, error) {
	if spec == nil {
		return spec, nil
	}
	var subpath string
	for i, m := range spec.Mounts {
		if m.Subpath != "" {
			subpath = indexed("mounts", i, "subpath")
			break
		}
	}
	if (spec.MacAddress == "" && subpath == "" && len(spec.VolumesFrom) == 0) || spec.Validate() != nil {
		return spec, nil // nothing to refuse, or the spec's own check says what is wrong
	}
	switch {
	case b.proto.Flavor == FlavorNerdctl && len(spec.VolumesFrom) > 0:
		return b.nerdctlVolumesFrom(ctx, spec)
	case b.proto.Flavor == FlavorDocker && (spec.MacAddress != "" || subpath != ""):
		v := b.engineAPI(ctx)
		if v == "" {
			return spec, nil
		}
		if spec.MacAddress != "" && versions.LessThan(v, "1.44") {
			return nil, core.InvalidArgument("mac_address", "the docker CLI sets it per network, which needs Engine API 1.44; this engine speaks %s (the Engine API strategy can set it)", v).
				With("field", "mac_address").With("backend", b.name)
		}
		if subpath != "" && versions.LessThan(v, "1.45") {
			return nil, core.InvalidArgument(subpath, "a volume's subpath (compose's volumes[].volume.subpath) needs Engine API 1.45 (Docker 26) or later; this engine speaks %s", v).
				With("field", subpath).With("backend", b.name)
		}
	case b.proto.Flavor == FlavorPodman && subpath != "":
		if v := b.runtimeVersion(ctx); v != "" && versions.LessThan(v, "5.4") {
			return nil, core.InvalidArgument(subpath, "a volume's subpath (compose's volumes[].volume.subpath) needs podman 5.4 or later; this is podman %s", v).
				With("field", subpath).With("backend", b.name)
		}
	}
	return spec, nil
}

// engineTakesNetwork is engineTakes for a network: the docker CLI's
// network create --ipv4=false needs Engine API 1.48 (Docker 28), where
// the CLI has the flag and the engine reads it.
func (b *Backend) engineTakesNetwork(ctx context.Context, cfg core.NetworkConfig) error {
	if !cfg.IPv4Disabled() || b.proto.Flavor != FlavorDocker {
		return nil
	}
	if v := b.engineAPI(ctx); v != "" && versions.LessThan(v, "1.48") {
		return core.InvalidArgument("enable_ipv4", "false (an IPv6-only network) needs Engine API 1.48 (Docker 28) or later; this engine speaks %s and would create the network with IPv4", v).
			With("field", "enable_ipv4").With("backend", b.name)
	}
	return nil
}

// engineAPI is the Engine API version the last successful `version` call
// reported (Info makes one), asking once more when none has; a failure is
// not remembered (the runtime may be starting).
func (b *Backend) engineAPI(ctx context.Context) string {
	api, _ := b.versions(ctx)
	return api
}

// runtimeVersion is the runtime's version, as engineAPI.
func (b *Backend) runtimeVersion(ctx context.Context) string {
	_, ver := b.versions(ctx)
	return ver
}

func (b *Backend) versions(ctx context.Context) (api, ver string) {
	b.mu.Lock()
	api, ver = b.api, b.ver
	b.mu.Unlock()
	if ver == "" {
		_, _ = b.version(ctx)
		b.mu.Lock()
		api, ver = b.api, b.ver
		b.mu.Unlock()
	}
	return api, ver
}

func (b *Backend) version(ctx context.Context) (string, error) {
	args := b.proto.VersionArgs()
	out, err := b.run(ctx, args)
	if err != nil {
		return "", err
	}
	if out.code != 0 {
		if b.proto.apple() { // before 0.12 there was no `system version`
			if old, oerr := b.run(ctx, []string{"--version"}); oerr == nil && old.code == 0 {
				return parseVersionText(string(old.stdout)), nil
			}
		}
		return "", b.unavailable(args, out)
	}
	if b.proto.apple() {
		v, err := parseAppleVersion(out.stdout)
		if err != nil {
			return "", parseErr(b.name, "system version", err)
		}
		return v, nil
	}
	vs, err := decodeObjects[dockerVersion](out.stdout)
	if err == nil && len(vs) == 0 {
		err = errors.New("no version object")
	}
	if err != nil {
		return "", parseErr(b.name, "version", err)
	}
	b.mu.Lock()
	b.api, b.ver = vs[0].apiVersion(), vs[0].version()
	b.mu.Unlock()
	return vs[0].version(), nil
}

// unavailable is the error of a runtime that does not answer.
func (b *Backend) unavailable(args []string, out output) error {
	return core.Errorf(core.KindBackendNotAvailable, "%s does not answer (%s exited with code %d): %s", b.name, opName(args), out.code, out.stderr).
		With("backend", b.name).With("exitCode", out.code).With("stderr", out.stderr)
}

// validInstance rejects a Lima instance name limactl would misread.
func (b *Backend) validInstance() error {
	if b.lima && (b.instance == "" || strings.HasPrefix(b.instance, "-")) {
		return core.Errorf(core.KindInvalidConfiguration, "lima instance name %q is invalid", b.instance).With("backend", b.name)
	}
	return nil
}

// checkLima requires the Lima instance to exist and run.
func (b *Backend) checkLima(ctx context.Context) error {
	if err := b.validInstance(); err != nil {
		return err
	}
	// Not through b.run: limactl list runs on the host, without the shell prefix.
	lb := &Backend{name: b.name, bin: b.bin}
	args := []string{"list", "--json", "--", b.instance}
	out, err := lb.run(ctx, args)
	if err != nil {
		return err
	}
	if out.code != 0 {
		return lb.unavailable(args, out)
	}
	list, err := parseLimaList(out.stdout)
	if err != nil {
		return parseErr(b.name, "limactl list", err)
	}
	for _, inst := range list {
		if inst.Name == b.instance {
			if inst.Status != "Running" {
				return core.Errorf(core.KindBackendNotAvailable, "lima instance %q is %s", b.instance, inst.Status).With("backend", b.name)
			}
			return nil
		}
	}
	return core.Errorf(core.KindBackendNotAvailable, "lima instance %q does not exist", b.instance).With("backend", b.name)
}

// Run creates and starts a container, detached. One `run --detach` when the
// CLI can do it all; otherwise create, connect and start.
func (b *Backend) Run(ctx context.Context, spec *core.ContainerSpec) (core.ContainerHandle, error) {
	spec, err := b.engineTakes(ctx, spec)
	if err != nil {
		return core.ContainerHandle{}, err
	}
	if !b.runNeedsSteps(spec) {
		args, err := b.proto.RunArgs(spec)
		if err != nil {
			return core.ContainerHandle{}, err
		}
		return b.runDetached(ctx, spec, args)
	}
	h, err := b.Create(ctx, spec)
	if err != nil {
		return h, err
	}
	if err := b.Start(ctx, h.ID); err != nil {
		b.cleanup(h.ID)
		return core.ContainerHandle{}, err
	}
	return h, nil
}

// runDetached runs `run --detach`, and removes the container again when its
// start fails (Run leaves a started container or nothing). The CLI creates
// the container first and prints no id when the start fails, so the id is
// also written to a --cidfile in a private directory.
func (b *Backend) runDetached(ctx context.Context, spec *core.ContainerSpec, args []string) (core.ContainerHandle, error) {
	dir, err := os.MkdirTemp("", "perry-run-") // 0700, unpredictable
	if err != nil {
		return core.ContainerHandle{}, core.Errorf(core.KindInternal, "run: %w", err)
	}
	defer os.RemoveAll(dir)
	cidfile := filepath.Join(dir, "cid")
	h, err := b.createWith(ctx, spec, append([]string{args[0], "--cidfile=" + cidfile}, args[1:]...))
	if err != nil {
		if id, rerr := os.ReadFile(cidfile); rerr == nil && containerID.Match(bytes.TrimSpace(id)) {
			b.cleanup(string(bytes.TrimSpace(id)))
		}
	}
	return h, err
}

// runNeedsSteps: apple/container is started attached (for its exit code);
// docker attaches extra networks after creation; nerdctl refuses -d with
// --rm; lima's CLI runs in its VM, where a host --cidfile is not, so only a
// separate create yields the id to remove when the start fails.
func (b *Backend) runNeedsSteps(spec *core.ContainerSpec) bool {
	if spec == nil {
		return false
	}
	if b.proto.apple() || b.lima || (b.proto.Flavor == FlavorNerdctl && spec.Rm) {
		return true
	}
	connects, err := b.proto.ConnectArgs(spec, "") // only the count matters
	return err != nil || len(connects) > 0
}

// Create creates a container and attaches its extra networks. When an
// attachment fails, the container is removed again.
func (b *Backend) Create(ctx context.Context, spec *core.ContainerSpec) (core.ContainerHandle, error) {
	spec, err := b.engineTakes(ctx, spec)
	if err != nil {
		return core.ContainerHandle{}, err
	}
	args, err := b.proto.CreateArgs(spec)
	if err != nil {
		return core.ContainerHandle{}, err
	}
	h, err := b.createWith(ctx, spec, args)
	if err != nil {
		return h, err
	}
	connects, err := b.proto.ConnectArgs(spec, h.ID)
	for _, c := range connects {
		if err == nil { // c ends with "--", NETWORK, ID
			_, err = b.call(ctx, target{"network", c[len(c)-2]}, c)
		}
	}
	if err != nil {
		b.cleanup(h.ID)
		return core.ContainerHandle{}, err
	}
	return h, nil
}

// createWith runs create/run arguments and reads the id they print.
func (b *Backend) createWith(ctx context.Context, spec *core.ContainerSpec, args []string) (core.ContainerHandle, error) {
	out, err := b.call(ctx, target{"image", spec.Image}, args)
	if err != nil {
		return core.ContainerHandle{}, err
	}
	id := lastLine(string(out.stdout)) // pull progress may precede the id
	if id == "" {
		return core.ContainerHandle{}, core.Errorf(core.KindBackendError, "%s %s printed no container id", b.name, args[0]).With("backend", b.name)
	}
	if !containerID.MatchString(id) {
		// Garbage (a truncated pipe, a wrapper's message) is no id: passed
		// on, it would reach start, connect and rollback as an argument.
		return core.ContainerHandle{}, core.Errorf(core.KindBackendError, "%s %s: cannot read the container id it printed: %q", b.name, args[0], id).With("backend", b.name)
	}
	return core.ContainerHandle{ID: id, Name: spec.Name}, nil
}

// containerID is what a create prints: a hex id (docker, podman, nerdctl)
// or a name or UUID (apple/container).
var containerID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.:-]*$`)

// cleanup removes a half-created container, even when ctx has ended.
func (b *Backend) cleanup(id string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, _ = b.run(ctx, b.proto.RemoveArgs(id, true))
}

// Start starts a created container.
func (b *Backend) Start(ctx context.Context, id string) error {
	if err := requireID("id", id); err != nil {
		return err
	}
	if b.proto.apple() {
		return b.startAttached(ctx, id)
	}
	out, err := b.call(ctx, target{"container", id}, b.proto.StartArgs(id))
	if err != nil {
		return err
	}
	return startEcho(b.name, id, string(out.stdout))
}

// startEcho checks what a detached start printed: docker, podman and nerdctl
// echo the name or ID they were given, and print nothing else on success.
// Anything else means the CLI did not do what it was asked (a wrapper or a
// broken runtime exiting 0); without this check a lying start of a service
// nothing depends on would go unnoticed and the up would report success
// with that service left created.
func startEcho(runtime, id, stdout string) error {
	for _, line := range strings.Split(strings.TrimSpace(stdout), "\n") {
		if line = strings.TrimSpace(line); line != "" && line != id {
			return core.Errorf(core.KindBackendError, "%s: start of container %q printed %.80q, not the container's name: the start was not confirmed", runtime, id, line).With("backend", runtime)
		}
	}
	return nil
}

// Stop stops a container; timeout in seconds, nil for the runtime's default.
func (b *Backend) Stop(ctx context.Context, id string, timeout *int) error {
	if err := requireID("id", id); err != nil {
		return err
	}
	_, err := b.call(ctx, target{"container", id}, b.proto.StopArgs(id, timeout))
	return err
}

// Kill sends a signal to the container's main process.
func (b *Backend) Kill(ctx context.Context, id, signal string) error {
	if err := requireID("id", id); err != nil {
		return err
	}
	sig, err := backend.CheckSignal(signal)
	if err != nil {
		return err
	}
	_, err = b.call(ctx, target{"container", id}, b.proto.KillArgs(id, sig))
	return err
}

// Remove removes a container. `rm -f` of a missing container exits 0 on
// docker's CLI but still says so on stderr: that is NotFound, as the Engine
// API reports it.
func (b *Backend) Remove(ctx context.Context, id string, force bool) error {
	if err := requireID("id", id); err != nil {
		return err
	}
	err := b.remove(ctx, target{"container", id}, b.proto.RemoveArgs(id, force))
	if err == nil {
		b.forget(id)
	}
	return err
}

// remove runs a removal, mapping a not-found stderr to NotFound even when the
// CLI exits 0 (docker's rm -f and rmi -f do).
func (b *Backend) remove(ctx context.Context, t target, args []string) error {
	out, err := b.call(ctx, t, args)
	if err == nil && (b.notFound(t, out.stderr) || b.proto.removedNothing(args, out)) {
		return core.NotFound(t.what, t.id).With("backend", b.name).With("stderr", out.stderr)
	}
	return err
}

// Rename renames a container.
func (b *Backend) Rename(ctx context.Context, id, newName string) error {
	if err := requireID("id", id); err != nil {
		return err
	}
	if err := requireID("newName", newName); err != nil {
		return err
	}
	args, err := b.proto.RenameArgs(id, newName)
	if err != nil {
		return err
	}
	_, err = b.call(ctx, target{"container", id}, args)
	return err
}

// List lists containers, sorted by name.
func (b *Backend) List(ctx context.Context, opts backend.ListOptions) ([]core.ContainerInfo, error) {
	args, err := b.proto.ListArgs(opts)
	if err != nil {
		return nil, err
	}
	out, err := b.call(ctx, target{}, args)
	if err != nil {
		return nil, err
	}
	var list []core.ContainerInfo
	if b.proto.apple() {
		list, err = parseAppleContainers(out.stdout)
	} else {
		list, err = parsePS(out.stdout)
	}
	if err != nil {
		return nil, parseErr(b.name, args[0], err)
	}
	result := []core.ContainerInfo{}
	for _, c := range list {
		if b.proto.apple() { // no server-side filters; ≤0.9 also ignored --all
			if (!opts.All && c.State != "running") || !backend.MatchLabels(c.Labels, opts.Labels) {
				continue
			}
			b.addExitCode(&c)
		}
		b.proto.fixInfo(&c)
		result = append(result, c)
	}
	sortContainers(result)
	return result, nil
}

// Inspect describes one container.
func (b *Backend) Inspect(ctx context.Context, id string) (core.ContainerInfo, error) {
	if err := requireID("id", id); err != nil {
		return core.ContainerInfo{}, err
	}
	t := target{"container", id}
	out, err := b.call(ctx, t, b.proto.InspectArgs(id))
	if err != nil {
		return core.ContainerInfo{}, err
	}
	var list []core.ContainerInfo
	if b.proto.apple() {
		list, err = parseAppleContainers(out.stdout)
	} else {
		list, err = parseInspect(out.stdout)
	}
	if err != nil {
		return core.ContainerInfo{}, parseErr(b.name, "inspect", err)
	}
	if len(list) == 0 {
		return core.ContainerInfo{}, core.NotFound("container", id).With("backend", b.name)
	}
	info := list[0]
	if b.proto.apple() {
		b.addExitCode(&info)
	}
	b.proto.fixInfo(&info)
	return info, nil
}

// Logs returns a container's output so far, stdout and stderr apart.
func (b *Backend) Logs(ctx context.Context, id string, opts backend.LogsOptions) (core.ContainerLogs, error) {
	if err := requireID("id", id); err != nil {
		return core.ContainerLogs{}, err
	}
	args, err := b.proto.LogsArgs(id, opts, false)
	if err != nil {
		return core.ContainerLogs{}, err
	}
	var stdout, stderr bytes.Buffer
	out, err := b.runWith(ctx, args, &stdout, &stderr)
	if err != nil {
		return core.ContainerLogs{}, err
	}
	if out.code != 0 {
		return core.ContainerLogs{}, b.failure(args, out, target{"container", id})
	}
	return core.ContainerLogs{Stdout: stdout.String(), Stderr: stderr.String()}, nil
}

// FollowLogs streams a container's output into stdout and stderr as the CLI
// prints it (nothing is buffered beyond the pipe) until the container stops
// or ctx ends; ending ctx is the normal way to stop following.
func (b *Backend) FollowLogs(ctx context.Context, id string, opts backend.LogsOptions, stdout, stderr io.Writer) error {
	if err := requireID("id", id); err != nil {
		return err
	}
	args, err := b.proto.LogsArgs(id, opts, true)
	if err != nil {
		return err
	}
	if stdout == nil {
		stdout = io.Discard
	}
	if stderr == nil {
		stderr = io.Discard
	}
	if sameWriter(stdout, stderr) { // exec copies each stream in its own goroutine
		mu := &sync.Mutex{}
		stdout, stderr = lockedWriter{mu, stdout}, lockedWriter{mu, stderr}
	}
	// The CLI's own error ("no such container") goes to the stderr writer,
	// where it would read as the container's output: find the container
	// first, so a missing one is NotFound with nothing written.
	info, err := b.Inspect(ctx, id)
	if err != nil {
		return err
	}
	if b.proto.followsFinished(info.State) {
		if args, err = b.proto.LogsArgs(id, opts, false); err != nil {
			return err
		}
	}
	out, err := b.runWith(ctx, args, stdout, stderr)
	if ctx.Err() != nil {
		return nil
	}
	if err != nil {
		return err
	}
	if out.code != 0 {
		return b.failure(args, out, target{"container", id})
	}
	return nil
}

// Exec runs a command in a running container. The command's own non-zero
// exit is its ExitCode, not an error; the CLI's failures (no such container,
// container not running) are errors.
func (b *Backend) Exec(ctx context.Context, id string, opts backend.ExecOptions) (core.ContainerLogs, error) {
	if err := requireID("id", id); err != nil {
		return core.ContainerLogs{}, err
	}
	args, err := b.proto.ExecArgs(id, opts)
	if err != nil {
		return core.ContainerLogs{}, err
	}
	var stdout, stderr bytes.Buffer
	out, err := b.runWith(ctx, args, &stdout, &stderr)
	if err != nil {
		return core.ContainerLogs{}, err
	}
	t := target{"container", id}
	if code, ok := b.proto.execExitCode(out); ok {
		return core.ContainerLogs{Stdout: stdout.String(), Stderr: execStderr(stderr.String()), ExitCode: &code}, nil
	}
	if b.proto.execRefused(out) {
		// As Docker's API answers (409): a BackendError naming the
		// container in conflict.
		return core.ContainerLogs{}, core.AsError(b.failure(args, out, t)).With("conflict", id)
	}
	if out.code != 0 && (b.notFound(t, out.stderr) || b.execFailed(out)) {
		return core.ContainerLogs{}, b.failure(args, out, t)
	}
	code := out.code
	return core.ContainerLogs{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: &code}, nil
}

// execFailed tells the CLI's own failure from the command's exit status, by
// the way each CLI reports its errors: docker "Error response from daemon:",
// podman exit status 125, nerdctl a fatal log line, apple/container "Error:".
func (b *Backend) execFailed(out output) bool {
	last := lastLine(out.stderr)
	switch {
	case strings.HasPrefix(last, "Error response from daemon:"):
		return true
	case b.proto.Flavor == FlavorPodman && out.code == 125:
		return true
	case b.proto.Flavor == FlavorNerdctl && nerdctlFatal(last):
		return true
	case b.proto.apple() && out.code == 1 && strings.HasPrefix(last, "Error: "):
		return true
	}
	return false
}

// Wait blocks until the container exits and returns its exit code.
func (b *Backend) Wait(ctx context.Context, id string) (int, error) {
	if err := requireID("id", id); err != nil {
		return 0, err
	}
	if b.proto.apple() {
		return b.appleWait(ctx, id)
	}
	args, err := b.proto.WaitArgs(id)
	if err != nil {
		return 0, err
	}
	out, err := b.call(ctx, target{"container", id}, args)
	if err != nil {
		return 0, err
	}
	code, err := strconv.Atoi(lastLine(string(out.stdout)))
	if err != nil {
		return 0, parseErr(b.name, "wait", err)
	}
	return code, nil
}

// Build builds an image from spec and tags it image. The build's progress
// output is dropped but for the tail kept for errors.
func (b *Backend) Build(ctx context.Context, spec core.BuildSpec, image string) error {
	if spec.DockerfileInline != "" {
		if err := core.ValidateBuild(spec, image); err != nil {
			return err
		}
		switch {
		case strings.Contains(spec.Context, "://") || strings.HasPrefix(spec.Context, "git@"):
			return core.InvalidArgument("build.dockerfile_inline", "needs a local build context, not %s", spec.Context)
		case len(b.prefix) > 0:
			// lima's CLI runs in its VM, where a host file is not.
			return core.InvalidArgument("build.dockerfile_inline", "is not supported by %s: its CLI cannot read a file of this host", b.name)
		}
		// The CLIs read a Dockerfile from a path: a private directory
		// (0700, unpredictable name) holds it for the build's duration.
		dir, err := os.MkdirTemp("", "perry-build-")
		if err != nil {
			return core.Errorf(core.KindInternal, "writing the inline Dockerfile: %v", err)
		}
		defer os.RemoveAll(dir)
		f := filepath.Join(dir, "Dockerfile")
		if err := os.WriteFile(f, []byte(spec.DockerfileInline), 0o600); err != nil {
			return core.Errorf(core.KindInternal, "writing the inline Dockerfile: %v", err)
		}
		spec.Dockerfile, spec.DockerfileInline = f, ""
	}
	args, err := b.proto.BuildArgs(spec, image)
	if err != nil {
		return err
	}
	progress := newTailBuffer(stderrKeep)
	out, err := b.runWith(ctx, args, progress, nil)
	if err != nil {
		return err
	}
	if out.code != 0 {
		if out.stderr == "" { // the legacy builder reports its errors on stdout
			out.stderr = strings.TrimSpace(progress.String())
		}
		return b.failure(args, out, target{})
	}
	return nil
}

// PullImage pulls an image.
func (b *Backend) PullImage(ctx context.Context, ref string) error {
	return b.transfer(ctx, ref, b.proto.PullArgs(ref))
}

// transfer runs a pull or a push of ref, its progress dropped.
func (b *Backend) transfer(ctx context.Context, ref string, args []string) error {
	if err := requireID("reference", ref); err != nil {
		return err
	}
	out, err := b.runWith(ctx, args, io.Discard, nil)
	if err != nil {
		return err
	}
	if out.code != 0 {
		return b.failure(args, out, target{"image", ref})
	}
	return nil
}

// ListImages lists local images.
func (b *Backend) ListImages(ctx context.Context) ([]core.ImageInfo, error) {
	args := b.proto.ListImagesArgs()
	out, err := b.call(ctx, target{}, args)
	// podman lists image ids and then reads each image: one removed in
	// between (by another process) fails the whole list with "image not
	// known". A list is a snapshot, so take it again.
	for try := 0; try < 3 && err != nil && strings.Contains(err.Error(), "image not known"); try++ {
		out, err = b.call(ctx, target{}, args)
	}
	if err != nil {
		return nil, err
	}
	var images []core.ImageInfo
	if b.proto.apple() {
		images, err = parseAppleImages(out.stdout)
	} else {
		images, err = parseImages(out.stdout)
	}
	if err != nil {
		return nil, parseErr(b.name, "images", err)
	}
	for i := range images {
		b.proto.fixImage(&images[i])
	}
	return images, nil
}

// InspectImage describes one local image.
func (b *Backend) InspectImage(ctx context.Context, ref string) (core.ImageInfo, error) {
	if err := requireID("reference", ref); err != nil {
		return core.ImageInfo{}, err
	}
	if b.proto.apple() {
		images, err := b.ListImages(ctx)
		if err != nil {
			return core.ImageInfo{}, err
		}
		if img, ok := matchAppleImage(images, ref); ok {
			return img, nil
		}
		return core.ImageInfo{}, core.NotFound("image", ref).With("backend", b.name)
	}
	out, err := b.call(ctx, target{"image", ref}, b.proto.InspectImageArgs(ref))
	if err != nil {
		return core.ImageInfo{}, err
	}
	entries, err := decodeObjects[imageInspect](out.stdout)
	if err != nil {
		return core.ImageInfo{}, parseErr(b.name, "image inspect", err)
	}
	if len(entries) == 0 {
		return core.ImageInfo{}, core.NotFound("image", ref).With("backend", b.name)
	}
	img := entries[0].info(ref)
	b.proto.fixImage(&img)
	return img, nil
}

// RemoveImage removes an image.
func (b *Backend) RemoveImage(ctx context.Context, ref string, force bool) error {
	if err := requireID("reference", ref); err != nil {
		return err
	}
	return b.remove(ctx, target{"image", ref}, b.proto.RemoveImageArgs(ref, force))
}

// CreateNetwork creates a network.
func (b *Backend) CreateNetwork(ctx context.Context, name string, cfg core.NetworkConfig) error {
	args, err := b.proto.CreateNetworkArgs(name, cfg)
	if err != nil {
		return err
	}
	if err := b.engineTakesNetwork(ctx, cfg); err != nil {
		return err
	}
	_, err = b.call(ctx, target{}, args)
	for try := 0; try < backend.CreateRetries && backend.InterfacesChanged(err); try++ {
		_, err = b.call(ctx, target{}, args)
	}
	return err
}

// InspectNetwork describes one network.
func (b *Backend) InspectNetwork(ctx context.Context, name string) (core.NetworkInfo, error) {
	if err := requireID("name", name); err != nil {
		return core.NetworkInfo{}, err
	}
	list, err := b.inspectNetworks(ctx, []string{name}, target{"network", name})
	if err != nil {
		return core.NetworkInfo{}, err
	}
	for _, n := range list {
		if n.Name == name || n.ID == name {
			return n, nil
		}
	}
	if len(list) == 1 { // an id prefix
		return list[0], nil
	}
	return core.NetworkInfo{}, core.NotFound("network", name).With("backend", b.name)
}

func (b *Backend) inspectNetworks(ctx context.Context, names []string, t target) ([]core.NetworkInfo, error) {
	return inspectNamed(ctx, b, b.networkOps(), names, t)
}

// ListNetworks lists the networks carrying labels, sorted by name.
func (b *Backend) ListNetworks(ctx context.Context, labels map[string]string) ([]core.NetworkInfo, error) {
	return listNamed(ctx, b, b.networkOps(), labels)
}

// RemoveNetwork removes a network.
func (b *Backend) RemoveNetwork(ctx context.Context, name string) error {
	if err := requireID("name", name); err != nil {
		return err
	}
	return b.remove(ctx, target{"network", name}, b.proto.RemoveNetworkArgs(name))
}

// CreateVolume creates a volume.
func (b *Backend) CreateVolume(ctx context.Context, name string, cfg core.VolumeConfig) error {
	args, err := b.proto.CreateVolumeArgs(name, cfg)
	if err != nil {
		return err
	}
	out, err := b.call(ctx, target{}, args)
	if err != nil && b.proto.existsAlready(out) {
		return nil
	}
	return err
}

// InspectVolume describes one volume.
func (b *Backend) InspectVolume(ctx context.Context, name string) (core.VolumeInfo, error) {
	if err := requireID("name", name); err != nil {
		return core.VolumeInfo{}, err
	}
	list, err := b.inspectVolumes(ctx, []string{name}, target{"volume", name})
	if err != nil {
		return core.VolumeInfo{}, err
	}
	for _, v := range list {
		if v.Name == name {
			return v, nil
		}
	}
	return core.VolumeInfo{}, core.NotFound("volume", name).With("backend", b.name)
}

func (b *Backend) inspectVolumes(ctx context.Context, names []string, t target) ([]core.VolumeInfo, error) {
	return inspectNamed(ctx, b, b.volumeOps(), names, t)
}

// ListVolumes lists the volumes carrying labels, sorted by name.
func (b *Backend) ListVolumes(ctx context.Context, labels map[string]string) ([]core.VolumeInfo, error) {
	return listNamed(ctx, b, b.volumeOps(), labels)
}

// RemoveVolume removes a volume.
func (b *Backend) RemoveVolume(ctx context.Context, name string, force bool) error {
	if err := requireID("name", name); err != nil {
		return err
	}
	return b.remove(ctx, target{"volume", name}, b.proto.RemoveVolumeArgs(name, force))
}

// namedOps is how the CLI inspects and lists one kind of named resource
// (networks, volumes): the same steps, other arguments and JSON.
type namedOps[T any] struct {
	kind        string // "network" | "volume"
	inspectArgs func(name string) []string
	listArgs    func(labels map[string]string) ([]string, error)
	parseApple  func([]byte) ([]T, error) // apple/container's JSON (list and inspect)
	parseDocker func([]byte) ([]T, error) // docker-compatible inspect JSON
	labels      func(T) map[string]string
	name        func(T) string
}

func (b *Backend) networkOps() namedOps[core.NetworkInfo] {
	return namedOps[core.NetworkInfo]{kind: "network", inspectArgs: b.proto.InspectNetworkArgs, listArgs: b.proto.ListNetworksArgs,
		parseApple: parseAppleNetworks, parseDocker: decodeInfos(networkEntry.info),
		labels: func(n core.NetworkInfo) map[string]string { return n.Labels }, name: func(n core.NetworkInfo) string { return n.Name }}
}

func (b *Backend) volumeOps() namedOps[core.VolumeInfo] {
	return namedOps[core.VolumeInfo]{kind: "volume", inspectArgs: b.proto.InspectVolumeArgs, listArgs: b.proto.ListVolumesArgs,
		parseApple: parseAppleVolumes, parseDocker: decodeInfos(func(e volumeEntry) core.VolumeInfo { v := e.info(); b.proto.fixVolume(&v); return v }),
		labels: func(v core.VolumeInfo) map[string]string { return v.Labels }, name: func(v core.VolumeInfo) string { return v.Name }}
}

// inspectNamed inspects names in one call.
func inspectNamed[T any](ctx context.Context, b *Backend, ops namedOps[T], names []string, t target) ([]T, error) {
	args := append(ops.inspectArgs(names[0]), names[1:]...)
	stdout, err := b.inspectOutput(ctx, t, ops.kind, args)
	if err != nil {
		return nil, err
	}
	parse := ops.parseDocker
	if b.proto.apple() {
		parse = ops.parseApple
	}
	list, err := parse(stdout)
	if err != nil {
		return nil, parseErr(b.name, ops.kind+" inspect", err)
	}
	return list, nil
}

// listNamed lists the resources carrying labels, sorted by name.
// docker-compatible CLIs list names, then inspect them for exact labels;
// apple/container lists JSON.
func listNamed[T any](ctx context.Context, b *Backend, ops namedOps[T], labels map[string]string) ([]T, error) {
	args, err := ops.listArgs(labels)
	if err != nil {
		return nil, err
	}
	out, err := b.call(ctx, target{}, args)
	if err != nil {
		return nil, err
	}
	var list []T
	if b.proto.apple() {
		if list, err = ops.parseApple(out.stdout); err != nil {
			return nil, parseErr(b.name, ops.kind+" list", err)
		}
	} else if names := splitList(string(out.stdout), "\n"); len(names) > 0 {
		// One removed between ls and inspect is simply absent.
		if list, err = inspectNamed(ctx, b, ops, names, target{}); err != nil {
			return nil, err
		}
	}
	result := []T{}
	for _, x := range list {
		if backend.MatchLabels(ops.labels(x), labels) {
			result = append(result, x)
		}
	}
	sort.Slice(result, func(i, j int) bool { return ops.name(result[i]) < ops.name(result[j]) })
	return result, nil
}
