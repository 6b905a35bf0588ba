package api

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/netip"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	units "github.com/docker/go-units"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Run creates and starts a container. If start fails the container is
// removed again, unlike `docker run`: a caller that gets an error has no
// handle to remove it by (the C API returns only the error), so Run leaves a
// started container or nothing.
func (b *Backend) Run(ctx context.Context, spec *core.ContainerSpec) (core.ContainerHandle, error) {
	h, err := b.Create(ctx, spec)
	if err != nil {
		return h, err
	}
	if err := b.Start(ctx, h.ID); err != nil {
		b.discard(ctx, h.ID)
		return core.ContainerHandle{}, err
	}
	return h, nil
}

// discard removes a container Create or Run made but could not finish, with
// its anonymous volumes, on a fresh context: the caller's may be what just
// failed.
func (b *Backend) discard(ctx context.Context, id string) {
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	_, _ = b.cli.ContainerRemove(cctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
}

// Create creates a container and connects it to every network of the spec,
// so it is complete before Start. If a connect fails, the container is
// removed again: Create either makes the whole container or nothing.
func (b *Backend) Create(ctx context.Context, spec *core.ContainerSpec) (core.ContainerHandle, error) {
	plan, err := b.plan(ctx, spec)
	if err != nil {
		return core.ContainerHandle{}, err
	}
	// Engines before API 1.44 look networks up only at start (and accept a
	// connect to a missing one); check first, so that Create fails as it
	// does on newer engines and in the fake, naming the network.
	for _, n := range plan.networks() {
		if _, err := b.cli.NetworkInspect(ctx, n, client.NetworkInspectOptions{}); err != nil {
			return core.ContainerHandle{}, b.engineError(err, "network", n)
		}
	}
	res, err := b.containerCreate(ctx, plan)
	if err != nil {
		return core.ContainerHandle{}, b.createError(err, spec)
	}
	for _, c := range plan.connect {
		_, err := b.cli.NetworkConnect(ctx, c.network, client.NetworkConnectOptions{Container: res.ID, EndpointConfig: c.endpoint})
		if err != nil {
			b.discard(ctx, res.ID)
			return core.ContainerHandle{}, b.engineError(err, "network", c.network)
		}
	}
	h := core.ContainerHandle{ID: res.ID, Name: spec.Name}
	if h.Name == "" {
		// The engine chose a name; one inspect tells it.
		if ins, err := b.cli.ContainerInspect(ctx, res.ID, client.ContainerInspectOptions{}); err == nil {
			h.Name = strings.TrimPrefix(ins.Container.Name, "/")
		}
	}
	return h, nil
}

// createError names the missing object of a failed create: the engine
// answers 404 both for a missing image and for a missing network.
func (b *Backend) createError(err error, spec *core.ContainerSpec) error {
	if cerrdefs.IsConflict(err) {
		return b.engineError(err, "container", spec.Name) // the name is taken
	}
	msg := engineMessage(err)
	if strings.Contains(msg, "network") {
		for _, n := range append([]string{spec.Network}, attachNames(spec.Networks)...) {
			if n != "" && strings.Contains(msg, n) {
				return b.engineError(err, "network", n)
			}
		}
	}
	return b.engineError(err, "image", spec.Image)
}

func attachNames(a []core.NetworkAttach) []string {
	out := make([]string, 0, len(a))
	for _, n := range a {
		out = append(out, n.Name)
	}
	return out
}

func (b *Backend) Start(ctx context.Context, id string) error {
	if err := requireID("container", id); err != nil {
		return err
	}
	_, err := b.cli.ContainerStart(ctx, id, client.ContainerStartOptions{})
	return b.engineError(err, "container", id)
}

// Stop stops a container; timeout is in seconds, nil for the container's
// own stop_timeout or the engine default. Stopping a stopped container is
// not an error.
func (b *Backend) Stop(ctx context.Context, id string, timeout *int) error {
	if err := requireID("container", id); err != nil {
		return err
	}
	_, err := b.cli.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: timeout})
	return b.engineError(err, "container", id)
}

// Kill sends a signal to the container's main process.
func (b *Backend) Kill(ctx context.Context, id, signal string) error {
	if err := requireID("container", id); err != nil {
		return err
	}
	sig, err := backend.CheckSignal(signal)
	if err != nil {
		return err
	}
	_, err = b.cli.ContainerKill(ctx, id, client.ContainerKillOptions{Signal: sig})
	return b.engineError(err, "container", id)
}

func (b *Backend) Remove(ctx context.Context, id string, force bool) error {
	if err := requireID("container", id); err != nil {
		return err
	}
	// With its anonymous volumes, as docker compose down does: nothing else
	// can name them, so they would be left behind. Named volumes stay.
	_, err := b.cli.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: force, RemoveVolumes: true})
	return b.engineError(err, "container", id)
}

func (b *Backend) Rename(ctx context.Context, id, newName string) error {
	if err := requireID("container", id); err != nil {
		return err
	}
	_, err := b.cli.ContainerRename(ctx, id, client.ContainerRenameOptions{NewName: newName})
	if err != nil && cerrdefs.IsConflict(err) {
		return b.engineError(err, "container", newName) // the name is taken
	}
	return b.engineError(err, "container", id)
}

// labelFilters renders a label filter: a "" value matches any value of the
// key, as backend.MatchLabels does.
func labelFilters(labels map[string]string) client.Filters {
	f := client.Filters{}
	for k, v := range labels {
		if v == "" {
			f.Add("label", k)
		} else {
			f.Add("label", k+"="+v)
		}
	}
	return f
}

func (b *Backend) List(ctx context.Context, opts backend.ListOptions) ([]core.ContainerInfo, error) {
	res, err := b.cli.ContainerList(ctx, client.ContainerListOptions{All: opts.All, Filters: labelFilters(opts.Labels)})
	if err != nil {
		return nil, b.engineError(err, "", "")
	}
	out := make([]core.ContainerInfo, 0, len(res.Items))
	for _, s := range res.Items {
		info := summaryInfo(s)
		b.fixContainer(&info)
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// summaryInfo converts a list entry. The list gives no exit code or health
// field on older engines, so both are read from the human status, which has
// carried them ("Exited (3) 2 seconds ago", "Up 1 minute (healthy)") since
// Docker 1.12.
func summaryInfo(s container.Summary) core.ContainerInfo {
	info := core.ContainerInfo{
		ID:      s.ID,
		Image:   s.Image,
		Command: s.Command, // the engine's own rendering (Docker's is what backend.Command writes)
		Status:  s.Status,
		State:   string(s.State),
		Created: time.Unix(s.Created, 0).UTC().Format(time.RFC3339),
		Labels:  s.Labels,
		Ports:   []string{},
	}
	if len(s.Names) > 0 {
		info.Name = strings.TrimPrefix(s.Names[0], "/")
	}
	if info.Labels == nil {
		info.Labels = map[string]string{}
	}
	for _, p := range s.Ports {
		info.Ports = append(info.Ports, formatPort(p.IP, p.PublicPort, p.PrivatePort, p.Type))
	}
	core.SortPorts(info.Ports)
	info.Ports = slices.Compact(info.Ports)
	health := ""
	if s.Health != nil {
		health = string(s.Health.Status)
	}
	info.Health = backend.Health(info.Running(), health, s.Status)
	if info.State == "exited" || info.State == "dead" {
		if code, ok := backend.ExitCode(s.Status); ok {
			info.ExitCode = &code
		}
	}
	if s.NetworkSettings != nil {
		info.Networks, info.IPAddress = networksOf(s.NetworkSettings.Networks, s.HostConfig.NetworkMode)
	}
	return info
}

// formatPort renders a port as `docker ps` does (core.Port.Display):
// "0.0.0.0:8080->80/tcp", "[::]:8080->80/tcp", or "80/tcp" when it is not
// published.
func formatPort(ip netip.Addr, public, private uint16, proto string) string {
	p := core.Port{HostIP: ip, Container: core.PortRange{Start: private, End: private}, Protocol: proto}
	if public != 0 {
		p.Host = core.PortRange{Start: public, End: public}
	}
	return p.Display()
}

// networksOf returns the sorted network names and the container's first
// address: that of its network mode's network when it has one, else the
// first address in name order.
func networksOf(eps map[string]*network.EndpointSettings, mode string) ([]string, string) {
	names := make([]string, 0, len(eps))
	for n := range eps {
		names = append(names, n)
	}
	sort.Strings(names)
	ip := ""
	if ep := eps[mode]; ep != nil && ep.IPAddress.IsValid() {
		ip = ep.IPAddress.String()
	}
	for _, n := range names {
		if ep := eps[n]; ip == "" && ep != nil && ep.IPAddress.IsValid() {
			ip = ep.IPAddress.String()
		}
	}
	if len(names) == 0 {
		names = nil
	}
	return names, ip
}

func (b *Backend) Inspect(ctx context.Context, id string) (core.ContainerInfo, error) {
	if err := requireID("container", id); err != nil {
		return core.ContainerInfo{}, err
	}
	res, err := b.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return core.ContainerInfo{}, b.engineError(err, "container", id)
	}
	info := inspectInfo(res.Container, time.Now())
	b.fixContainer(&info)
	return info, nil
}

// inspectInfo converts an inspect response; now dates the human status.
func inspectInfo(c container.InspectResponse, now time.Time) core.ContainerInfo {
	info := core.ContainerInfo{
		ID:      c.ID,
		Name:    strings.TrimPrefix(c.Name, "/"),
		Image:   c.Image,
		Command: backend.Command(c.Path, c.Args),
		Created: c.Created,
		Ports:   []string{},
		Labels:  map[string]string{},
	}
	if c.Config != nil {
		// Config.Image is the reference the container was created from;
		// c.Image is only the image ID.
		info.Image = c.Config.Image
		for k, v := range c.Config.Labels {
			info.Labels[k] = v
		}
	}
	if s := c.State; s != nil {
		info.State = string(s.Status)
		if s.Health != nil {
			info.Health = backend.Health(s.Running, string(s.Health.Status), "")
		}
		if s.Status == container.StateExited || s.Status == container.StateDead {
			code := s.ExitCode
			info.ExitCode = &code
		}
		info.Status = humanStatus(s, now)
	}
	if ns := c.NetworkSettings; ns != nil {
		ports := make([]string, 0, len(ns.Ports))
		for p, bs := range ns.Ports {
			if len(bs) == 0 {
				ports = append(ports, formatPort(netip.Addr{}, 0, p.Num(), string(p.Proto())))
			}
			for _, bnd := range bs {
				hp, _ := core.ParsePortRange(bnd.HostPort) // a range not yet resolved: its first port; "": none
				ports = append(ports, formatPort(bnd.HostIP, hp.Start, p.Num(), string(p.Proto())))
			}
		}
		core.SortPorts(ports)
		info.Ports = slices.Compact(ports)
		mode := ""
		if c.HostConfig != nil {
			mode = string(c.HostConfig.NetworkMode)
		}
		info.Networks, info.IPAddress = networksOf(ns.Networks, mode)
	}
	return info
}

// humanStatus is the engine's own status line (daemon State.String), which
// the inspect endpoint does not return but `docker ps` shows.
func humanStatus(s *container.State, now time.Time) string {
	since := func(ts string) string {
		t, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			return "?"
		}
		return units.HumanDuration(now.Sub(t))
	}
	switch {
	case s.Status == container.StateRemoving:
		return "Removal In Progress"
	case s.Dead:
		return "Dead"
	case s.Running && s.Paused:
		return "Up " + since(s.StartedAt) + " (Paused)"
	case s.Running && s.Restarting:
		return fmt.Sprintf("Restarting (%d) %s ago", s.ExitCode, since(s.FinishedAt))
	case s.Running && s.Health != nil && s.Health.Status != container.NoHealthcheck && s.Health.Status != "":
		h := string(s.Health.Status)
		if s.Health.Status == container.Starting {
			h = "health: starting"
		}
		return "Up " + since(s.StartedAt) + " (" + h + ")"
	case s.Running:
		return "Up " + since(s.StartedAt)
	case s.StartedAt == "" || strings.HasPrefix(s.StartedAt, "0001-01-01"):
		return "Created"
	case s.FinishedAt == "" || strings.HasPrefix(s.FinishedAt, "0001-01-01"):
		return ""
	}
	return fmt.Sprintf("Exited (%d) %s ago", s.ExitCode, since(s.FinishedAt))
}

// logsOptions maps LogsOptions; Since is checked here so that a bad value is
// the caller's InvalidArgument, not a client error.
func logsOptions(opts backend.LogsOptions, follow bool) (client.ContainerLogsOptions, error) {
	o := client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Timestamps: opts.Timestamps, Follow: follow}
	if opts.Tail != nil {
		if *opts.Tail < 0 {
			o.Tail = "all"
		} else {
			o.Tail = strconv.Itoa(*opts.Tail)
		}
	}
	if opts.Since != "" {
		if _, err := time.Parse(time.RFC3339Nano, opts.Since); err != nil {
			d, derr := time.ParseDuration(opts.Since)
			if derr != nil || d < 0 {
				return o, core.InvalidArgument("since", "%q is neither an RFC 3339 time nor a duration", opts.Since)
			}
		}
		o.Since = opts.Since
	}
	return o, nil
}

// isTTY reports whether a container's output is a raw TTY stream rather
// than the stdout/stderr multiplex.
func (b *Backend) isTTY(ctx context.Context, id string) (bool, error) {
	res, err := b.cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return false, b.engineError(err, "container", id)
	}
	return res.Container.Config != nil && res.Container.Config.Tty, nil
}

// Logs returns a container's output so far, stdout and stderr apart (a TTY
// container has one raw stream, returned as stdout). A Tail counts the lines
// of both streams together, in the order the engine logged them.
func (b *Backend) Logs(ctx context.Context, id string, opts backend.LogsOptions) (core.ContainerLogs, error) {
	var stdout, stderr bytes.Buffer
	if err := b.logs(ctx, id, opts, false, &stdout, &stderr); err != nil {
		return core.ContainerLogs{}, err
	}
	return core.ContainerLogs{Stdout: stdout.String(), Stderr: stderr.String()}, nil
}

// FollowLogs streams a container's output into stdout and stderr as it
// comes, until the container stops (the engine ends the stream) or ctx ends.
// Nothing is buffered beyond one frame.
func (b *Backend) FollowLogs(ctx context.Context, id string, opts backend.LogsOptions, stdout, stderr io.Writer) error {
	err := b.logs(ctx, id, opts, true, stdout, stderr)
	if ctx.Err() != nil && (err == nil || core.KindOf(err) == core.KindCancelled || core.KindOf(err) == core.KindTimeout) {
		return nil // the caller ended the stream: that is its normal end
	}
	return err
}

func (b *Backend) logs(ctx context.Context, id string, opts backend.LogsOptions, follow bool, stdout, stderr io.Writer) error {
	if err := requireID("container", id); err != nil {
		return err
	}
	o, err := logsOptions(opts, follow)
	if err != nil {
		return err
	}
	tty, err := b.isTTY(ctx, id)
	if err != nil {
		return err
	}
	if follow && b.followsFinished(ctx, id) {
		o.Follow = false // podman: see followsFinished
	}
	rc, err := b.cli.ContainerLogs(ctx, id, o)
	if err != nil {
		return b.engineError(err, "container", id)
	}
	defer rc.Close()
	if tty {
		_, err = io.Copy(stdout, rc)
	} else {
		_, err = stdcopy.StdCopy(stdout, stderr, rc)
	}
	if err != nil {
		if ctx.Err() != nil {
			return core.AsError(ctx.Err())
		}
		return b.engineError(err, "container", id)
	}
	return nil
}

// execEnv is an exec's environment as the Engine API takes it, after
// checking opts: KEY=VALUE, then each variable to remove bare ("KEY"), which
// the Docker engine removes from the command's environment. podman's API
// answers a bare one "badly formed", so it is refused here naming env.
func (b *Backend) execEnv(opts backend.ExecOptions) ([]string, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	if len(opts.Unset) > 0 && b.podman() {
		return nil, core.InvalidArgument("env", "%s without a value (removed from the command's environment) is not supported by podman's exec", opts.Unset[0]).
			With("field", "env").With("backend", b.name)
	}
	return envList(opts.Env, opts.Unset), nil
}

// Exec runs a command in a running container and returns its output and
// exit code. The command is an argv array: nothing goes through a shell.
func (b *Backend) Exec(ctx context.Context, id string, opts backend.ExecOptions) (core.ContainerLogs, error) {
	if err := requireID("container", id); err != nil {
		return core.ContainerLogs{}, err
	}
	env, err := b.execEnv(opts)
	if err != nil {
		return core.ContainerLogs{}, err
	}
	created, err := b.cli.ExecCreate(ctx, id, client.ExecCreateOptions{
		AttachStdout: true,
		AttachStderr: true,
		Cmd:          cloneStrings(opts.Cmd),
		Env:          env,
		WorkingDir:   opts.Workdir,
		User:         opts.User,
		Privileged:   opts.Privileged,
	})
	if err != nil {
		return core.ContainerLogs{}, b.fixExecError(b.engineError(err, "container", id), id)
	}
	att, err := b.cli.ExecAttach(ctx, created.ID, client.ExecAttachOptions{})
	if err != nil {
		return core.ContainerLogs{}, b.engineError(err, "container", id)
	}
	// A hijacked connection ignores ctx once established; close it when ctx
	// ends so a hung command cannot outlive its caller.
	stop := context.AfterFunc(ctx, att.Close)
	var stdout, stderr bytes.Buffer
	_, err = stdcopy.StdCopy(&stdout, &stderr, att.Reader)
	stop()
	att.Close()
	if ctx.Err() != nil {
		return core.ContainerLogs{}, core.AsError(ctx.Err())
	}
	if err != nil {
		return core.ContainerLogs{}, b.engineError(err, "container", id)
	}
	// The stream ends when the process closes its output, which can be a
	// moment before the engine records the exit code: poll briefly.
	for delay := time.Millisecond; ; delay = min(delay*2, 50*time.Millisecond) {
		ins, err := b.cli.ExecInspect(ctx, created.ID, client.ExecInspectOptions{})
		if err != nil {
			return core.ContainerLogs{}, b.engineError(err, "container", id)
		}
		if !ins.Running {
			code := ins.ExitCode
			return core.ContainerLogs{Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: &code}, nil
		}
		select {
		case <-ctx.Done():
			return core.ContainerLogs{}, core.AsError(ctx.Err())
		case <-time.After(delay):
		}
	}
}

// Wait blocks until the container is not running and returns its exit code.
// A container that is not running (created, or already exited) returns at
// once, as the engine's "not-running" condition does.
func (b *Backend) Wait(ctx context.Context, id string) (int, error) {
	if err := requireID("container", id); err != nil {
		return 0, err
	}
	res := b.cli.ContainerWait(ctx, id, client.ContainerWaitOptions{Condition: container.WaitConditionNotRunning})
	select {
	case r := <-res.Result:
		if r.Error != nil && r.Error.Message != "" {
			return int(r.StatusCode), (&core.Error{Kind: core.KindBackendError, Message: r.Error.Message}).With("backend", b.name).With("exitCode", int(r.StatusCode))
		}
		return int(r.StatusCode), nil
	case err := <-res.Error:
		return 0, b.engineError(err, "container", id)
	case <-ctx.Done():
		return 0, core.AsError(ctx.Err())
	}
}
