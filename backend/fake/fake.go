// Package fake is an in-memory container engine for tests: containers,
// images, networks and volumes with real state (an unknown id is NotFound, a
// stopped container cannot exec, a removed one is gone). It records every
// call and accepts injected failures and scripted behaviour on top.
//
// Hosts select it with PERRY_CONTAINER_BACKEND=fake to test their own code
// without a container runtime.
//
// Containers "run" their command through a tiny interpreter so that stacks
// behave plausibly: `echo ARGS` prints and exits 0, `true`/`false` exit 0/1,
// `sh -c "exit N"` exits N, `sh -c "echo X"` prints X and exits 0; anything
// else keeps running until stopped. Exec understands the same commands plus
// `env`, `pwd`, `cat FILE` and `test -f FILE` (files written with WriteFile or
// a redirection). `sh -c` runs ';'-separated commands with quoting and the
// redirections >, >>, 2>, 2>>, 2>&1, >&2. A healthcheck's command is run the
// same way whenever the container is inspected: exit 0 is healthy, any
// other code unhealthy (a command the interpreter does not know counts as
// healthy), unless Health says otherwise.
package fake

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/imageref"
	"github.com/perryts/perry-container/core"
)

// Call is one recorded backend call.
type Call struct {
	Method string
	Args   []string
}

func (c Call) String() string { return c.Method + "(" + strings.Join(c.Args, ", ") + ")" }

// Fault is an injected failure: the N-th (1-based) call of Method whose
// first argument contains Match fails with Err. N == 0 means every matching call.
type Fault struct {
	Method string
	Match  string
	N      int
	Err    error
	seen   int
}

type container struct {
	info    core.ContainerInfo
	spec    core.ContainerSpec
	stdout  strings.Builder
	stderr  strings.Builder
	exited  chan struct{} // closed when the container stops
	created time.Time
	mounts  []MountPoint // by destination
	netIDs  []string     // the ids of the networks it is attached to
	// modes are the mode and owner of the files WriteFiles wrote; other
	// files are 644, root's (defaultMeta).
	modes map[string]fileMeta
}

// Backend is the fake engine. The zero value is not usable; call New.
type Backend struct {
	mu         sync.Mutex
	containers map[string]*container
	images     map[string]core.ImageInfo
	networks   map[string]core.NetworkInfo   // by id
	netCfgs    map[string]core.NetworkConfig // by id: what CreateNetwork was given
	volumes    map[string]core.VolumeInfo
	files      map[string]map[string]string // container id → path → content
	commits    map[string]Commit            // image id → what was committed into it
	// volumeFiles are the files written under a volume's destination in a
	// container: volume name → path in the volume → content.
	volumeFiles map[string]map[string]string
	calls       []Call
	execs       []Exec
	faults      []*Fault
	freePort    uint16 // the last host port handed out for a port without one

	// Health, when set, decides a running container's health status
	// (called under the backend's lock; must not call back into it).
	Health func(c core.ContainerInfo) string
	// Delay, when set, is slept before every call (honouring ctx).
	Delay time.Duration
	// Now is the clock.
	Now func() time.Time
	// DuplicateNetworkNames makes CreateNetwork create a second network of
	// a name that exists, as Docker does when two creators race its check
	// (or a client skips it); a name two networks share is then ambiguous
	// wherever it is given, and only their ids tell them apart.
	DuplicateNetworkNames bool
}

var _ backend.Backend = (*Backend)(nil)

// New returns an empty engine. Images named in images are present locally.
func New(images ...string) *Backend {
	b := &Backend{
		containers:  map[string]*container{},
		images:      map[string]core.ImageInfo{},
		networks:    map[string]core.NetworkInfo{},
		netCfgs:     map[string]core.NetworkConfig{},
		volumes:     map[string]core.VolumeInfo{},
		files:       map[string]map[string]string{},
		commits:     map[string]Commit{},
		volumeFiles: map[string]map[string]string{},
		Now:         time.Now,
	}
	for _, ref := range images {
		b.addImage(ref)
	}
	// Docker-compatible engines always have these networks.
	for _, n := range []string{"bridge", "host", "none"} {
		id := newID()
		b.networks[id] = core.NetworkInfo{ID: id, Name: n, Driver: n}
	}
	return b
}

// Inject adds a fault.
func (b *Backend) Inject(f Fault) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.faults = append(b.faults, &f)
}

// maxCalls bounds the call log; past it the oldest half is dropped.
const maxCalls = 1 << 16

// Calls returns a copy of the recorded calls (the most recent ones, at
// most maxCalls).
func (b *Backend) Calls() []Call {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Call(nil), b.calls...)
}

// Methods returns the recorded calls' method names in order.
func (b *Backend) Methods() []string {
	var out []string
	for _, c := range b.Calls() {
		out = append(out, c.Method)
	}
	return out
}

// ResetCalls forgets the recorded calls (and execs).
func (b *Backend) ResetCalls() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = nil
	b.execs = nil
}

// Exec is one command run by Exec in a running container, with every
// option it was given (the call log has the command only).
type Exec struct {
	Container string // the container's full id
	Options   backend.ExecOptions
}

// Execs returns the commands Exec ran, in order (at most maxCalls).
func (b *Backend) Execs() []Exec {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Exec(nil), b.execs...)
}

// WriteFile puts a file into a container for exec `cat`: into the volume
// mounted there, when there is one (every container mounting it sees it).
func (b *Backend) WriteFile(id, path, content string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return err
	}
	b.storeFiles(c, map[string]string{path: content})
	return nil
}

// Exit makes a running container exit with code (as if its process ended).
func (b *Backend) Exit(id string, code int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return err
	}
	b.exit(c, code)
	return nil
}

// enter records a call and returns an injected error, if any. It takes the lock.
func (b *Backend) enter(ctx context.Context, method string, args ...string) error {
	if b.Delay > 0 {
		t := time.NewTimer(b.Delay)
		select {
		case <-ctx.Done():
			t.Stop()
		case <-t.C:
		}
	}
	if err := ctx.Err(); err != nil {
		return core.AsError(err)
	}
	b.mu.Lock()
	if len(b.calls) >= maxCalls {
		// Keep the recent half: a host's long suite on the fake must not
		// grow without bound (stress64 saw ~100 MB per 64k calls).
		b.calls = append([]Call(nil), b.calls[maxCalls/2:]...)
	}
	b.calls = append(b.calls, Call{Method: method, Args: args})
	for _, f := range b.faults {
		if f.Method != method {
			continue
		}
		if f.Match != "" && (len(args) == 0 || !strings.Contains(args[0], f.Match)) {
			continue
		}
		f.seen++
		if f.N == 0 || f.seen == f.N {
			b.mu.Unlock()
			return f.Err
		}
	}
	return nil
}

func newID() string {
	var buf [32]byte
	_, _ = rand.Read(buf[:])
	return hex.EncodeToString(buf[:])
}

// addImage files an image under ref. One pulled by digest only is listed
// as the engines list it: its repository, tag "<none>", the digest.
func (b *Backend) addImage(ref string) core.ImageInfo {
	repo, tag := imageref.Listed(ref)
	img := b.newImage(repo, tag)
	img.Digest = imageref.Digest(ref)
	b.images[imageKey(ref)] = img
	return img
}

// newImage is a new image's record, made now on this machine's platform.
func (b *Backend) newImage(repo, tag string) core.ImageInfo {
	return core.ImageInfo{ID: "sha256:" + newID(), Repository: repo, Tag: tag, Size: 1 << 20, Created: b.Now().UTC().Format(time.RFC3339),
		Platform: core.FormatPlatform("linux", runtime.GOARCH, "")}
}

// imageKey is the full reference an image is filed under, so that
// "busybox", "busybox:latest" and "docker.io/library/busybox" find one
// image, and a digest reference its digest.
func imageKey(ref string) string {
	if d := imageref.Digest(ref); d != "" {
		repo, _ := imageref.Split(ref)
		return imageref.Normalize(repo + "@" + d)
	}
	return imageref.Normalize(ref)
}

func (b *Backend) findImage(ref string) (core.ImageInfo, bool) {
	if img, ok := b.images[imageKey(ref)]; ok {
		return img, true
	}
	for _, img := range b.images {
		if img.ID == ref || strings.TrimPrefix(img.ID, "sha256:") == ref {
			return img, true
		}
	}
	return core.ImageInfo{}, false
}

// find resolves a name, a full id or a unique id prefix. Caller holds the lock.
func (b *Backend) find(id string) (*container, error) {
	if id == "" {
		return nil, core.NotFound("container", id)
	}
	if c, ok := b.containers[id]; ok {
		return c, nil
	}
	var match *container
	for _, c := range b.containers {
		if c.info.Name == id {
			return c, nil
		}
		if len(id) >= 4 && strings.HasPrefix(c.info.ID, id) {
			if match != nil {
				return nil, core.Errorf(core.KindInvalidArgument, "container id prefix %q is ambiguous", id)
			}
			match = c
		}
	}
	if match == nil {
		return nil, core.NotFound("container", id)
	}
	return match, nil
}

func (b *Backend) Name() string { return "fake" }

func (b *Backend) Check(ctx context.Context) error {
	if err := b.enter(ctx, "Check"); err != nil {
		return err
	}
	b.mu.Unlock()
	return nil
}

func (b *Backend) Info(ctx context.Context) (core.BackendInfo, error) {
	if err := b.enter(ctx, "Info"); err != nil {
		return core.BackendInfo{}, err
	}
	b.mu.Unlock()
	return core.BackendInfo{Name: "fake", Available: true, Version: "1.0.0", Mode: "local", IsolationLevel: core.IsolationContainer, Strategy: "memory"}, nil
}

// Run pulls a missing image first, as `docker run` does, then creates and
// starts. As the engines' backends do, a container whose start fails is
// removed again: Run leaves a started container or nothing.
func (b *Backend) Run(ctx context.Context, spec *core.ContainerSpec) (core.ContainerHandle, error) {
	if spec == nil {
		return core.ContainerHandle{}, core.InvalidArgument("spec", "is required")
	}
	b.mu.Lock()
	_, present := b.findImage(spec.Image)
	b.mu.Unlock()
	if !present {
		if err := b.PullImage(ctx, spec.Image); err != nil {
			return core.ContainerHandle{}, err
		}
	}
	h, err := b.Create(ctx, spec)
	if err != nil {
		return h, err
	}
	if err := b.Start(ctx, h.ID); err != nil {
		// A fresh context: the caller's may be what just failed.
		_ = b.Remove(context.WithoutCancel(ctx), h.ID, true)
		return core.ContainerHandle{}, err
	}
	return h, nil
}

func (b *Backend) Create(ctx context.Context, spec *core.ContainerSpec) (core.ContainerHandle, error) {
	if spec == nil {
		return core.ContainerHandle{}, core.InvalidArgument("spec", "is required")
	}
	if err := b.enter(ctx, "Create", spec.Image, spec.Name); err != nil {
		return core.ContainerHandle{}, err
	}
	defer b.mu.Unlock()
	if err := spec.Validate(); err != nil {
		return core.ContainerHandle{}, core.InvalidArgument("spec", "%s", err)
	}
	if _, ok := b.findImage(spec.Image); !ok {
		return core.ContainerHandle{}, core.NotFound("image", spec.Image)
	}
	name := spec.Name
	if name == "" {
		name = "fake_" + newID()[:12]
	}
	for _, c := range b.containers {
		if c.info.Name == name {
			return core.ContainerHandle{}, core.Errorf(core.KindBackendError, "container name %q is already in use by %s", name, c.info.ID[:12]).With("conflict", name)
		}
	}
	// Networks are given by name or id and reported by name, as Docker does;
	// an entry of Networks naming the primary network (which carries its
	// fixed address) is the same attachment, not a second one.
	var netNames, netIDs []string
	for _, n := range append([]string{spec.Network}, attachNames(spec.Networks)...) {
		if n == "" || strings.HasPrefix(n, "container:") || strings.HasPrefix(n, "service:") {
			if n != "" {
				netNames = append(netNames, n)
			}
			continue
		}
		nw, err := b.findNetwork(n)
		if err != nil {
			return core.ContainerHandle{}, err
		}
		if slices.Contains(netIDs, nw.ID) {
			continue
		}
		netNames, netIDs = append(netNames, nw.Name), append(netIDs, nw.ID)
	}
	ports, err := b.publish(spec.Ports)
	if err != nil {
		return core.ContainerHandle{}, err
	}
	mounts, err := b.mountPoints(spec)
	if err != nil {
		return core.ContainerHandle{}, err
	}
	id := newID()
	labels := map[string]string{}
	for k, v := range spec.Labels {
		labels[k] = v
	}
	now := b.Now()
	c := &container{
		spec:    *spec,
		created: now,
		exited:  make(chan struct{}),
		mounts:  mounts,
		netIDs:  netIDs,
		info: core.ContainerInfo{
			ID: id, Name: name, Image: spec.Image, Command: fakeCommand(spec), Status: "Created", State: "created",
			Ports: ports, Created: now.UTC().Format(time.RFC3339Nano),
			Labels: labels, Networks: netNames,
		},
	}
	b.containers[id] = c
	if img, _ := b.findImage(spec.Image); len(b.commits[img.ID].Files) > 0 {
		b.files[id] = maps.Clone(b.commits[img.ID].Files) // a committed image holds its container's files
	}
	return core.ContainerHandle{ID: id, Name: name}, nil
}

// publish reports ports as a runtime does (core.Port.Display), one entry
// per container port: a port without a host port gets the next free one
// from 32768, as an engine hands out ephemeral ports, and one container
// port with a host range takes the range's first port.
func (b *Backend) publish(specs []string) ([]string, error) {
	out := []string{}
	for i, s := range specs {
		p, err := core.ParsePort(s)
		if err != nil {
			return nil, core.InvalidArgument(fmt.Sprintf("ports[%d]", i), "%q: %v", s, err)
		}
		for k := range p.Container.Len() {
			c := p.Container.At(k)
			one := core.Port{HostIP: p.HostIP, Container: core.PortRange{Start: c, End: c}, Protocol: p.Protocol}
			h, ok := p.HostPort(k)
			switch {
			case ok:
			case !p.Host.IsZero():
				h = p.Host.Start
			default:
				if b.freePort < 32768 {
					b.freePort = 32767
				}
				b.freePort++
				h = b.freePort
			}
			one.Host = core.PortRange{Start: h, End: h}
			out = append(out, one.Display())
		}
	}
	core.SortPorts(out)
	return out, nil
}

func attachNames(a []core.NetworkAttach) []string {
	var out []string
	for _, n := range a {
		out = append(out, n.Name)
	}
	return out
}

// networkArg is how a call naming network ref is recorded (and matched by
// faults): a network given by id as "name@id", so that either matches it.
func (b *Backend) networkArg(ref string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n, ok := b.networks[ref]; ok {
		return n.Name + "@" + ref
	}
	return ref
}

// findNetwork finds a network by id or name; a name two networks share
// is ambiguous, as Docker says.
func (b *Backend) findNetwork(ref string) (core.NetworkInfo, error) {
	if n, ok := b.networks[ref]; ok {
		return n, nil
	}
	var found []core.NetworkInfo
	for _, n := range b.networks {
		if n.Name == ref {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		return core.NetworkInfo{}, core.NotFound("network", ref)
	case 1:
		return found[0], nil
	}
	return core.NetworkInfo{}, core.Errorf(core.KindBackendError, "network %s is ambiguous (%d matches found based on name)", ref, len(found))
}

func (b *Backend) Start(ctx context.Context, id string) error {
	if err := b.enter(ctx, "Start", id); err != nil {
		return err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return err
	}
	b.startLocked(c)
	return nil
}

// startLocked starts c unless it runs, with b.mu held.
func (b *Backend) startLocked(c *container) {
	if c.info.State == "running" {
		return
	}
	if c.info.State == "exited" {
		c.exited = make(chan struct{})
	}
	c.info.State, c.info.Status, c.info.ExitCode = "running", "Up", nil
	c.info.IPAddress = fmt.Sprintf("172.30.%d.%d", len(b.containers)/250, 2+len(b.containers)%250)
	b.applyHealth(c)
	argv := append(append([]string(nil), c.spec.Entrypoint...), c.spec.Cmd...)
	r := b.interpret(c, c.spec.Env, c.spec.Workdir, argv)
	c.stdout.WriteString(r.stdout)
	c.stderr.WriteString(r.stderr)
	if r.exits {
		b.exit(c, r.code)
	}
}

func (b *Backend) applyHealth(c *container) {
	c.info.Health = ""
	if c.info.State != "running" {
		return
	}
	if b.Health != nil {
		c.info.Health = b.Health(c.info)
		return
	}
	if hc := c.spec.Healthcheck; hc != nil && !hc.Disable && !(len(hc.Test) > 0 && hc.Test[0] == "NONE") {
		c.info.Health = b.evalHealth(c, hc.Test)
	}
}

// evalHealth runs a health command through the interpreter: an exit code
// of 0 is healthy, any other unhealthy; a command the interpreter does not
// run to an end (one it does not know) counts as healthy, as before.
func (b *Backend) evalHealth(c *container, test []string) string {
	var argv []string
	switch {
	case len(test) >= 2 && test[0] == "CMD-SHELL":
		argv = []string{"sh", "-c", test[1]}
	case len(test) >= 1 && test[0] == "CMD":
		argv = test[1:]
	default:
		argv = test
	}
	r := b.interpret(c, c.spec.Env, c.spec.Workdir, argv)
	if r.exits && r.code != 0 {
		return "unhealthy"
	}
	return "healthy"
}

// interpret runs argv in c with b.mu held: over c's files and those of the
// volumes it mounts, where its writes land.
func (b *Backend) interpret(c *container, env map[string]string, wd string, argv []string) result {
	files := b.filesOf(c)
	r := shell{env: env, wd: wd, files: files, modes: c.modes}.interpret(argv)
	b.storeFiles(c, files)
	return r
}

func (b *Backend) exit(c *container, code int) {
	if c.info.State != "running" {
		return
	}
	c.info.State, c.info.Status, c.info.Health = "exited", fmt.Sprintf("Exited (%d)", code), ""
	c.info.ExitCode = &code
	close(c.exited)
}

func (b *Backend) Stop(ctx context.Context, id string, timeout *int) error {
	if err := b.enter(ctx, "Stop", id, timeoutArg(timeout)); err != nil {
		return err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return err
	}
	b.exit(c, 137)
	return nil
}

// timeoutArg is how a call's stop timeout is recorded.
func timeoutArg(timeout *int) string {
	if timeout == nil {
		return "default"
	}
	return strconv.Itoa(*timeout)
}

// Kill: SIGKILL, SIGTERM and SIGINT end the fake's process (exit 128+n);
// any other signal is delivered to a process that ignores it.
func (b *Backend) Kill(ctx context.Context, id, signal string) error {
	sig, err := backend.CheckSignal(signal)
	if err != nil {
		return err
	}
	if err := b.enter(ctx, "Kill", id, sig); err != nil {
		return err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return err
	}
	if c.info.State != "running" {
		return core.Errorf(core.KindBackendError, "cannot kill container %s: container is not running", c.info.Name).With("id", id)
	}
	switch strings.TrimPrefix(sig, "SIG") {
	case "KILL", "9":
		b.exit(c, 137)
	case "TERM", "15":
		b.exit(c, 143)
	case "INT", "2":
		b.exit(c, 130)
	}
	return nil
}

func (b *Backend) Remove(ctx context.Context, id string, force bool) error {
	if err := b.enter(ctx, "Remove", id, strconv.FormatBool(force)); err != nil {
		return err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return err
	}
	if c.info.State == "running" && !force {
		return core.Errorf(core.KindBackendError, "cannot remove container %s: container is running: stop the container before removing or force remove", c.info.Name)
	}
	b.exit(c, 137)
	delete(b.containers, c.info.ID)
	delete(b.files, c.info.ID)
	b.releaseMounts(c) // as the engines' remove with volumes does
	return nil
}

func (b *Backend) Rename(ctx context.Context, id, newName string) error {
	if err := b.enter(ctx, "Rename", id, newName); err != nil {
		return err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return err
	}
	for _, o := range b.containers {
		if o != c && o.info.Name == newName {
			return core.Errorf(core.KindBackendError, "container name %q is already in use", newName)
		}
	}
	c.info.Name = newName
	return nil
}

func (b *Backend) snapshot(c *container) core.ContainerInfo {
	b.applyHealth(c)
	info := c.info
	info.Ports = append([]string{}, c.info.Ports...) // [] when nothing is published, as the runtimes report
	info.Labels = make(map[string]string, len(c.info.Labels))
	for k, v := range c.info.Labels {
		info.Labels[k] = v
	}
	return info
}

func (b *Backend) List(ctx context.Context, opts backend.ListOptions) ([]core.ContainerInfo, error) {
	if err := b.enter(ctx, "List", strconv.FormatBool(opts.All)); err != nil {
		return nil, err
	}
	defer b.mu.Unlock()
	out := []core.ContainerInfo{}
	for _, c := range b.containers {
		if !opts.All && c.info.State != "running" {
			continue
		}
		if !backend.MatchLabels(c.info.Labels, opts.Labels) {
			continue
		}
		out = append(out, b.snapshot(c))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (b *Backend) Inspect(ctx context.Context, id string) (core.ContainerInfo, error) {
	if err := b.enter(ctx, "Inspect", id); err != nil {
		return core.ContainerInfo{}, err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return core.ContainerInfo{}, err
	}
	return b.snapshot(c), nil
}

func tailLines(s string, n *int) string {
	if n == nil || *n < 0 {
		return s
	}
	lines := strings.SplitAfter(s, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	if *n < len(lines) {
		lines = lines[len(lines)-*n:]
	}
	return strings.Join(lines, "")
}

func (b *Backend) Logs(ctx context.Context, id string, opts backend.LogsOptions) (core.ContainerLogs, error) {
	if err := b.enter(ctx, "Logs", id); err != nil {
		return core.ContainerLogs{}, err
	}
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return core.ContainerLogs{}, err
	}
	return core.ContainerLogs{Stdout: tailLines(c.stdout.String(), opts.Tail), Stderr: tailLines(c.stderr.String(), opts.Tail)}, nil
}

func (b *Backend) FollowLogs(ctx context.Context, id string, opts backend.LogsOptions, stdout, stderr io.Writer) error {
	logs, err := b.Logs(ctx, id, opts)
	if err != nil {
		return err
	}
	_, _ = io.WriteString(stdout, logs.Stdout)
	_, _ = io.WriteString(stderr, logs.Stderr)
	b.mu.Lock()
	c, err := b.find(id)
	var done chan struct{}
	if err == nil {
		done = c.exited
	}
	b.mu.Unlock()
	if err != nil {
		return nil // removed meanwhile: the stream simply ends
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return nil
	}
}

func (b *Backend) Exec(ctx context.Context, id string, opts backend.ExecOptions) (core.ContainerLogs, error) {
	if err := b.enter(ctx, "Exec", append([]string{id}, opts.Cmd...)...); err != nil {
		return core.ContainerLogs{}, err
	}
	defer b.mu.Unlock()
	if err := opts.Validate(); err != nil {
		return core.ContainerLogs{}, err
	}
	c, err := b.find(id)
	if err != nil {
		return core.ContainerLogs{}, err
	}
	if c.info.State != "running" {
		// A conflict, as the Engine API answers (409).
		return core.ContainerLogs{}, core.Errorf(core.KindBackendError, "container %s is not running", c.info.Name).With("exitCode", 126).With("conflict", id)
	}
	if len(b.execs) >= maxCalls {
		b.execs = append([]Exec(nil), b.execs[maxCalls/2:]...)
	}
	rec := opts
	rec.Cmd, rec.Env, rec.Unset = slices.Clone(opts.Cmd), maps.Clone(opts.Env), slices.Clone(opts.Unset)
	b.execs = append(b.execs, Exec{Container: c.info.ID, Options: rec})
	env := map[string]string{}
	for k, v := range c.spec.Env {
		env[k] = v
	}
	for k, v := range opts.Env {
		env[k] = v
	}
	for _, k := range opts.Unset { // as the Docker engine removes a bare KEY
		delete(env, k)
	}
	wd := opts.Workdir
	if wd == "" {
		wd = c.spec.Workdir
	}
	if wd == "" {
		wd = "/"
	}
	r := b.interpret(c, env, wd, opts.Cmd)
	return core.ContainerLogs{Stdout: r.stdout, Stderr: r.stderr, ExitCode: &r.code}, nil
}

func (b *Backend) Wait(ctx context.Context, id string) (int, error) {
	if err := b.enter(ctx, "Wait", id); err != nil {
		return 0, err
	}
	c, err := b.find(id)
	if err != nil {
		b.mu.Unlock()
		return 0, err
	}
	// Like docker, waiting on a created container blocks until it runs and exits.
	done := c.exited
	b.mu.Unlock()
	select {
	case <-done:
	case <-ctx.Done():
		return 0, core.AsError(ctx.Err())
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if c.info.ExitCode == nil {
		return 0, nil
	}
	return *c.info.ExitCode, nil
}

func (b *Backend) Build(ctx context.Context, spec core.BuildSpec, image string) error {
	if err := b.enter(ctx, "Build", image, spec.Context); err != nil {
		return err
	}
	defer b.mu.Unlock()
	if err := core.ValidateBuild(spec, image); err != nil {
		return err
	}
	img := b.addImage(image)
	for _, ref := range spec.Tags { // more names of the same image
		tagged := b.addImage(ref)
		tagged.ID = img.ID
		b.images[imageKey(ref)] = tagged
	}
	return nil
}

func (b *Backend) PullImage(ctx context.Context, ref string) error {
	if err := b.enter(ctx, "PullImage", ref); err != nil {
		return err
	}
	defer b.mu.Unlock()
	if ref == "" {
		return core.InvalidArgument("reference", "is empty")
	}
	if _, ok := b.findImage(ref); !ok {
		b.addImage(ref)
	}
	return nil
}

func (b *Backend) ListImages(ctx context.Context) ([]core.ImageInfo, error) {
	if err := b.enter(ctx, "ListImages"); err != nil {
		return nil, err
	}
	defer b.mu.Unlock()
	out := []core.ImageInfo{}
	for _, img := range b.images {
		out = append(out, img)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Repository+out[i].Tag < out[j].Repository+out[j].Tag })
	return out, nil
}

func (b *Backend) InspectImage(ctx context.Context, ref string) (core.ImageInfo, error) {
	if err := b.enter(ctx, "InspectImage", ref); err != nil {
		return core.ImageInfo{}, err
	}
	defer b.mu.Unlock()
	img, ok := b.findImage(ref)
	if !ok {
		return core.ImageInfo{}, core.NotFound("image", ref)
	}
	return img, nil
}

func (b *Backend) RemoveImage(ctx context.Context, ref string, force bool) error {
	if err := b.enter(ctx, "RemoveImage", ref, strconv.FormatBool(force)); err != nil {
		return err
	}
	defer b.mu.Unlock()
	img, ok := b.findImage(ref)
	if !ok {
		return core.NotFound("image", ref)
	}
	if !force {
		for _, c := range b.containers {
			if found, _ := b.findImage(c.spec.Image); found == img {
				return core.Errorf(core.KindBackendError, "image %s is in use by container %s", ref, c.info.ID[:12])
			}
		}
	}
	for k, v := range b.images {
		if v == img {
			delete(b.images, k)
		}
	}
	return nil
}

func (b *Backend) CreateNetwork(ctx context.Context, name string, cfg core.NetworkConfig) error {
	if err := b.enter(ctx, "CreateNetwork", name); err != nil {
		return err
	}
	defer b.mu.Unlock()
	if err := core.ValidateNetwork(name, cfg); err != nil {
		return err
	}
	if _, err := b.findNetwork(name); err == nil && !b.DuplicateNetworkNames {
		return core.Errorf(core.KindBackendError, "network with name %s already exists", name).With("conflict", name)
	}
	driver := cfg.Driver
	if driver == "" {
		driver = "bridge"
	}
	id := newID()
	b.networks[id] = core.NetworkInfo{ID: id, Name: name, Driver: driver, Labels: copyMap(cfg.Labels)}
	b.netCfgs[id] = copyNetworkConfig(cfg)
	return nil
}

// NetworkConfig is the configuration network ref (a name or an id) was
// created with, for tests to check what reached the backend; false for a
// network that does not exist or that CreateNetwork did not make (bridge,
// host, none).
func (b *Backend) NetworkConfig(ref string) (core.NetworkConfig, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, err := b.findNetwork(ref)
	if err != nil {
		return core.NetworkConfig{}, false
	}
	cfg, ok := b.netCfgs[n.ID]
	return copyNetworkConfig(cfg), ok
}

// ContainerSpec is the spec container ref (an id, id prefix or name) was
// created with, for tests to check what reached the backend (a mount's
// subpath, say); false for a container that does not exist. Its mounts and
// networks are copies.
func (b *Backend) ContainerSpec(ref string) (core.ContainerSpec, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.find(ref)
	if err != nil {
		return core.ContainerSpec{}, false
	}
	spec := c.spec
	spec.Mounts, spec.Networks = slices.Clone(spec.Mounts), slices.Clone(spec.Networks)
	return spec, true
}

// copyNetworkConfig copies cfg's maps, pools and enable_ipv4, so neither
// the caller nor the backend sees the other's later changes.
func copyNetworkConfig(cfg core.NetworkConfig) core.NetworkConfig {
	cfg.Labels, cfg.Options = copyMap(cfg.Labels), copyMap(cfg.Options)
	if cfg.EnableIPv4 != nil {
		v := *cfg.EnableIPv4
		cfg.EnableIPv4 = &v
	}
	if cfg.IPAM != nil {
		ipam := *cfg.IPAM
		ipam.Options = copyMap(ipam.Options)
		ipam.Config = nil
		for _, p := range cfg.IPAM.Config {
			p.AuxAddresses = copyMap(p.AuxAddresses)
			ipam.Config = append(ipam.Config, p)
		}
		cfg.IPAM = &ipam
	}
	return cfg
}

func copyMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func (b *Backend) InspectNetwork(ctx context.Context, name string) (core.NetworkInfo, error) {
	if err := b.enter(ctx, "InspectNetwork", b.networkArg(name)); err != nil {
		return core.NetworkInfo{}, err
	}
	defer b.mu.Unlock()
	n, err := b.findNetwork(name)
	if err != nil {
		return core.NetworkInfo{}, err
	}
	n.Labels = copyMap(n.Labels)
	return n, nil
}

func (b *Backend) ListNetworks(ctx context.Context, labels map[string]string) ([]core.NetworkInfo, error) {
	if err := b.enter(ctx, "ListNetworks"); err != nil {
		return nil, err
	}
	defer b.mu.Unlock()
	out := []core.NetworkInfo{}
	for _, n := range b.networks {
		if backend.MatchLabels(n.Labels, labels) {
			n.Labels = copyMap(n.Labels)
			out = append(out, n)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

func (b *Backend) RemoveNetwork(ctx context.Context, name string) error {
	if err := b.enter(ctx, "RemoveNetwork", b.networkArg(name)); err != nil {
		return err
	}
	defer b.mu.Unlock()
	nw, err := b.findNetwork(name)
	if err != nil {
		return err
	}
	for _, c := range b.containers {
		for _, id := range c.netIDs {
			if id == nw.ID && c.info.State == "running" {
				return core.Errorf(core.KindBackendError, "network %s has active endpoints", name)
			}
		}
	}
	delete(b.networks, nw.ID)
	delete(b.netCfgs, nw.ID)
	return nil
}

func (b *Backend) CreateVolume(ctx context.Context, name string, cfg core.VolumeConfig) error {
	if err := b.enter(ctx, "CreateVolume", name); err != nil {
		return err
	}
	defer b.mu.Unlock()
	if err := core.ValidateVolume(name, cfg); err != nil {
		return err
	}
	if _, ok := b.volumes[name]; ok {
		return nil // docker: creating an existing volume is a no-op
	}
	driver := cfg.Driver
	if driver == "" {
		driver = "local"
	}
	b.volumes[name] = core.VolumeInfo{Name: name, Driver: driver, Mountpoint: "/var/lib/fake/volumes/" + name, Labels: copyMap(cfg.Labels)}
	return nil
}

func (b *Backend) InspectVolume(ctx context.Context, name string) (core.VolumeInfo, error) {
	if err := b.enter(ctx, "InspectVolume", name); err != nil {
		return core.VolumeInfo{}, err
	}
	defer b.mu.Unlock()
	v, ok := b.volumes[name]
	if !ok {
		return core.VolumeInfo{}, core.NotFound("volume", name)
	}
	v.Labels = copyMap(v.Labels)
	return v, nil
}

func (b *Backend) ListVolumes(ctx context.Context, labels map[string]string) ([]core.VolumeInfo, error) {
	if err := b.enter(ctx, "ListVolumes"); err != nil {
		return nil, err
	}
	defer b.mu.Unlock()
	out := []core.VolumeInfo{}
	for _, v := range b.volumes {
		if backend.MatchLabels(v.Labels, labels) {
			v.Labels = copyMap(v.Labels)
			out = append(out, v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (b *Backend) RemoveVolume(ctx context.Context, name string, force bool) error {
	if err := b.enter(ctx, "RemoveVolume", name); err != nil {
		return err
	}
	defer b.mu.Unlock()
	if _, ok := b.volumes[name]; !ok {
		return core.NotFound("volume", name)
	}
	if c := b.mountedBy(name); c != nil {
		return core.Errorf(core.KindBackendError, "remove %s: volume is in use - [%s]", name, c.info.ID)
	}
	delete(b.volumes, name)
	delete(b.volumeFiles, name)
	return nil
}

// fakeCommand is what a runtime would report: the entrypoint's executable,
// then its arguments and the command (the fake has no image defaults).
func fakeCommand(spec *core.ContainerSpec) string {
	argv := append(slices.Clone(spec.Entrypoint), spec.Cmd...)
	if len(argv) == 0 {
		return ""
	}
	return backend.Command(argv[0], argv[1:])
}
