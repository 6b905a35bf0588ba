package cli

import (
	"strconv"
	"strings"

	"github.com/perryts/perry-container/core"
)

const mib = 1 << 20

// appleFlags maps a ContainerSpec onto apple/container's run/create flags
// (its `container run --help`). Every container is a micro-VM with its own kernel, so
// host-kernel knobs (privileged, seccomp, security_opt, sysctls, pid/ipc
// namespaces) have no meaning there and are rejected, as are flags its CLI
// lacks (healthchecks: apple/container#1918; the engine runs them through
// exec instead; docs/design.md, Healthchecks everywhere).
func (p Protocol) appleFlags(a *argList, s *core.ContainerSpec) {
	p.appleRejects(a, s)
	a.opt("name", "--name", s.Name)
	p.publish(a, s.Ports)
	a.each("volumes", "--volume", s.Volumes)
	a.pairs("env", "--env", s.Env)
	p.appleNetworks(a, s)
	a.bool("--rm", s.Rm)
	a.bool("--read-only", s.ReadOnly)
	a.opt("user", "--user", s.User)
	a.opt("workdir", "--workdir", s.Workdir)
	a.each("cap_add", "--cap-add", s.CapAdd)
	a.each("cap_drop", "--cap-drop", s.CapDrop)
	a.pairs("labels", "--label", s.Labels)
	a.opt("restart", "--restart", s.Restart)
	a.each("dns", "--dns", s.DNS)
	a.each("dns_search", "--dns-search", s.DNSSearch)
	a.each("dns_opt", "--dns-option", s.DNSOpt)
	for _, t := range s.Tmpfs {
		if strings.Contains(t, ":") {
			a.fail(p.unsupported("tmpfs options"))
		}
		a.value("tmpfs", "--tmpfs", t)
	}
	if s.Memory != 0 {
		if s.Memory < 0 || s.Memory%mib != 0 {
			a.fail(core.InvalidArgument("memory", "apple/container allocates memory in whole MiB; %d bytes is not a multiple of 1048576", s.Memory))
		}
		a.value("memory", "--memory", strconv.FormatInt(s.Memory/mib, 10)+"M")
	}
	if s.CPUs != 0 {
		if s.CPUs != float64(int64(s.CPUs)) || s.CPUs < 0 {
			a.fail(core.InvalidArgument("cpus", "apple/container allocates whole CPUs; %v is not a whole number", s.CPUs))
		}
		a.value("cpus", "--cpus", strconv.FormatInt(int64(s.CPUs), 10))
	}
	a.bool("--init", s.Init)
	for _, u := range s.Ulimits {
		a.value("ulimits", "--ulimit", ulimitValue(u))
	}
	a.opt("platform", "--platform", s.Platform)
	a.bool("--tty", s.Tty)
	a.bool("--interactive", s.StdinOpen)
	for i, m := range s.Mounts {
		p.appleMount(a, m, i)
	}
}

// appleRejects fails on every field apple/container cannot express.
func (p Protocol) appleRejects(a *argList, s *core.ContainerSpec) {
	checks := []struct {
		field string
		set   bool
	}{
		{"seccomp", s.Seccomp != ""},
		{"privileged", s.Privileged},
		{"hostname", s.Hostname != ""},
		{"domainname", s.Domainname != ""},
		{"network_aliases", len(s.NetworkAliases) > 0},
		{"healthcheck", s.Healthcheck != nil},
		{"stop_signal", s.StopSignal != ""},
		{"stop_timeout", s.StopTimeout != nil},
		{"extra_hosts", len(s.ExtraHosts) > 0},
		{"shm_size", s.ShmSize != 0},
		{"memory_reservation", s.MemoryReserve != 0},
		{"pids_limit", s.PidsLimit != 0},
		{"memswap_limit", s.MemorySwap != 0},
		{"cpu_shares", s.CPUShares != 0},
		{"cpu_period", s.CPUPeriod != 0},
		{"cpu_quota", s.CPUQuota != 0},
		{"cpuset", s.CPUSet != ""},
		{"oom_score_adj", s.OomScoreAdj != 0},
		{"group_add", len(s.GroupAdd) > 0},
		{"devices", len(s.Devices) > 0},
		{"unset_env", len(s.UnsetEnv) > 0},
		{"device_requests", len(s.DeviceRequests) > 0},
		{"mem_swappiness", s.MemSwappiness != nil},
		{"oom_kill_disable", s.OomKillDisable},
		{"blkio_config", s.Blkio != nil},
		{"cgroup", s.Cgroup != ""},
		{"runtime", s.Runtime != ""},
		{"userns_mode", s.UsernsMode != ""},
		{"mac_address", s.MacAddress != ""},
		{"storage_opt", len(s.StorageOpt) > 0},
		{"annotations", len(s.Annotations) > 0},
		{"volumes_from", len(s.VolumesFrom) > 0},
		{"pid", s.Pid != ""},
		{"ipc", s.Ipc != ""},
		{"security_opt", len(s.SecurityOpt) > 0},
		{"sysctls", len(s.Sysctls) > 0},
		{"expose", len(s.Expose) > 0},
		{"log_driver", s.LogDriver != ""},
		{"log_opts", len(s.LogOpts) > 0},
	}
	for _, c := range checks {
		if c.set {
			a.fail(p.unsupported(c.field))
		}
	}
}

// appleNetworks passes every network as --network; apple/container has no
// per-network aliases or fixed addresses.
func (p Protocol) appleNetworks(a *argList, s *core.ContainerSpec) {
	a.opt("network", "--network", s.Network)
	for i, n := range s.Networks {
		if len(n.Aliases) > 0 {
			a.fail(p.unsupported(indexed("networks", i, "aliases")))
		}
		if n.IPv4Address != "" {
			a.fail(p.unsupported(indexed("networks", i, "ipv4_address")))
		}
		if n.IPv6Address != "" {
			a.fail(p.unsupported(indexed("networks", i, "ipv6_address")))
		}
		if n.Name != s.Network {
			a.value("networks.name", "--network", n.Name)
		}
	}
}

// appleMount maps a long-form mount. apple/container splits --mount on
// commas without quoting, so a comma inside a path cannot be expressed.
func (p Protocol) appleMount(a *argList, m core.Mount, i int) {
	if m.NoCopy {
		a.fail(p.unsupported(indexed("mounts", i, "nocopy")))
	}
	if m.TmpfsSize != 0 {
		a.fail(p.unsupported(indexed("mounts", i, "tmpfs_size")))
	}
	if m.Subpath != "" {
		a.fail(p.unsupported(indexed("mounts", i, "subpath")))
	}
	if m.Target == "" {
		a.fail(core.InvalidArgument(indexed("mounts", i, "target"), "is required"))
	}
	switch m.Type {
	case "tmpfs":
		if m.ReadOnly {
			a.fail(p.unsupported(indexed("mounts", i, "read_only")))
		}
		a.value("mounts", "--tmpfs", m.Target)
		return
	case "bind", "volume":
	default:
		a.fail(core.InvalidArgument(indexed("mounts", i, "type"), "must be bind, volume or tmpfs, not %q", m.Type))
		return
	}
	if strings.ContainsAny(m.Source+m.Target, ",") {
		a.fail(core.InvalidArgument(indexed("mounts", i, "source"), "apple/container cannot mount a path containing ','"))
	}
	v := "type=" + m.Type + ",source=" + m.Source + ",target=" + m.Target
	if m.ReadOnly {
		v += ",readonly"
	}
	a.value("mounts", "--mount", v)
}
