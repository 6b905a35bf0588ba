package api

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/perryts/perry-container/core"
)

// createPlan is what Create sends: the create request, then the networks to
// connect before the container starts. Engines before API 1.44 accept only
// one network in the create request, so every further network is a
// separate connect call.
type createPlan struct {
	opts    client.ContainerCreateOptions
	connect []connectRequest
	// legacyMAC is the container's MAC address for an engine before API
	// 1.44, which takes it only as Config.MacAddress; the client's
	// container.Config no longer has that field, so such a request is sent
	// by hand (legacyCreate). "" otherwise: newer engines take the address
	// on the primary network's endpoint, in opts.
	legacyMAC string
}

// networks are the user-defined networks the plan attaches to (not the
// modes host, none, container:… or the default network).
func (p *createPlan) networks() []string {
	var out []string
	if p.opts.NetworkingConfig != nil {
		for n := range p.opts.NetworkingConfig.EndpointsConfig {
			out = append(out, n)
		}
	}
	for _, c := range p.connect {
		out = append(out, c.network)
	}
	return out
}

type connectRequest struct {
	network  string
	endpoint *network.EndpointSettings
}

// plan is the create request for spec to this engine: planCreate at the
// engine's API version, and what podman's Docker-compatible API would take
// and then ignore refused.
func (b *Backend) plan(ctx context.Context, spec *core.ContainerSpec) (*createPlan, error) {
	version, err := b.apiVersion(ctx)
	if err != nil {
		return nil, err
	}
	p, err := planCreate(spec, version)
	if err != nil {
		return nil, err
	}
	if b.podman() {
		if len(spec.UnsetEnv) > 0 {
			// It fills a bare KEY from its own service's environment, or
			// leaves the image's value: nothing removes it.
			return nil, b.podmanRefuses("unset_env", spec.UnsetEnv[0]+": compose's environment entry without a value",
				"cannot remove a variable the image sets")
		}
		if len(spec.DeviceRequests) > 0 {
			// Its create answers 201 and runs the container without them.
			return nil, b.podmanRefuses("device_requests", "compose's gpus and deploy.resources.reservations.devices",
				"would run the container without the devices")
		}
		for i, m := range spec.Mounts {
			if m.Subpath != "" {
				// Its create answers 201 and mounts the whole volume.
				return nil, b.podmanRefuses(fmt.Sprintf("mounts[%d].subpath", i), "compose's volumes[].volume.subpath", "mounts the whole volume")
			}
		}
	}
	return p, nil
}

// planCreate maps every field of spec onto the Engine API's create request.
// apiVersion is the negotiated version; fields it cannot express are
// InvalidArgument naming the field. It does no I/O except reading a seccomp
// profile file, as the docker CLI does.
func planCreate(spec *core.ContainerSpec, apiVersion string) (*createPlan, error) {
	if spec == nil {
		return nil, core.InvalidArgument("spec", "is required")
	}
	if err := spec.Validate(); err != nil {
		return nil, core.InvalidArgument("spec", "%s", err)
	}
	cfg := &container.Config{
		Image:      spec.Image,
		Hostname:   spec.Hostname,
		Domainname: spec.Domainname,
		User:       spec.User,
		WorkingDir: spec.Workdir,
		Tty:        spec.Tty,
		OpenStdin:  spec.StdinOpen,
		Env:        envList(spec.Env, spec.UnsetEnv),
		Cmd:        cloneStrings(spec.Cmd),
		Entrypoint: cloneStrings(spec.Entrypoint),
		Labels:     cloneMap(spec.Labels),
		StopSignal: spec.StopSignal,
	}
	hc := &container.HostConfig{
		AutoRemove:     spec.Rm,
		ReadonlyRootfs: spec.ReadOnly,
		Privileged:     spec.Privileged,
		CapAdd:         cloneStrings(spec.CapAdd),
		CapDrop:        cloneStrings(spec.CapDrop),
		DNSSearch:      cloneStrings(spec.DNSSearch),
		DNSOptions:     cloneStrings(spec.DNSOpt),
		PidMode:        container.PidMode(spec.Pid),
		IpcMode:        container.IpcMode(spec.Ipc),
		Sysctls:        cloneMap(spec.Sysctls),
		ShmSize:        spec.ShmSize,
		LogConfig:      container.LogConfig{Type: spec.LogDriver, Config: cloneMap(spec.LogOpts)},
	}
	if spec.StopTimeout != nil {
		t := *spec.StopTimeout
		cfg.StopTimeout = &t
	}

	// Ports and expose.
	exposed, bindings, err := parsePorts(spec.Ports)
	if err != nil {
		return nil, err
	}
	for i, e := range spec.Expose {
		ports, err := parseExpose(e)
		if err != nil {
			return nil, core.InvalidArgument(fmt.Sprintf("expose[%d]", i), "%q: %v", e, err)
		}
		for _, p := range ports {
			exposed[p] = struct{}{}
		}
	}
	if len(exposed) > 0 {
		cfg.ExposedPorts = exposed
	}
	if len(bindings) > 0 {
		hc.PortBindings = bindings
	}

	// Volumes ("src:dst[:mode]") and long-form mounts.
	for i, v := range spec.Volumes {
		bind, anon, err := parseVolume(v)
		if err != nil {
			return nil, core.InvalidArgument(fmt.Sprintf("volumes[%d]", i), "%q: %v", v, err)
		}
		if anon != "" {
			if cfg.Volumes == nil {
				cfg.Volumes = map[string]struct{}{}
			}
			cfg.Volumes[anon] = struct{}{}
		} else {
			hc.Binds = append(hc.Binds, bind)
		}
	}
	for i, m := range spec.Mounts {
		if m.Subpath != "" && apiVersion != "" && versions.LessThan(apiVersion, "1.45") {
			// Older engines would mount the whole volume without a word.
			return nil, core.InvalidArgument(fmt.Sprintf("mounts[%d].subpath", i),
				"a volume's subpath (compose's volumes[].volume.subpath) needs Engine API 1.45 (Docker 26) or later; this engine's API version %s is too old", apiVersion)
		}
		mm, err := toMount(m)
		if err != nil {
			return nil, core.InvalidArgument(fmt.Sprintf("mounts[%d]", i), "%v", err)
		}
		hc.Mounts = append(hc.Mounts, mm)
	}
	if len(spec.Tmpfs) > 0 {
		hc.Tmpfs = map[string]string{}
		for i, t := range spec.Tmpfs {
			path, opts, _ := strings.Cut(t, ":")
			if !strings.HasPrefix(path, "/") {
				return nil, core.InvalidArgument(fmt.Sprintf("tmpfs[%d]", i), "%q: the path must be absolute", t)
			}
			hc.Tmpfs[path] = opts
		}
	}

	// Restart policy.
	if spec.Restart != "" {
		rp, err := parseRestart(spec.Restart)
		if err != nil {
			return nil, core.InvalidArgument("restart", "%q: %v", spec.Restart, err)
		}
		hc.RestartPolicy = rp
	}

	// Healthcheck.
	if h := spec.Healthcheck; h != nil {
		hcfg, err := toHealthConfig(h, apiVersion)
		if err != nil {
			return nil, err
		}
		cfg.Healthcheck = hcfg
	}

	// Resources.
	hc.Memory = spec.Memory
	hc.MemoryReservation = spec.MemoryReserve
	if spec.CPUs < 0 || math.IsNaN(spec.CPUs) || math.IsInf(spec.CPUs, 0) {
		return nil, core.InvalidArgument("cpus", "%v must be a finite number ≥ 0", spec.CPUs)
	}
	hc.NanoCPUs = int64(math.Round(spec.CPUs * 1e9))
	if spec.PidsLimit != 0 {
		p := spec.PidsLimit
		hc.PidsLimit = &p
	}
	hc.MemorySwap = spec.MemorySwap
	hc.CPUShares = spec.CPUShares
	hc.CPUPeriod = spec.CPUPeriod
	hc.CPUQuota = spec.CPUQuota
	hc.CpusetCpus = spec.CPUSet
	hc.OomScoreAdj = int(spec.OomScoreAdj)
	hc.GroupAdd = spec.GroupAdd
	for _, d := range spec.Devices {
		d = d.WithDefaults()
		hc.Devices = append(hc.Devices, container.DeviceMapping{PathOnHost: d.Source, PathInContainer: d.Target, CgroupPermissions: d.Permissions})
	}
	for _, r := range spec.DeviceRequests {
		req := container.DeviceRequest{Driver: r.Driver, Count: r.Count, DeviceIDs: cloneStrings(r.DeviceIDs), Options: cloneMap(r.Options)}
		if len(r.Capabilities) > 0 {
			// One set whose every capability is required, as docker compose sends it.
			req.Capabilities = [][]string{cloneStrings(r.Capabilities)}
		}
		hc.DeviceRequests = append(hc.DeviceRequests, req)
	}
	if p := spec.MemSwappiness; p != nil {
		v := *p
		hc.MemorySwappiness = &v
	}
	if spec.OomKillDisable {
		t := true
		hc.OomKillDisable = &t
	}
	if b := spec.Blkio; b != nil {
		hc.BlkioWeight = b.Weight
		for _, d := range b.WeightDevice {
			hc.BlkioWeightDevice = append(hc.BlkioWeightDevice, &blkiodev.WeightDevice{Path: d.Path, Weight: d.Weight})
		}
		for _, t := range b.Throttles() {
			var out []*blkiodev.ThrottleDevice
			for _, d := range t.Devices {
				out = append(out, &blkiodev.ThrottleDevice{Path: d.Path, Rate: uint64(d.Rate)}) // core: rate ≥ 0
			}
			switch t.Key {
			case "device_read_bps":
				hc.BlkioDeviceReadBps = out
			case "device_read_iops":
				hc.BlkioDeviceReadIOps = out
			case "device_write_bps":
				hc.BlkioDeviceWriteBps = out
			case "device_write_iops":
				hc.BlkioDeviceWriteIOps = out
			}
		}
	}
	hc.CgroupnsMode = container.CgroupnsMode(spec.Cgroup)
	hc.Runtime = spec.Runtime
	hc.UsernsMode = container.UsernsMode(spec.UsernsMode)
	hc.StorageOpt = cloneMap(spec.StorageOpt)
	// "container[:ro|:rw]", resolved by the engine when it creates this one.
	hc.VolumesFrom = cloneStrings(spec.VolumesFrom)
	if len(spec.Annotations) > 0 {
		// Older engines would drop them without a word.
		if apiVersion != "" && versions.LessThan(apiVersion, "1.43") {
			return nil, core.InvalidArgument("annotations", "need Engine API 1.43 or later; this engine's API version %s is too old", apiVersion)
		}
		hc.Annotations = cloneMap(spec.Annotations)
	}
	for _, u := range spec.Ulimits {
		if u.Name == "" {
			return nil, core.InvalidArgument("ulimits", "a ulimit has no name")
		}
		hc.Ulimits = append(hc.Ulimits, &container.Ulimit{Name: u.Name, Soft: u.Soft, Hard: u.Hard})
	}
	if spec.Init {
		t := true
		hc.Init = &t
	}

	// Security options; a seccomp profile path is sent as its JSON content,
	// because the engine (possibly remote) reads no client-side files.
	for i, opt := range spec.SecurityOpt {
		o, err := securityOpt(opt)
		if err != nil {
			return nil, core.InvalidArgument(fmt.Sprintf("security_opt[%d]", i), "%v", err)
		}
		hc.SecurityOpt = append(hc.SecurityOpt, o)
	}
	if spec.Seccomp != "" {
		for _, o := range spec.SecurityOpt {
			if strings.HasPrefix(o, "seccomp=") || strings.HasPrefix(o, "seccomp:") {
				return nil, core.InvalidArgument("seccomp", "is set both as seccomp and in security_opt")
			}
		}
		o, err := securityOpt("seccomp=" + spec.Seccomp)
		if err != nil {
			return nil, core.InvalidArgument("seccomp", "%v", err)
		}
		hc.SecurityOpt = append(hc.SecurityOpt, o)
	}

	// Name resolution.
	for i, h := range spec.ExtraHosts {
		// compose accepts "host=ip" as well as "host:ip"; engines before
		// API 1.44 parse only the latter (at the first colon, so IPv6 works).
		name, ip, ok := strings.Cut(h, "=")
		if !ok {
			name, ip, ok = strings.Cut(h, ":")
		}
		if !ok || name == "" || ip == "" {
			return nil, core.InvalidArgument(fmt.Sprintf("extra_hosts[%d]", i), "%q must be host:ip", h)
		}
		ip = strings.TrimSuffix(strings.TrimPrefix(ip, "["), "]")
		if ip != "host-gateway" {
			if _, err := netip.ParseAddr(ip); err != nil {
				return nil, core.InvalidArgument(fmt.Sprintf("extra_hosts[%d]", i), "%q: %v", h, err)
			}
		}
		hc.ExtraHosts = append(hc.ExtraHosts, name+":"+ip)
	}
	for i, d := range spec.DNS {
		a, err := netip.ParseAddr(d)
		if err != nil {
			return nil, core.InvalidArgument(fmt.Sprintf("dns[%d]", i), "%q is not an IP address", d)
		}
		hc.DNS = append(hc.DNS, a)
	}

	// Platform.
	var platform *ocispec.Platform
	if spec.Platform != "" {
		p, err := parsePlatform(spec.Platform)
		if err != nil {
			return nil, core.InvalidArgument("platform", "%q: %v", spec.Platform, err)
		}
		platform = p
	}

	// Networks.
	netCfg, connect, err := planNetworks(spec, hc)
	if err != nil {
		return nil, err
	}

	plan := &createPlan{
		opts: client.ContainerCreateOptions{
			Config:           cfg,
			HostConfig:       hc,
			NetworkingConfig: netCfg,
			Platform:         platform,
			Name:             spec.Name,
		},
		connect: connect,
	}
	if mac := spec.MAC(); mac != nil {
		plan.setMAC(mac, apiVersion)
	}
	return plan, nil
}

// setMAC puts the container's MAC address where the engine reads it, as
// docker compose does: before API 1.44 the container's Config.MacAddress
// (which the engine gives the primary network's interface); from 1.44 the
// primary network's endpoint. core refused network modes without an
// interface of their own; on the default network the endpoint is
// "bridge"'s, named as such (docker run --network bridge --mac-address).
func (p *createPlan) setMAC(mac net.HardwareAddr, apiVersion string) {
	if apiVersion != "" && versions.LessThan(apiVersion, "1.44") {
		p.legacyMAC = mac.String()
		return
	}
	hc := p.opts.HostConfig
	if p.opts.NetworkingConfig == nil {
		if hc.NetworkMode == "" || hc.NetworkMode == "default" {
			hc.NetworkMode = network.NetworkBridge
		}
		p.opts.NetworkingConfig = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
			string(hc.NetworkMode): {},
		}}
	}
	ep := p.opts.NetworkingConfig.EndpointsConfig[string(hc.NetworkMode)]
	ep.MacAddress = network.HardwareAddr(mac)
}

// planNetworks puts the first network into the create request and returns
// the others, to be connected before start. spec.Network (with
// spec.NetworkAliases) is the first when set; otherwise spec.Networks[0].
func planNetworks(spec *core.ContainerSpec, hc *container.HostConfig) (*network.NetworkingConfig, []connectRequest, error) {
	mode := spec.Network
	if strings.HasPrefix(mode, "service:") {
		return nil, nil, core.InvalidArgument("network", "%q: a compose service reference must be resolved to container:<id> before create", mode)
	}
	first := core.NetworkAttach{Name: mode, Aliases: cloneStrings(spec.NetworkAliases)}
	firstField, skip := "network", -1
	if mode == "" && len(spec.Networks) > 0 {
		first = spec.Networks[0]
		first.Aliases = core.MergeAliases(spec.NetworkAliases, first.Aliases)
		firstField, skip, mode = "networks[0]", 0, first.Name
	}
	// Modes that are not a network: no endpoint, aliases or addresses.
	special := mode == "host" || mode == "none" || strings.HasPrefix(mode, "container:")
	// "default" is the engine's default network (bridge) under another name,
	// which has no endpoint settings of its own either.
	isDefault := mode == "default"
	type indexed struct {
		i int // the index in spec.Networks, for error messages
		n core.NetworkAttach
	}
	var others []indexed
	for i, n := range spec.Networks {
		if i == skip {
			continue
		}
		if n.Name == "" {
			return nil, nil, core.InvalidArgument(fmt.Sprintf("networks[%d].name", i), "is empty")
		}
		if n.Name == first.Name {
			// The same network twice: one endpoint with everything.
			first.Aliases = core.MergeAliases(first.Aliases, n.Aliases)
			if n.IPv4Address != "" {
				first.IPv4Address = n.IPv4Address
			}
			if n.IPv6Address != "" {
				first.IPv6Address = n.IPv6Address
			}
			continue
		}
		others = append(others, indexed{i, n})
	}
	if special {
		if len(others) > 0 {
			return nil, nil, core.InvalidArgument("networks", "network mode %q cannot be combined with other networks", mode)
		}
		if len(first.Aliases) > 0 {
			return nil, nil, core.InvalidArgument("network_aliases", "network mode %q has no aliases", mode)
		}
		if first.IPv4Address != "" || first.IPv6Address != "" {
			return nil, nil, core.InvalidArgument("networks", "network mode %q has no addresses", mode)
		}
	}
	if (first.Name == "" || isDefault) && len(first.Aliases) > 0 {
		return nil, nil, core.InvalidArgument("network_aliases", "aliases need a user-defined network (network is %q)", first.Name)
	}
	if isDefault && (first.IPv4Address != "" || first.IPv6Address != "") {
		return nil, nil, core.InvalidArgument("networks", "the default network takes no fixed address")
	}
	hc.NetworkMode = container.NetworkMode(first.Name)
	var netCfg *network.NetworkingConfig
	if first.Name != "" && !special && !isDefault {
		ep, err := endpoint(first, firstField)
		if err != nil {
			return nil, nil, err
		}
		netCfg = &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{first.Name: ep}}
	}
	var connect []connectRequest
	for _, o := range others {
		ep, err := endpoint(o.n, fmt.Sprintf("networks[%d]", o.i))
		if err != nil {
			return nil, nil, err
		}
		connect = append(connect, connectRequest{network: o.n.Name, endpoint: ep})
	}
	return netCfg, connect, nil
}

func endpoint(n core.NetworkAttach, field string) (*network.EndpointSettings, error) {
	ep := &network.EndpointSettings{Aliases: cloneStrings(n.Aliases)}
	if n.IPv4Address != "" || n.IPv6Address != "" {
		ep.IPAMConfig = &network.EndpointIPAMConfig{}
		if n.IPv4Address != "" {
			a, err := netip.ParseAddr(n.IPv4Address)
			if err != nil || !a.Is4() {
				return nil, core.InvalidArgument(field+".ipv4_address", "%q is not an IPv4 address", n.IPv4Address)
			}
			ep.IPAMConfig.IPv4Address = a
		}
		if n.IPv6Address != "" {
			a, err := netip.ParseAddr(n.IPv6Address)
			if err != nil || !a.Is6() {
				return nil, core.InvalidArgument(field+".ipv6_address", "%q is not an IPv6 address", n.IPv6Address)
			}
			ep.IPAMConfig.IPv6Address = a
		}
	}
	return ep, nil
}

// toHealthConfig converts a healthcheck; durations are Go duration strings.
func toHealthConfig(h *core.Healthcheck, apiVersion string) (*container.HealthConfig, error) {
	test := cloneStrings(h.Test)
	if h.Disable {
		test = []string{"NONE"}
	}
	if len(test) > 0 {
		switch test[0] {
		case "CMD", "CMD-SHELL", "NONE":
		default:
			return nil, core.InvalidArgument("healthcheck.test", "%q must start with CMD, CMD-SHELL or NONE", test)
		}
	}
	out := &container.HealthConfig{Test: test, Retries: h.Retries}
	if h.Retries < 0 {
		return nil, core.InvalidArgument("healthcheck.retries", "%d must be ≥ 0", h.Retries)
	}
	for _, d := range []struct {
		field string
		in    string
		out   *time.Duration
	}{
		{"healthcheck.interval", h.Interval, &out.Interval},
		{"healthcheck.timeout", h.Timeout, &out.Timeout},
		{"healthcheck.start_period", h.StartPeriod, &out.StartPeriod},
		{"healthcheck.start_interval", h.StartInterval, &out.StartInterval},
	} {
		if d.in == "" {
			continue
		}
		v, err := time.ParseDuration(d.in)
		if err != nil || v < 0 {
			return nil, core.InvalidArgument(d.field, "%q is not a duration ≥ 0 (e.g. \"30s\")", d.in)
		}
		*d.out = v
	}
	// Older engines ignore StartInterval without a word; say so instead.
	if out.StartInterval != 0 && apiVersion != "" && versions.LessThan(apiVersion, "1.44") {
		return nil, core.InvalidArgument("healthcheck.start_interval", "needs Engine API 1.44 or later; this engine speaks %s", apiVersion)
	}
	return out, nil
}

func parseRestart(s string) (container.RestartPolicy, error) {
	name, count, hasCount := strings.Cut(s, ":")
	rp := container.RestartPolicy{Name: container.RestartPolicyMode(name)}
	switch rp.Name {
	case container.RestartPolicyDisabled, container.RestartPolicyAlways, container.RestartPolicyUnlessStopped:
		if hasCount {
			return rp, fmt.Errorf("only on-failure takes a retry count")
		}
	case container.RestartPolicyOnFailure:
		if hasCount {
			n, err := strconv.Atoi(count)
			if err != nil || n < 0 {
				return rp, fmt.Errorf("retry count %q must be an integer ≥ 0", count)
			}
			rp.MaximumRetryCount = n
		}
	default:
		return rp, fmt.Errorf("must be no, always, on-failure[:n] or unless-stopped")
	}
	return rp, nil
}

// parsePorts maps port specs onto the engine's exposed ports and
// bindings, one binding per container port of a range. A port without a
// host port is published on a free one (on its host address when it has
// one), as `docker run -p 80` does; one container port with a host range
// passes the range, from which the engine picks a free port.
func parsePorts(specs []string) (network.PortSet, network.PortMap, error) {
	exposed := network.PortSet{}
	bindings := network.PortMap{}
	for i, s := range specs {
		p, err := core.ParsePort(s)
		if err != nil {
			return nil, nil, core.InvalidArgument(fmt.Sprintf("ports[%d]", i), "%q: %v", s, err)
		}
		for k := range p.Container.Len() {
			port, _ := network.PortFrom(p.Container.At(k), network.IPProtocol(p.Protocol))
			exposed[port] = struct{}{}
			host := p.Host.String()
			if h, ok := p.HostPort(k); ok {
				host = strconv.Itoa(int(h))
			}
			bindings[port] = append(bindings[port], network.PortBinding{HostIP: p.HostIP, HostPort: host})
		}
	}
	return exposed, bindings, nil
}

// parseExpose parses "port[-port][/proto]".
func parseExpose(s string) ([]network.Port, error) {
	p, err := core.ParsePort(s)
	if err != nil {
		return nil, err
	}
	if p.HostIP.IsValid() || !p.Host.IsZero() {
		return nil, fmt.Errorf("an exposed port has no host part")
	}
	var out []network.Port
	for k := range p.Container.Len() {
		port, _ := network.PortFrom(p.Container.At(k), network.IPProtocol(p.Protocol))
		out = append(out, port)
	}
	return out, nil
}

// parseVolume parses "src:dst[:mode]" (core.ParseVolume) into an engine
// bind string, or a bare "/dst" into an anonymous volume. A bind's host
// path is made absolute as the docker CLI does.
func parseVolume(v string) (bind, anon string, err error) {
	e, err := core.ParseVolume(v)
	if err != nil {
		return "", "", err
	}
	if e.Source == "" {
		return "", e.Target, nil
	}
	src, err := hostPath(e.Source)
	if err != nil {
		return "", "", err
	}
	parts := []string{src, e.Target}
	if len(e.Modes) > 0 {
		parts = append(parts, strings.Join(e.Modes, ","))
	}
	return strings.Join(parts, ":"), "", nil
}

// hostPath makes a relative or ~ path absolute; a volume name is unchanged.
func hostPath(src string) (string, error) {
	switch {
	case strings.HasPrefix(src, "/"):
		return src, nil
	case src == "~" || strings.HasPrefix(src, "~/"):
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("cannot resolve %q: %v", src, err)
		}
		return filepath.Join(home, src[1:]), nil
	case src == "." || src == ".." || strings.HasPrefix(src, "./") || strings.HasPrefix(src, "../"):
		return filepath.Abs(src)
	}
	return src, nil
}

func toMount(m core.Mount) (mount.Mount, error) {
	if !strings.HasPrefix(m.Target, "/") {
		return mount.Mount{}, fmt.Errorf("target %q must be an absolute path", m.Target)
	}
	out := mount.Mount{Type: mount.Type(m.Type), Source: m.Source, Target: m.Target, ReadOnly: m.ReadOnly}
	switch out.Type {
	case mount.TypeBind:
		if m.Source == "" {
			return out, fmt.Errorf("a bind mount needs a source")
		}
		src, err := hostPath(m.Source)
		if err != nil {
			return out, err
		}
		if !strings.HasPrefix(src, "/") {
			return out, fmt.Errorf("bind source %q must be a path", m.Source)
		}
		out.Source = src
	case mount.TypeVolume:
		if m.NoCopy || m.Subpath != "" {
			out.VolumeOptions = &mount.VolumeOptions{NoCopy: m.NoCopy, Subpath: m.Subpath}
		}
	case mount.TypeTmpfs:
		if m.Source != "" {
			return out, fmt.Errorf("a tmpfs mount has no source")
		}
		if m.TmpfsSize < 0 {
			return out, fmt.Errorf("tmpfs_size must be ≥ 0")
		}
		if m.TmpfsSize > 0 {
			out.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: m.TmpfsSize}
		}
	default:
		return out, fmt.Errorf("type %q must be bind, volume or tmpfs", m.Type)
	}
	if m.NoCopy && out.Type != mount.TypeVolume {
		return out, fmt.Errorf("nocopy applies to volume mounts only")
	}
	if m.TmpfsSize != 0 && out.Type != mount.TypeTmpfs {
		return out, fmt.Errorf("tmpfs_size applies to tmpfs mounts only")
	}
	return out, nil
}

// securityOpt passes an option through, except that "seccomp=<file>" is
// replaced by the file's content, which is what the engine expects.
func securityOpt(opt string) (string, error) {
	if _, inline := core.InlineSeccomp(opt); inline {
		return opt, nil
	}
	k, v, ok := strings.Cut(opt, "=")
	if !ok {
		k, v, ok = strings.Cut(opt, ":") // the deprecated "seccomp:…" spelling
	}
	if !ok || k != "seccomp" || v == "unconfined" {
		return opt, nil
	}
	data, err := os.ReadFile(v)
	if err != nil {
		return "", fmt.Errorf("seccomp profile: %v", err)
	}
	var buf strings.Builder
	if !json.Valid(data) {
		return "", fmt.Errorf("seccomp profile %s is not JSON", v)
	}
	buf.WriteString("seccomp=")
	buf.Write(data)
	return buf.String(), nil
}

func parsePlatform(s string) (*ocispec.Platform, error) {
	parts := strings.Split(s, "/")
	if len(parts) > 3 {
		return nil, fmt.Errorf("expected os[/arch[/variant]]")
	}
	for _, p := range parts {
		if p == "" {
			return nil, fmt.Errorf("expected os[/arch[/variant]]")
		}
	}
	p := &ocispec.Platform{OS: parts[0]}
	if len(parts) > 1 {
		p.Architecture = parts[1]
	}
	if len(parts) > 2 {
		p.Variant = parts[2]
	}
	return p, nil
}

// envList is an environment as the Engine API takes it: KEY=VALUE, then
// each variable to remove bare ("KEY"), which the Docker engine removes
// from what the image (for an exec, the container) sets; each part sorted,
// so that the same spec gives the same request.
func envList(env map[string]string, unset []string) []string {
	if len(env)+len(unset) == 0 {
		return nil
	}
	out := make([]string, 0, len(env)+len(unset))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return append(out, slices.Sorted(slices.Values(unset))...)
}

func cloneStrings(s []string) []string {
	if s == nil {
		return nil
	}
	return append([]string(nil), s...)
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}
