package detect

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/perryts/perry-container/core"
)

// probeResult is what one probe learnt. sel is set only when the candidate
// is usable under the requested strategy.
type probeResult struct {
	info core.BackendInfo
	sel  *Selection
}

// probeFunc checks one candidate. It must return promptly once ctx ends,
// although the detector does not rely on that (see runProbes).
type probeFunc func(ctx context.Context) probeResult

// prober holds what every probe shares: the system, its platform, the
// requested strategy ("" = choose) and, lazily, the home directory.
type prober struct {
	sys      System
	goos     string
	strategy string
}

// probeFor returns the probe of a canonical runtime name.
func (p *prober) probeFor(name string) probeFunc {
	switch name {
	case AppleContainer:
		return p.apple
	case OrbStack:
		return p.orbstack
	case Colima:
		return p.colima
	case RancherDesktop:
		return p.rancher
	case Lima:
		return p.lima
	case Podman:
		return p.podman
	case Nerdctl:
		return p.nerdctl
	case Docker:
		return p.docker
	}
	return func(context.Context) probeResult {
		return unavailable(name, "unknown backend")
	}
}

// outcome gathers both ways of reaching a runtime; decide turns it into a
// probeResult under the requested strategy.
type outcome struct {
	name    string
	version string
	// CLI route: usable when cliOK; bin is the executable the CLI backend runs.
	bin      string
	cliOK    bool
	cliWhy   string
	instance string // lima
	// API route: api is a Docker host URL that answered /_ping.
	api    string
	apiWhy string
	// host, when set, is the daemon the CLI route talks to (mode only).
	host string
}

func (p *prober) decide(o outcome) probeResult {
	if o.cliWhy == "" {
		o.cliWhy = "no usable " + o.name + " CLI"
	}
	if o.apiWhy == "" {
		o.apiWhy = "no reachable Docker API socket"
	}
	fail := func(reason string) probeResult {
		r := unavailable(o.name, reason)
		r.info.Mode = modeOf(o.host)
		return r
	}
	useAPI := false
	switch p.strategy {
	case StrategyAPI:
		if o.api == "" {
			return fail(fmt.Sprintf("%s=api, but %s", EnvStrategy, o.apiWhy))
		}
		useAPI = true
	case StrategyCLI:
		if !o.cliOK {
			return fail(fmt.Sprintf("%s=cli, but %s", EnvStrategy, o.cliWhy))
		}
	default:
		switch {
		case o.api != "":
			useAPI = true
		case !o.cliOK:
			return fail(o.apiWhy + "; " + o.cliWhy)
		}
	}
	sel := &Selection{Driver: o.name, Bin: o.bin, Instance: o.instance}
	endpointHost := o.host
	if useAPI {
		sel.Strategy, sel.Host, endpointHost = StrategyAPI, o.api, o.api
	} else {
		sel.Strategy, sel.Host = StrategyCLI, o.host
	}
	sel.Info = core.BackendInfo{
		Name:           o.name,
		Available:      true,
		Version:        o.version,
		Mode:           modeOf(endpointHost),
		IsolationLevel: IsolationFor(o.name),
		Strategy:       sel.Strategy,
		Endpoint:       o.bin,
	}
	if useAPI {
		sel.Info.Endpoint = o.api
	}
	return probeResult{info: sel.Info, sel: sel}
}

// unavailable builds the result of a failed probe. The reason is never
// empty: Property 11 requires one for every unavailable candidate.
func unavailable(name, reason string) probeResult {
	if reason == "" {
		reason = "not available"
	}
	return probeResult{info: core.BackendInfo{
		Name:           name,
		Available:      false,
		Reason:         reason,
		Mode:           ModeLocal,
		IsolationLevel: IsolationFor(name),
	}}
}

// ---- shared steps -------------------------------------------------------

// run executes argv and fails unless it exits 0; the error quotes the
// command and the first line of its stderr, since that becomes a reason.
func (p *prober) run(ctx context.Context, argv ...string) (stdout, stderr []byte, err error) {
	stdout, stderr, code, err := p.sys.Run(ctx, argv)
	cmd := "`" + strings.Join(append([]string{filepath.Base(argv[0])}, argv[1:]...), " ") + "`"
	if err != nil {
		return stdout, stderr, fmt.Errorf("%s: %w", cmd, err)
	}
	if code != 0 {
		msg := firstLine(stderr)
		if msg == "" {
			msg = firstLine(stdout)
		}
		if msg != "" {
			return stdout, stderr, fmt.Errorf("%s exited with code %d: %s", cmd, code, msg)
		}
		return stdout, stderr, fmt.Errorf("%s exited with code %d", cmd, code)
	}
	return stdout, stderr, nil
}

// cliVersion runs `bin --version` (installed means it answers with exit
// code 0) and extracts the version number.
func (p *prober) cliVersion(ctx context.Context, bin string) (string, error) {
	out, errOut, err := p.run(ctx, bin, "--version")
	if err != nil {
		return "", err
	}
	return parseVersion(string(out) + "\n" + string(errOut)), nil
}

var versionRE = regexp.MustCompile(`\bv?(\d+\.\d+(?:\.\d+)?(?:[-+][0-9A-Za-z.\-+]*)?)`)

// parseVersion picks the first dotted number out of a `--version` banner
// ("Docker version 28.2.2, build e6534b4" → "28.2.2"); if there is none it
// keeps the first line rather than lose the information.
func parseVersion(s string) string {
	if m := versionRE.FindStringSubmatch(s); m != nil {
		return m[1]
	}
	return firstLine([]byte(s))
}

func firstLine(b []byte) string {
	s := strings.TrimSpace(string(b))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = strings.TrimSpace(s[:i])
	}
	return s
}

// api checks a Docker-compatible API endpoint: the socket must accept a
// connection and answer GET /_ping. The two steps give
// distinct reasons: a missing socket vs. a socket that is not a Docker API
// (Rancher Desktop leaves ~/.rd/docker.sock behind in containerd mode).
func (p *prober) api(ctx context.Context, host string) (version string, err error) {
	network, addr, err := hostAddr(host)
	if err != nil {
		return "", err
	}
	conn, err := p.sys.Dial(ctx, network, addr)
	if err != nil {
		return "", fmt.Errorf("%s does not accept connections: %w", host, err)
	}
	_ = conn.Close()
	v, err := p.sys.PingDocker(ctx, host)
	if err != nil {
		return "", fmt.Errorf("%s accepts connections but does not answer /_ping: %w", host, err)
	}
	return v, nil
}

// firstAPI returns the first host that answers, or the joined reasons.
func (p *prober) firstAPI(ctx context.Context, hosts ...string) (host, version, why string) {
	var whys []string
	for _, h := range hosts {
		v, err := p.api(ctx, h)
		if err == nil {
			return h, v, ""
		}
		whys = append(whys, err.Error())
		if ctx.Err() != nil {
			break
		}
	}
	if len(whys) == 0 {
		return "", "", "no Docker API socket known"
	}
	return "", "", strings.Join(whys, "; ")
}

func (p *prober) home() (string, error) {
	h, err := p.sys.HomeDir()
	if err == nil && h == "" {
		err = errors.New("empty home directory")
	}
	if err != nil {
		return "", fmt.Errorf("cannot locate the home directory: %w", err)
	}
	return h, nil
}

// dockerCLIFor finds a docker CLI that talks to host. The CLI backend runs
// `docker …` with the user's own DOCKER_HOST/context, so a docker CLI only
// reaches OrbStack, Colima or Rancher Desktop when that resolution lands on
// their socket; otherwise the CLI route would silently drive another engine.
func (p *prober) dockerCLIFor(host string, extra ...string) (bin, why string) {
	for _, name := range append([]string{"docker"}, extra...) {
		if b, err := p.sys.LookPath(name); err == nil {
			bin = b
			break
		}
	}
	if bin == "" {
		return "", "docker CLI not found in PATH"
	}
	resolved, source, err := DockerHost(p.sys)
	if err != nil {
		return "", err.Error()
	}
	if resolved != host {
		return "", fmt.Sprintf("the docker CLI targets %s (%s), not %s", resolved, source, host)
	}
	return bin, ""
}

// ---- the runtimes -------------------------------------------------------

// apple/container: the `container` CLI, whose services must be started
// (`container system status` exits 1 when they are down).
func (p *prober) apple(ctx context.Context) probeResult {
	bin, err := p.sys.LookPath("container")
	if err != nil {
		return unavailable(AppleContainer, "container CLI not found in PATH")
	}
	// `container --version` exists only on some releases (newer ones use
	// `container system version`), so the version is best effort and the
	// status call decides availability.
	version, _ := p.cliVersion(ctx, bin)
	if _, _, err := p.run(ctx, bin, "system", "status"); err != nil {
		return unavailable(AppleContainer, fmt.Sprintf("apple/container services are not running (%v); start them with `container system start`", err))
	}
	return p.decide(outcome{name: AppleContainer, version: version, bin: bin, cliOK: true,
		apiWhy: "apple/container has no Docker API socket"})
}

// OrbStack is a real dockerd behind ~/.orbstack/run/docker.sock; its CLIs
// (orbctl, orb) only tell whether it is installed and running.
func (p *prober) orbstack(ctx context.Context) probeResult {
	home, err := p.home()
	if err != nil {
		return unavailable(OrbStack, err.Error())
	}
	host := unixHost(filepath.Join(home, ".orbstack", "run", "docker.sock"))
	version, apiErr := p.api(ctx, host)
	if apiErr != nil {
		ctl, lerr := p.sys.LookPath("orbctl")
		if lerr != nil {
			ctl, lerr = p.sys.LookPath("orb")
		}
		if lerr != nil {
			return unavailable(OrbStack, "OrbStack not found (no orbctl or orb in PATH, and "+apiErr.Error()+")")
		}
		status := "not running"
		if out, _, err := p.run(ctx, ctl, "status"); err == nil && firstLine(out) != "" {
			status = firstLine(out)
		}
		return unavailable(OrbStack, fmt.Sprintf("OrbStack is installed but not usable (orbctl status: %s; %v)", status, apiErr))
	}
	bin, why := p.dockerCLIFor(host, filepath.Join(home, ".orbstack", "bin", "docker"))
	return p.decide(outcome{name: OrbStack, version: version, api: host, bin: bin, cliOK: bin != "", cliWhy: why, host: host})
}

// colimaStatus is the subset of `colima status --json` we use.
type colimaStatus struct {
	Runtime      string `json:"runtime"`
	DockerSocket string `json:"docker_socket"`
}

// Colima: `colima status --json` exits 0 only while the VM runs
// (a stopped VM has no engine to talk to); its docker runtime exposes a Docker socket.
func (p *prober) colima(ctx context.Context) probeResult {
	bin, err := p.sys.LookPath("colima")
	if err != nil {
		return unavailable(Colima, "colima not found in PATH")
	}
	version, _ := p.cliVersion(ctx, bin)
	var st colimaStatus
	out, errOut, err := p.run(ctx, bin, "status", "--json")
	switch {
	case err == nil:
		if jerr := json.Unmarshal(bytes.TrimSpace(out), &st); jerr != nil {
			return unavailable(Colima, fmt.Sprintf("cannot read `colima status --json`: %v", jerr))
		}
	case bytes.Contains(errOut, []byte("unknown flag")):
		// Colima before --json: the status is logrus text on stderr.
		out2, errOut2, err2 := p.run(ctx, bin, "status")
		text := string(out2) + string(errOut2)
		if err2 != nil || !strings.Contains(text, "is running") {
			return unavailable(Colima, "colima is not running (`colima status`); start it with `colima start`")
		}
		st.Runtime = "docker"
	default:
		return unavailable(Colima, fmt.Sprintf("colima is not running (%v); start it with `colima start`", err))
	}
	if st.Runtime != "" && st.Runtime != "docker" {
		return unavailable(Colima, fmt.Sprintf("colima runs the %s runtime; perry-container reaches Colima through its docker runtime (`colima start --runtime docker`)", st.Runtime))
	}
	host := st.DockerSocket
	if host == "" {
		home, herr := p.home()
		if herr != nil {
			return unavailable(Colima, herr.Error())
		}
		host = unixHost(filepath.Join(home, ".colima", "default", "docker.sock"))
	}
	o := outcome{name: Colima, version: version, host: host}
	if v, err := p.api(ctx, host); err == nil {
		o.api = host
		if o.version == "" {
			o.version = v
		}
	} else {
		o.apiWhy = err.Error()
	}
	o.bin, o.cliWhy = p.dockerCLIFor(host)
	o.cliOK = o.bin != ""
	return p.decide(o)
}

// Rancher Desktop: with moby, ~/.rd/docker.sock is a Docker API (pinged, not
// stat'ed: the file survives in containerd mode, RD#5641); with containerd,
// ~/.rd/bin/nerdctl is a wrapper into its VM, whose containerd socket lives
// inside the VM, so the wrapper answering `nerdctl info` is the check.
func (p *prober) rancher(ctx context.Context) probeResult {
	home, err := p.home()
	if err != nil {
		return unavailable(RancherDesktop, err.Error())
	}
	host := unixHost(filepath.Join(home, ".rd", "docker.sock"))
	o := outcome{name: RancherDesktop}
	var apiVersion string
	if p.strategy != StrategyCLI {
		if v, err := p.api(ctx, host); err == nil {
			o.api, o.host, apiVersion = host, host, v
		} else {
			o.apiWhy = err.Error()
		}
	}
	nerd, err := p.sys.LookPath(filepath.Join(home, ".rd", "bin", "nerdctl"))
	switch {
	case err != nil:
		o.cliWhy = "~/.rd/bin/nerdctl not found"
	case o.api != "":
		// The API route wins; spare the VM round trip of the wrapper.
		o.bin = nerd
	default:
		o.bin = nerd
		o.version, _ = p.cliVersion(ctx, nerd)
		if _, _, err := p.run(ctx, nerd, "info"); err != nil {
			o.cliWhy = "Rancher Desktop's containerd is not reachable (" + err.Error() + ")"
		} else {
			o.cliOK = true
		}
	}
	if o.version == "" {
		o.version = apiVersion
	}
	return p.decide(o)
}

// limaInstance is the subset of a `limactl list --json` record we use.
type limaInstance struct {
	Name   string `json:"name"`
	Status string `json:"status"`
}

// Lima: containers run through `limactl shell INST nerdctl`, so a Running
// instance is required. "default" is preferred, as
// limactl itself does when no instance is named.
func (p *prober) lima(ctx context.Context) probeResult {
	bin, err := p.sys.LookPath("limactl")
	if err != nil {
		return unavailable(Lima, "limactl not found in PATH")
	}
	version, err := p.cliVersion(ctx, bin)
	if err != nil {
		return unavailable(Lima, err.Error())
	}
	out, _, err := p.run(ctx, bin, "list", "--json")
	if err != nil {
		return unavailable(Lima, err.Error())
	}
	insts, err := decodeRecords[limaInstance](out)
	if err != nil {
		return unavailable(Lima, fmt.Sprintf("cannot read `limactl list --json`: %v", err))
	}
	instance := ""
	var seen []string
	for _, in := range insts {
		seen = append(seen, in.Name+" "+in.Status)
		if in.Status == "Running" && (instance == "" || in.Name == "default") {
			instance = in.Name
		}
	}
	if instance == "" {
		if len(seen) == 0 {
			return unavailable(Lima, "no Lima instance exists (`limactl start`)")
		}
		return unavailable(Lima, "no running Lima instance ("+strings.Join(seen, ", ")+")")
	}
	return p.decide(outcome{name: Lima, version: version, bin: bin, cliOK: true, instance: instance,
		apiWhy: "Lima is reached through `limactl shell`, not a Docker API"})
}

// podmanMachine is the subset of `podman machine list --format json` we use.
type podmanMachine struct {
	Name    string `json:"Name"`
	Running bool   `json:"Running"`
}

// Podman: the CLI must answer --version. On macOS and Windows it drives a VM,
// so a machine must be running (Windows has the same machine model). Its Docker-compatible API socket is used when it answers.
func (p *prober) podman(ctx context.Context) probeResult {
	bin, err := p.sys.LookPath("podman")
	if err != nil {
		return unavailable(Podman, "podman not found in PATH")
	}
	version, err := p.cliVersion(ctx, bin)
	if err != nil {
		return unavailable(Podman, err.Error())
	}
	machine := ""
	if p.goos == "darwin" || p.goos == "ios" || p.goos == "windows" {
		out, _, err := p.run(ctx, bin, "machine", "list", "--format", "json")
		if err != nil {
			return unavailable(Podman, err.Error())
		}
		ms, err := decodeRecords[podmanMachine](out)
		if err != nil {
			return unavailable(Podman, fmt.Sprintf("cannot read `podman machine list --format json`: %v", err))
		}
		for _, m := range ms {
			if m.Running {
				machine = m.Name
				break
			}
		}
		if machine == "" {
			return unavailable(Podman, "no running podman machine (`podman machine start`)")
		}
	}
	o := outcome{name: Podman, version: version, bin: bin, cliOK: true}
	if p.strategy != StrategyCLI {
		o.api, _, o.apiWhy = p.firstAPI(ctx, p.podmanSockets(ctx, bin, machine)...)
	}
	return p.decide(o)
}

// podmanSockets lists where podman's API may listen, most specific first:
// CONTAINER_HOST (podman's own override) when it is a socket we can dial;
// the running machine's socket; on Linux the rootless then rootful service.
func (p *prober) podmanSockets(ctx context.Context, bin, machine string) []string {
	var hosts []string
	if h := p.sys.Getenv("CONTAINER_HOST"); h != "" && scheme(h) != "ssh" {
		hosts = append(hosts, h)
	}
	switch {
	case machine != "" && p.goos == "windows":
		if out, _, err := p.run(ctx, bin, "machine", "inspect", "--format", "{{.ConnectionInfo.PodmanPipe.Path}}", machine); err == nil {
			if path := firstLine(out); path != "" && path != "<nil>" {
				hosts = append(hosts, "npipe://"+filepath.ToSlash(path))
			}
		}
	case machine != "":
		if out, _, err := p.run(ctx, bin, "machine", "inspect", "--format", "{{.ConnectionInfo.PodmanSocket.Path}}", machine); err == nil {
			if path := firstLine(out); path != "" && path != "<nil>" {
				hosts = append(hosts, unixHost(path))
			}
		}
	default:
		if dir := p.sys.Getenv("XDG_RUNTIME_DIR"); dir != "" {
			hosts = append(hosts, unixHost(filepath.Join(dir, "podman", "podman.sock")))
		}
		hosts = append(hosts, "unix:///run/podman/podman.sock")
	}
	return hosts
}

// nerdctl talks to containerd directly and has no Docker API. `--version`
// proves the CLI; `nerdctl info` proves containerd answers, without which
// nerdctl would be "installed" yet useless and would shadow docker.
func (p *prober) nerdctl(ctx context.Context) probeResult {
	bin, err := p.sys.LookPath("nerdctl")
	if err != nil {
		return unavailable(Nerdctl, "nerdctl not found in PATH")
	}
	version, err := p.cliVersion(ctx, bin)
	if err != nil {
		return unavailable(Nerdctl, err.Error())
	}
	if _, _, err := p.run(ctx, bin, "info"); err != nil {
		return unavailable(Nerdctl, "containerd is not reachable ("+err.Error()+")")
	}
	return p.decide(outcome{name: Nerdctl, version: version, bin: bin, cliOK: true,
		apiWhy: "nerdctl has no Docker API socket"})
}

// docker: the engine the docker CLI itself would use (DOCKER_HOST, then the
// docker context, then the default socket). The API route needs that host to
// answer /_ping; the CLI route needs the docker CLI, and `docker version`
// when the API did not already prove the daemon answers. An engine whose
// socket answers is usable even without the CLI (a container with the
// socket mounted), through the API.
func (p *prober) docker(ctx context.Context) probeResult {
	bin, lerr := p.sys.LookPath("docker")
	o := outcome{name: Docker}
	host, source, err := DockerHost(p.sys)
	if err != nil {
		return unavailable(Docker, err.Error())
	}
	o.host = host
	var apiVersion string
	if p.strategy != StrategyCLI {
		hosts := []string{host}
		if source == SourceDefault && (p.goos == "darwin" || p.goos == "ios") {
			// Docker Desktop without its privileged helper has no
			// /var/run/docker.sock symlink, only the per-user socket.
			if home, err := p.home(); err == nil {
				hosts = append(hosts, unixHost(filepath.Join(home, ".docker", "run", "docker.sock")))
			}
		}
		o.api, apiVersion, o.apiWhy = p.firstAPI(ctx, hosts...)
		if o.apiWhy != "" {
			o.apiWhy = "docker host from " + source + ": " + o.apiWhy
		}
	}
	// The CLI matters only when the API route did not answer or the CLI
	// strategy is asked for: then its version is the one to report. When the
	// engine's socket answered, the engine's version is what the library talks
	// to, and sparing a CLI process keeps detection within a few ms.
	if lerr != nil {
		o.cliWhy = "docker CLI not found in PATH"
	} else if o.api != "" && p.strategy != StrategyCLI {
		o.bin = bin
	} else {
		o.bin = bin
		v, err := p.cliVersion(ctx, bin)
		if err != nil {
			o.bin, o.cliWhy = "", err.Error()
		}
		o.version = v
	}
	if o.bin != "" && p.strategy != StrategyAPI {
		switch {
		case o.api == host:
			o.cliOK = true // the CLI resolves the same host, which answered
		case o.api != "" && p.strategy == "":
			// The API route wins anyway; spare the daemon round trip.
		default:
			if _, _, err := p.run(ctx, o.bin, "version", "--format", "{{.Server.Version}}"); err != nil {
				o.cliWhy = "the docker daemon does not answer (" + err.Error() + ")"
			} else {
				o.cliOK = true
			}
		}
	}
	if o.version == "" {
		o.version = apiVersion
	}
	if o.api != "" && o.api != host {
		o.host = o.api
	}
	return p.decide(o)
}

// remotePodman is server-first's probe of a remote CONTAINER_HOST: a tcp
// host through the API, an ssh host through podman-remote, which (unlike
// podman) honours CONTAINER_HOST without extra flags.
func (p *prober) remotePodman(host string) probeFunc {
	return func(ctx context.Context) probeResult {
		o := outcome{name: Podman, host: host}
		if scheme(host) == "ssh" {
			o.apiWhy = "ssh hosts are reached through the podman-remote CLI"
			bin, err := p.sys.LookPath("podman-remote")
			if err != nil {
				o.cliWhy = "CONTAINER_HOST " + host + " is an ssh host and podman-remote is not in PATH"
			} else if out, _, err := p.run(ctx, bin, "version", "--format", "{{.Server.Version}}"); err != nil {
				o.cliWhy = "CONTAINER_HOST " + host + ": " + err.Error()
			} else {
				o.bin, o.cliOK, o.version = bin, true, firstLine(out)
			}
		} else {
			o.cliWhy = "the podman CLI does not use CONTAINER_HOST without --remote"
			if v, err := p.api(ctx, host); err != nil {
				o.apiWhy = "CONTAINER_HOST " + host + ": " + err.Error()
			} else {
				o.api, o.version = host, v
			}
		}
		r := p.decide(o)
		if r.sel == nil {
			r.info.Endpoint = host // say which remote failed
		}
		return r
	}
}

// decodeRecords reads NDJSON (limactl) or a JSON array (podman), or a
// mixture, into records. Empty input is no records.
func decodeRecords[T any](data []byte) ([]T, error) {
	var out []T
	dec := json.NewDecoder(bufio.NewReader(bytes.NewReader(data)))
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return out, err
		}
		raw = bytes.TrimSpace(raw)
		if len(raw) > 0 && raw[0] == '[' {
			var many []T
			if err := json.Unmarshal(raw, &many); err != nil {
				return out, err
			}
			out = append(out, many...)
			continue
		}
		var one T
		if err := json.Unmarshal(raw, &one); err != nil {
			return out, err
		}
		out = append(out, one)
	}
}
