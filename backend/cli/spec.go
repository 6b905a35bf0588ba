package cli

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/perryts/perry-container/core"
)

// CreateArgs returns the arguments creating spec's container:
// `create FLAGS -- IMAGE [ENTRYPOINT[1:]...] [CMD...]`. Networks beyond the
// first that the CLI cannot attach at creation come from ConnectArgs.
func (p Protocol) CreateArgs(spec *core.ContainerSpec) ([]string, error) {
	return p.containerArgs("create", spec)
}

// RunArgs returns the arguments creating and starting spec's container,
// detached: `run --detach FLAGS -- IMAGE …`.
func (p Protocol) RunArgs(spec *core.ContainerSpec) ([]string, error) {
	return p.containerArgs("run", spec)
}

// ConnectArgs returns the `network connect` commands that attach a created
// container to the networks CreateArgs could not: docker before API 1.44
// accepts one --network at creation, so the others are connected afterwards,
// as docker compose does. nerdctl and apple/container take every network at
// creation and need none.
func (p Protocol) ConnectArgs(spec *core.ContainerSpec, id string) ([][]string, error) {
	if spec == nil || p.Flavor == FlavorNerdctl || p.apple() {
		return nil, nil
	}
	_, extra := networkPlan(spec)
	var out [][]string
	for _, n := range extra {
		args, err := p.ConnectNetworkArgs(n, id)
		if err != nil {
			return nil, err
		}
		out = append(out, args)
	}
	return out, nil
}

func (p Protocol) containerArgs(verb string, spec *core.ContainerSpec) ([]string, error) {
	if spec == nil {
		return nil, core.InvalidArgument("spec", "is required")
	}
	if err := spec.Validate(); err != nil {
		return nil, core.InvalidArgument("spec", "%s", err.Error())
	}
	a := &argList{}
	a.add(verb)
	if verb == "run" {
		a.add("--detach")
	}
	if p.apple() {
		p.appleFlags(a, spec)
	} else {
		p.dockerFlags(a, spec)
	}
	entry, rest := splitEntrypoint(spec.Entrypoint)
	if entry != nil {
		a.value("entrypoint", "--entrypoint", *entry)
	}
	positionals := append([]string{spec.Image}, rest...)
	a.positional("cmd", append(positionals, spec.Cmd...)...)
	return a.result()
}

// splitEntrypoint maps an entrypoint list onto the CLIs' single-valued
// --entrypoint: the first element is the executable, the others are
// prepended to the command, as `docker run` does. Setting an entrypoint
// resets the image's CMD in every runtime, so the result is the same process.
// An empty non-nil entrypoint resets the image's entrypoint (--entrypoint="").
func splitEntrypoint(ep []string) (*string, []string) {
	if ep == nil {
		return nil, nil
	}
	if len(ep) == 0 {
		empty := ""
		return &empty, nil
	}
	return &ep[0], ep[1:]
}

// networkPlan splits the spec's networks into the primary one (attached at
// creation, with the spec's aliases) and the extra ones.
func networkPlan(spec *core.ContainerSpec) (*core.NetworkAttach, []core.NetworkAttach) {
	nets := spec.Networks
	if spec.Network == "" && len(nets) == 0 {
		if len(spec.NetworkAliases) == 0 {
			return nil, nil
		}
		return &core.NetworkAttach{Aliases: spec.NetworkAliases}, nil
	}
	primary := core.NetworkAttach{Name: spec.Network}
	if primary.Name == "" {
		primary, nets = nets[0], nets[1:]
	}
	primary.Aliases = core.MergeAliases(spec.NetworkAliases, primary.Aliases)
	var extra []core.NetworkAttach
	for _, n := range nets {
		if n.Name == primary.Name { // the primary network listed again with its options
			primary.Aliases = core.MergeAliases(primary.Aliases, n.Aliases)
			if primary.IPv4Address == "" {
				primary.IPv4Address = n.IPv4Address
			}
			if primary.IPv6Address == "" {
				primary.IPv6Address = n.IPv6Address
			}
			continue
		}
		extra = append(extra, n)
	}
	return &primary, extra
}

// publish appends --publish for every port, read with core.ParsePort and
// written back in its one -p form: a bad port is an InvalidArgument naming
// it before any call, and an IPv6 host address always goes bracketed.
func (p Protocol) publish(a *argList, ports []string) {
	for i, s := range ports {
		port, err := core.ParsePort(s)
		if err != nil {
			a.fail(core.InvalidArgument(fmt.Sprintf("ports[%d]", i), "%q: %v", s, err))
			continue
		}
		a.value("ports", "--publish", p.sliceValue(port.String()))
	}
}

// dockerFlags maps every ContainerSpec field onto docker, podman or nerdctl
// flags, in the field order of ContainerSpec. Fields a flavor lacks are
// rejected.
func (p Protocol) dockerFlags(a *argList, s *core.ContainerSpec) {
	nerdctl := p.Flavor == FlavorNerdctl
	a.opt("name", "--name", s.Name)
	p.publish(a, s.Ports)
	a.each("volumes", "--volume", s.Volumes)
	a.pairs("env", "--env", s.Env)
	p.unsetEnv(a, s.UnsetEnv)
	p.dockerNetworks(a, s)
	a.bool("--rm", s.Rm)
	a.bool("--read-only", s.ReadOnly)
	if s.Seccomp != "" {
		a.value("seccomp", "--security-opt", "seccomp="+s.Seccomp)
	}
	a.bool("--privileged", s.Privileged)
	a.opt("user", "--user", s.User)
	a.opt("workdir", "--workdir", s.Workdir)
	p.sliceEach(a, "cap_add", "--cap-add", s.CapAdd)
	p.sliceEach(a, "cap_drop", "--cap-drop", s.CapDrop)
	a.pairs("labels", "--label", s.Labels)
	a.opt("hostname", "--hostname", s.Hostname)
	a.opt("domainname", "--domainname", s.Domainname)
	a.opt("restart", "--restart", s.Restart)
	p.dockerHealthcheck(a, s.Healthcheck)
	a.opt("stop_signal", "--stop-signal", s.StopSignal)
	if s.StopTimeout != nil {
		a.value("stop_timeout", "--stop-timeout", strconv.Itoa(*s.StopTimeout))
	}
	p.sliceEach(a, "extra_hosts", "--add-host", s.ExtraHosts)
	p.sliceEach(a, "dns", "--dns", s.DNS)
	p.sliceEach(a, "dns_search", "--dns-search", s.DNSSearch)
	p.sliceEach(a, "dns_opt", "--dns-option", s.DNSOpt)
	a.each("tmpfs", "--tmpfs", s.Tmpfs)
	int64Flag(a, "shm_size", "--shm-size", s.ShmSize)
	int64Flag(a, "memory", "--memory", s.Memory)
	int64Flag(a, "memory_reservation", "--memory-reservation", s.MemoryReserve)
	if s.CPUs != 0 {
		a.value("cpus", "--cpus", strconv.FormatFloat(s.CPUs, 'f', -1, 64))
	}
	int64Flag(a, "pids_limit", "--pids-limit", s.PidsLimit)
	int64Flag(a, "memswap_limit", "--memory-swap", s.MemorySwap)
	int64Flag(a, "cpu_shares", "--cpu-shares", s.CPUShares)
	int64Flag(a, "cpu_period", "--cpu-period", s.CPUPeriod)
	int64Flag(a, "cpu_quota", "--cpu-quota", s.CPUQuota)
	a.opt("cpuset", "--cpuset-cpus", s.CPUSet)
	int64Flag(a, "oom_score_adj", "--oom-score-adj", s.OomScoreAdj)
	p.sliceEach(a, "group_add", "--group-add", s.GroupAdd)
	for _, d := range s.Devices {
		a.value("devices", "--device", p.sliceValue(d.String()))
	}
	p.gpuFlags(a, s.DeviceRequests)
	if s.MemSwappiness != nil {
		a.value("mem_swappiness", "--memory-swappiness", strconv.FormatInt(*s.MemSwappiness, 10))
	}
	a.bool("--oom-kill-disable", s.OomKillDisable)
	p.blkioFlags(a, s.Blkio)
	a.opt("cgroup", "--cgroupns", s.Cgroup)
	if s.Runtime != "" && p.Flavor == FlavorPodman {
		a.fail(p.unsupported("runtime")) // podman's --runtime is global, not run's
	}
	a.opt("runtime", "--runtime", s.Runtime)
	if s.UsernsMode != "" && nerdctl {
		a.fail(p.unsupported("userns_mode"))
	}
	a.opt("userns_mode", "--userns", s.UsernsMode)
	if mac := s.MAC(); mac != nil {
		a.value("mac_address", "--mac-address", mac.String())
	}
	if len(s.StorageOpt) > 0 && p.Flavor != FlavorDocker {
		a.fail(p.unsupported("storage_opt"))
	}
	a.pairs("storage_opt", "--storage-opt", s.StorageOpt)
	if len(s.Annotations) > 0 && p.Flavor == FlavorDocker {
		// docker's --annotation came with API 1.43 (Docker 24); the CLI
		// flavour cannot tell whether this docker has it.
		a.fail(p.unsupported("annotations"))
	}
	for _, k := range slices.Sorted(maps.Keys(s.Annotations)) {
		a.value("annotations", "--annotation", p.podmanList(k+"="+s.Annotations[k]))
	}
	p.volumesFrom(a, s.VolumesFrom)
	a.bool("--init", s.Init)
	a.opt("pid", "--pid", s.Pid)
	a.opt("ipc", "--ipc", s.Ipc)
	a.each("security_opt", "--security-opt", s.SecurityOpt)
	a.pairs("sysctls", "--sysctl", s.Sysctls)
	for _, u := range s.Ulimits {
		a.value("ulimits", "--ulimit", p.sliceValue(ulimitValue(u)))
	}
	if len(s.Expose) > 0 && nerdctl {
		a.fail(p.unsupported("expose"))
	}
	a.each("expose", "--expose", s.Expose)
	a.opt("platform", "--platform", s.Platform)
	a.bool("--tty", s.Tty)
	a.bool("--interactive", s.StdinOpen)
	a.opt("log_driver", "--log-driver", s.LogDriver)
	a.pairs("log_opts", "--log-opt", s.LogOpts)
	for i, m := range s.Mounts {
		v, err := p.dockerMount(m, i)
		a.fail(err)
		a.value("mounts", "--mount", v)
	}
}

// blkioFlags passes blkio_config. nerdctl has --blkio-weight alone, so it
// refuses the per-device lists, naming the one set.
func (p Protocol) blkioFlags(a *argList, b *core.Blkio) {
	if b == nil {
		return
	}
	if b.Weight != 0 {
		a.value("blkio_config.weight", "--blkio-weight", strconv.FormatUint(uint64(b.Weight), 10))
	}
	if len(b.WeightDevice) > 0 && p.Flavor == FlavorNerdctl {
		a.fail(p.unsupported("blkio_config.weight_device"))
	}
	for _, d := range b.WeightDevice {
		a.value("blkio_config.weight_device", "--blkio-weight-device", p.podmanList(d.String()))
	}
	for _, t := range b.Throttles() {
		if len(t.Devices) > 0 && p.Flavor == FlavorNerdctl {
			a.fail(p.unsupported("blkio_config." + t.Key))
		}
		flag := "--" + strings.ReplaceAll(t.Key, "_", "-") // --device-read-bps …
		for _, d := range t.Devices {
			a.value("blkio_config."+t.Key, flag, p.podmanList(d.String()))
		}
	}
}

// volumesFrom passes volumes_from ("container[:ro|:rw]", core-checked) as
// --volumes-from. nerdctl's would tie the source's anonymous volumes to
// this container, and removing it would delete them: its Backend turns the
// entries into mounts before the arguments are built (nerdctlVolumesFrom),
// so an entry that reaches nerdctl's arguments is refused.
func (p Protocol) volumesFrom(a *argList, entries []string) {
	for i, v := range entries {
		if p.Flavor == FlavorNerdctl {
			a.fail(p.unsupportedWhen(fmt.Sprintf("volumes_from[%d]", i), "as --volumes-from (removing the container would delete the source's anonymous volumes): its backend passes the source's volumes as mounts"))
			return
		}
		a.value("volumes_from", "--volumes-from", v)
	}
}

// podmanList is v for a flag podman reads as a comma-separated list (a
// pflag string slice: --annotation, --blkio-weight-device,
// --device-read-bps …), where docker and nerdctl take it whole: quoted as
// CSV so that a comma or quote stays in the one value.
func (p Protocol) podmanList(v string) string {
	if p.Flavor == FlavorPodman {
		return csvRecord(v)
	}
	return v
}

func int64Flag(a *argList, field, flag string, v int64) {
	if v != 0 {
		a.value(field, flag, strconv.FormatInt(v, 10))
	}
}

func ulimitValue(u core.Ulimit) string {
	return u.Name + "=" + strconv.FormatInt(u.Soft, 10) + ":" + strconv.FormatInt(u.Hard, 10)
}

// dockerNetworks attaches the primary network at creation. docker and podman
// connect the others afterwards (ConnectArgs); nerdctl takes them all here
// but has no aliases, and a fixed address only with a single network.
func (p Protocol) dockerNetworks(a *argList, s *core.ContainerSpec) {
	primary, extra := networkPlan(s)
	if primary == nil {
		return
	}
	a.opt("network", "--network", p.sliceValue(primary.Name))
	if p.Flavor == FlavorNerdctl {
		host, asHost := nerdctlAliasHost(s, primary)
		if asHost {
			a.value("network_aliases", "--hostname", host)
		} else if len(otherAliases(s, primary.Aliases)) > 0 {
			a.fail(p.unsupported("network_aliases"))
		}
		for i, n := range s.Networks { // indexed as the caller wrote them
			if n.Name == primary.Name {
				continue
			}
			if len(otherAliases(s, n.Aliases)) > 0 && !asHost {
				a.fail(p.unsupported(indexed("networks", i, "aliases")))
			}
			if n.IPv4Address != "" || n.IPv6Address != "" {
				a.fail(p.unsupported(indexed("networks", i, "ipv4_address/ipv6_address with more than one network")))
			}
			a.value("networks.name", "--network", p.sliceValue(n.Name))
		}
		if len(extra) > 0 && (primary.IPv4Address != "" || primary.IPv6Address != "") {
			a.fail(p.unsupported("networks ipv4_address/ipv6_address with more than one network"))
		}
	} else {
		a.each("network_aliases", "--network-alias", primary.Aliases)
	}
	a.opt("networks.ipv4_address", "--ip", primary.IPv4Address)
	a.opt("networks.ipv6_address", "--ip6", primary.IPv6Address)
}

func indexed(field string, i int, sub string) string {
	return field + "[" + strconv.Itoa(i) + "]." + sub
}

// dockerMount encodes a long-form mount as the CSV --mount value of
// docker, podman and nerdctl. A volume's subpath is docker's
// volume-subpath (CLI 26) and podman's subpath (5.4; Backend.engineTakes
// refuses it on older versions); nerdctl's --mount has none.
func (p Protocol) dockerMount(m core.Mount, i int) (string, error) {
	switch m.Type {
	case "bind", "volume", "tmpfs":
	default:
		return "", core.InvalidArgument(indexed("mounts", i, "type"), "must be bind, volume or tmpfs, not %q", m.Type)
	}
	if m.Target == "" {
		return "", core.InvalidArgument(indexed("mounts", i, "target"), "is required")
	}
	if m.TmpfsSize != 0 && m.Type != "tmpfs" {
		return "", core.InvalidArgument(indexed("mounts", i, "tmpfs_size"), "applies only to tmpfs mounts")
	}
	if m.NoCopy && m.Type != "volume" {
		return "", core.InvalidArgument(indexed("mounts", i, "nocopy"), "applies only to volume mounts")
	}
	fields := []string{"type=" + m.Type}
	if m.Source != "" {
		fields = append(fields, "source="+m.Source)
	}
	fields = append(fields, "target="+m.Target)
	if m.ReadOnly {
		fields = append(fields, "readonly")
	}
	if m.NoCopy {
		fields = append(fields, "volume-nocopy")
	}
	if m.TmpfsSize != 0 {
		fields = append(fields, "tmpfs-size="+strconv.FormatInt(m.TmpfsSize, 10))
	}
	if m.Subpath != "" { // on a named volume mount: core checked it
		switch p.Flavor {
		case FlavorDocker:
			fields = append(fields, "volume-subpath="+m.Subpath)
		case FlavorPodman:
			fields = append(fields, "subpath="+m.Subpath)
		default:
			return "", p.unsupported(indexed("mounts", i, "subpath"))
		}
	}
	return csvRecord(fields...), nil
}

// dockerHealthcheck maps a healthcheck onto the --health-* flags. The CLIs
// take one shell string, so an exec-form test ["CMD", args…] is quoted into
// the equivalent shell command.
func (p Protocol) dockerHealthcheck(a *argList, hc *core.Healthcheck) {
	if hc == nil {
		return
	}
	if p.Flavor == FlavorNerdctl {
		// nerdctl 2.0 has no --health-* flags (Supports says so: the
		// compose engine probes through exec instead).
		a.fail(p.unsupported("healthcheck"))
		return
	}
	if hc.Disable || (len(hc.Test) > 0 && hc.Test[0] == "NONE") {
		a.add("--no-healthcheck")
		return
	}
	cmd, err := healthCommand(hc.Test)
	a.fail(err)
	a.value("healthcheck.test", "--health-cmd", cmd)
	durationFlag(a, "healthcheck.interval", "--health-interval", hc.Interval)
	durationFlag(a, "healthcheck.timeout", "--health-timeout", hc.Timeout)
	if hc.Retries != 0 {
		a.value("healthcheck.retries", "--health-retries", strconv.Itoa(hc.Retries))
	}
	durationFlag(a, "healthcheck.start_period", "--health-start-period", hc.StartPeriod)
	if hc.StartInterval != "" {
		if p.Flavor != FlavorDocker { // podman's --health-startup-* mean something else
			a.fail(p.unsupported("healthcheck.start_interval"))
		}
		durationFlag(a, "healthcheck.start_interval", "--health-start-interval", hc.StartInterval)
	}
}

func durationFlag(a *argList, field, flag, v string) {
	if v == "" {
		return
	}
	if _, err := time.ParseDuration(v); err != nil {
		a.fail(core.InvalidArgument(field, "%q is not a duration (e.g. 30s, 1m30s)", v))
	}
	a.value(field, flag, v)
}

// healthCommand turns a compose healthcheck test into a shell command.
func healthCommand(test []string) (string, error) {
	if len(test) < 2 {
		return "", core.InvalidArgument("healthcheck.test", "must be [\"CMD\", args…], [\"CMD-SHELL\", command] or [\"NONE\"]")
	}
	switch test[0] {
	case "CMD-SHELL":
		return strings.Join(test[1:], " "), nil
	case "CMD":
		return shellJoin(test[1:]), nil
	}
	return "", core.InvalidArgument("healthcheck.test", "must start with CMD, CMD-SHELL or NONE, not %q", test[0])
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_@%+=:,./-]+$`)

// shellJoin quotes words for a POSIX shell so that sh -c runs exactly them.
func shellJoin(words []string) string {
	quoted := make([]string, len(words))
	for i, w := range words {
		if shellSafe.MatchString(w) {
			quoted[i] = w
		} else {
			quoted[i] = "'" + strings.ReplaceAll(w, "'", `'\''`) + "'"
		}
	}
	return strings.Join(quoted, " ")
}

// gpuFlags gives device requests as --gpus, the one form the docker and
// nerdctl CLIs have for them: a CSV record of the count or device ids,
// driver, capabilities and options. Both CLIs add the "gpu" capability
// themselves, so only a request for GPUs can be given; nerdctl knows the
// nvidia driver alone and drops options; podman's CLI has no --gpus.
func (p Protocol) gpuFlags(a *argList, rs []core.DeviceRequest) {
	for i, r := range rs {
		field := fmt.Sprintf("device_requests[%d]", i)
		nerdctl := p.Flavor == FlavorNerdctl
		switch {
		case p.Flavor == FlavorPodman:
			a.fail(p.unsupportedWhen(field, "(compose's gpus and deploy.resources.reservations.devices): its CLI has no --gpus"))
			return
		case !slices.Contains(r.Capabilities, "gpu"):
			a.fail(p.unsupportedWhen(field+".capabilities", fmt.Sprintf("without \"gpu\" (%s): its --gpus asks for GPUs only", strings.Join(r.Capabilities, ","))))
			return
		case nerdctl && r.Driver != "" && r.Driver != "nvidia":
			a.fail(p.unsupportedWhen(field+".driver", fmt.Sprintf("%q: its --gpus knows the nvidia driver only", r.Driver)))
			return
		case nerdctl && len(r.Options) > 0:
			a.fail(p.unsupportedWhen(field+".options", "(its --gpus ignores them)"))
			return
		}
		var fields []string
		switch {
		case len(r.DeviceIDs) > 0:
			fields = append(fields, "device="+strings.Join(r.DeviceIDs, ","))
		case r.Count < 0:
			fields = append(fields, "count=all")
		default:
			fields = append(fields, "count="+strconv.Itoa(r.Count))
		}
		if r.Driver != "" {
			fields = append(fields, "driver="+r.Driver)
		}
		if caps := slices.DeleteFunc(slices.Clone(r.Capabilities), func(c string) bool { return c == "gpu" }); len(caps) > 0 {
			fields = append(fields, "capabilities="+strings.Join(caps, ","))
		}
		if len(r.Options) > 0 {
			var opts []string
			for _, k := range slices.Sorted(maps.Keys(r.Options)) {
				opts = append(opts, k+"="+r.Options[k])
			}
			fields = append(fields, "options="+csvRecord(opts...))
		}
		a.value(field, "--gpus", csvRecord(fields...))
	}
}

// unsetEnv removes variables the image sets: docker's CLI sends a bare
// --env KEY on (the engine removes KEY; command keeps the CLI from adding
// its own value), podman has --unsetenv, nerdctl's run cannot.
func (p Protocol) unsetEnv(a *argList, keys []string) {
	if len(keys) == 0 {
		return
	}
	switch p.Flavor {
	case FlavorDocker:
		for _, k := range slices.Sorted(slices.Values(keys)) {
			a.value("unset_env", "--env", k)
		}
	case FlavorPodman:
		for _, k := range slices.Sorted(slices.Values(keys)) {
			a.value("unset_env", "--unsetenv", k)
		}
	default:
		a.fail(p.unsupportedWhen("unset_env", fmt.Sprintf("(%s: compose's environment entry without a value): its run cannot remove a variable the image sets", keys[0])))
	}
}
