package engine

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/compose/graph"
	"github.com/perryts/perry-container/core"
)

// The compose fields the engine maps, by JSON key. Everything a service sets
// outside these sets is an error naming the field: a silently dropped
// setting (a memory limit, a device) is worse than a refusal. The check is
// done on the JSON form so that fields added to compose-go later are caught
// too.
var (
	serviceKeys = keySet(
		// mapped onto core.ContainerSpec
		"image", "command", "entrypoint", "environment", "ports", "volumes", "networks", "network_mode",
		"healthcheck", "restart", "labels", "hostname", "domainname", "user", "working_dir", "privileged",
		"read_only", "cap_add", "cap_drop", "security_opt", "sysctls", "ulimits", "tmpfs", "shm_size",
		"mem_limit", "mem_reservation", "cpus", "pids_limit", "extra_hosts", "dns", "dns_opt", "dns_search",
		"init", "stop_signal", "stop_grace_period", "pid", "ipc", "expose", "logging", "log_driver", "log_opt",
		"platform", "tty", "stdin_open", "secrets", "configs", "deploy",
		"memswap_limit", "cpu_shares", "cpu_period", "cpu_quota", "cpuset", "oom_score_adj", "group_add", "devices",
		"mem_swappiness", "oom_kill_disable", "blkio_config", "cgroup", "runtime", "userns_mode", "mac_address",
		"storage_opt", "annotations", "volumes_from", "gpus",
		// run by the engine through exec (lifecycle.go)
		"post_start", "pre_stop",
		// used by the engine itself
		"container_name", "scale", "depends_on", "build", "pull_policy", "links",
		// resolved by the loader before the engine sees the project
		"profiles", "env_file", "label_file", "extends",
		// CLI concerns, not container settings: which logs an attached up
		// shows; what `watch` syncs, rebuilds or restarts (compose/watch)
		"attach", "develop",
	)
	deployKeys     = keySet("mode", "replicas", "resources", "restart_policy")
	deployWarnKeys = map[string]string{
		"labels":          "deploy.labels are swarm service labels",
		"update_config":   "deploy.update_config is swarm-only",
		"rollback_config": "deploy.rollback_config is swarm-only",
		"placement":       "deploy.placement is swarm-only",
		"endpoint_mode":   "deploy.endpoint_mode is swarm-only",
	}
	limitKeys           = keySet("cpus", "memory", "pids")
	reservationKeys     = keySet("memory", "devices")
	reservationWarnKeys = map[string]string{
		"cpus":              "deploy.resources.reservations.cpus is swarm-only",
		"pids":              "deploy.resources.reservations.pids is swarm-only",
		"generic_resources": "deploy.resources.reservations.generic_resources is swarm-only",
	}
	deviceRequestKeys = keySet("capabilities", "driver", "count", "device_ids", "options")
	restartKeys       = keySet("condition", "max_attempts")
	restartWarnKeys   = map[string]string{"delay": "deploy.restart_policy.delay is swarm-only", "window": "deploy.restart_policy.window is swarm-only"}
	serviceNetKeys    = keySet("aliases", "ipv4_address", "ipv6_address", "priority", "use_service_name_alias")
	portKeys          = keySet("target", "published", "host_ip", "protocol", "mode", "name", "app_protocol")
	volumeKeys        = keySet("type", "source", "target", "read_only", "bind", "volume", "tmpfs")
	volumeWarnKeys    = map[string]string{"consistency": "volumes[].consistency has no effect on this runtime"}
	bindKeys          = keySet("selinux", "propagation", "create_host_path")
	volumeOptKeys     = keySet("nocopy", "subpath")
	tmpfsKeys         = keySet("size", "mode")
	fileRefKeys       = keySet("source", "target", "uid", "gid", "mode")
	loggingKeys       = keySet("driver", "options")
	buildKeys         = keySet("context", "dockerfile", "args", "target", "labels", "network", "no_cache", "pull", "platforms",
		"dockerfile_inline", "tags", "extra_hosts", "shm_size")
	buildWarnKeys    = map[string]string{"cache_from": "build.cache_from is ignored", "cache_to": "build.cache_to is ignored", "provenance": "build.provenance is ignored", "sbom": "build.sbom is ignored"}
	networkKeys      = keySet("name", "driver", "driver_opts", "ipam", "external", "internal", "attachable", "labels", "enable_ipv6", "enable_ipv4")
	ipamKeys         = keySet("driver", "options", "config")
	ipamPoolKeys     = keySet("subnet", "gateway", "ip_range", "aux_addresses")
	projectVolumeKey = keySet("name", "driver", "driver_opts", "external", "labels")
)

func keySet(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}

// checkKeys reports the first set field of v (by JSON key, sorted) outside
// allowed and warn, prefixing field names with path. Fields in warn add a
// warning instead. A field whose JSON is empty (false, 0, "", {} …) is
// unset, as compose-go writes most absent fields, unless it is a set
// pointer: there false or 0 is a value the user wrote (umask: 0), which is
// refused like any other.
func checkKeys(path string, v any, allowed map[string]bool, warn map[string]string, warnings *[]string) error {
	raw, err := json.Marshal(v)
	if err != nil {
		return err
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil // not an object: nothing to check
	}
	written := setPointers(v)
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if allowed[k] || (isEmptyJSON(fields[k]) && !written[k]) {
			continue
		}
		if msg, ok := warn[k]; ok {
			if warnings != nil {
				*warnings = append(*warnings, msg)
			}
			continue
		}
		return unsupported(path + k)
	}
	return nil
}

// setPointers is the JSON keys of v's pointer fields that are set (v a
// struct or a pointer to one).
func setPointers(v any) map[string]bool {
	rv := reflect.ValueOf(v)
	for rv.Kind() == reflect.Pointer || rv.Kind() == reflect.Interface {
		if rv.IsNil() {
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() != reflect.Struct {
		return nil
	}
	out := map[string]bool{}
	for _, f := range reflect.VisibleFields(rv.Type()) {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if !f.IsExported() || f.Anonymous || name == "" || name == "-" {
			continue
		}
		if fv, err := rv.FieldByIndexErr(f.Index); err == nil && fv.Kind() == reflect.Pointer && !fv.IsNil() {
			out[name] = true
		}
	}
	return out
}

func isEmptyJSON(raw json.RawMessage) bool {
	switch strings.TrimSpace(string(raw)) {
	case "null", "{}", "[]", `""`, "false", "0":
		return true
	}
	return false
}

// unsupportedField is the error checkKeys returns; callers wrap it into an
// InvalidConfig naming the service and, in Details["field"], the field.
type unsupportedField string

func (f unsupportedField) Error() string {
	return fmt.Sprintf("field %q is not supported by perry-compose", string(f))
}

func unsupported(field string) error { return unsupportedField(field) }

// convertService maps one service onto the container spec its replicas
// share. It does no I/O: secret, config and seccomp files are only
// described (fileMount); containerSpec adds them once the state directory
// is known, and Up writes them before the plan runs.
func convertService(m *model, p *types.Project, s *service) (spec core.ContainerSpec, files []fileMount, warnings []string, err error) {
	defer func() {
		if err != nil {
			if f, ok := err.(unsupportedField); ok {
				err = serviceError(core.KindInvalidConfig, s.name, nil, "service %q: %s", s.name, f.Error()).With("field", string(f))
			} else if _, ok := err.(*core.Error); !ok {
				err = serviceError(core.KindInvalidConfig, s.name, err, "service %q: %s", s.name, err.Error())
			}
		}
	}()
	cfg := s.cfg
	if err := checkKeys("", cfg, serviceKeys, nil, &warnings); err != nil {
		return spec, nil, nil, err
	}
	for _, l := range cfg.Links {
		// A link is a dependency (compose-go adds it to depends_on); an
		// alias would need per-container DNS entries the runtimes lack.
		if strings.Contains(l, ":") {
			return spec, nil, nil, fmt.Errorf("links %q: link aliases are not supported; use network aliases", l)
		}
	}
	if cfg.Image == "" && cfg.Build == nil {
		return spec, nil, nil, fmt.Errorf("image or build is required")
	}
	if cfg.Command != nil && len(cfg.Command) == 0 {
		return spec, nil, nil, fmt.Errorf("command: an empty command (clearing the image's) is not supported")
	}
	if cfg.Entrypoint != nil && len(cfg.Entrypoint) == 0 {
		return spec, nil, nil, fmt.Errorf("entrypoint: an empty entrypoint (clearing the image's) is not supported")
	}

	spec = core.ContainerSpec{
		Image:          s.image,
		Cmd:            cfg.Command,
		Entrypoint:     cfg.Entrypoint,
		Hostname:       cfg.Hostname,
		Domainname:     cfg.DomainName,
		User:           cfg.User,
		Workdir:        cfg.WorkingDir,
		Privileged:     cfg.Privileged,
		ReadOnly:       cfg.ReadOnly,
		CapAdd:         cfg.CapAdd,
		CapDrop:        cfg.CapDrop,
		SecurityOpt:    cfg.SecurityOpt,
		Tmpfs:          slices.Clone(cfg.Tmpfs), // convertVolumes appends to it
		ShmSize:        int64(cfg.ShmSize),
		Memory:         int64(cfg.MemLimit),
		MemoryReserve:  int64(cfg.MemReservation),
		CPUs:           float64(cfg.CPUS),
		PidsLimit:      cfg.PidsLimit,
		MemorySwap:     int64(cfg.MemSwapLimit),
		CPUShares:      cfg.CPUShares,
		CPUPeriod:      cfg.CPUPeriod,
		CPUQuota:       cfg.CPUQuota,
		CPUSet:         cfg.CPUSet,
		OomScoreAdj:    cfg.OomScoreAdj,
		GroupAdd:       cfg.GroupAdd,
		OomKillDisable: cfg.OomKillDisable,
		Cgroup:         cfg.Cgroup,
		Runtime:        cfg.Runtime,
		UsernsMode:     cfg.UserNSMode,
		MacAddress:     cfg.MacAddress,
		StorageOpt:     cfg.StorageOpt,
		DNS:            cfg.DNS,
		DNSOpt:         cfg.DNSOpts,
		DNSSearch:      cfg.DNSSearch,
		StopSignal:     cfg.StopSignal,
		StopTimeout:    s.stopTimeout,
		Pid:            cfg.Pid,
		Ipc:            cfg.Ipc,
		Expose:         cfg.Expose,
		Platform:       cfg.Platform,
		Tty:            cfg.Tty,
		StdinOpen:      cfg.StdinOpen,
		Restart:        cfg.Restart,
		LogDriver:      cfg.LogDriver,
		LogOpts:        cfg.LogOpt,
	}
	if cfg.Init != nil {
		spec.Init = *cfg.Init
	}
	for _, d := range cfg.Devices {
		spec.Devices = append(spec.Devices, core.Device{Source: d.Source, Target: d.Target, Permissions: d.Permissions})
	}
	if spec.DeviceRequests, err = convertDeviceRequests(cfg); err != nil {
		return spec, nil, nil, err
	}
	if cfg.MemSwappiness != 0 {
		// compose-go reads an absent mem_swappiness and 0 alike; docker
		// compose then sends none, and so does this.
		v := int64(cfg.MemSwappiness)
		spec.MemSwappiness = &v
	}
	spec.Blkio = convertBlkio(cfg.BlkioConfig)
	if len(cfg.Annotations) > 0 {
		spec.Annotations = map[string]string(cfg.Annotations)
	}
	if err := spec.ValidateCgroup(); err != nil {
		return spec, nil, nil, err
	}
	// A variable without a value is removed from the image's environment,
	// as docker compose's bare "KEY" is on Docker.
	spec.Env, spec.UnsetEnv = composeEnv(cfg.Environment)
	if len(cfg.Sysctls) > 0 {
		spec.Sysctls = map[string]string(cfg.Sysctls)
	}
	if len(cfg.ExtraHosts) > 0 {
		spec.ExtraHosts = cfg.ExtraHosts.AsList(":")
		sort.Strings(spec.ExtraHosts)
	}
	for _, name := range slices.Sorted(maps.Keys(cfg.Ulimits)) {
		u := cfg.Ulimits[name]
		soft, hard := int64(u.Soft), int64(u.Hard)
		if u.Single != 0 {
			soft, hard = int64(u.Single), int64(u.Single)
		}
		spec.Ulimits = append(spec.Ulimits, core.Ulimit{Name: name, Soft: soft, Hard: hard})
	}
	if cfg.Logging != nil {
		if err := checkKeys("logging.", cfg.Logging, loggingKeys, nil, nil); err != nil {
			return spec, nil, nil, err
		}
		spec.LogDriver = cfg.Logging.Driver
		spec.LogOpts = map[string]string(cfg.Logging.Options)
	}
	if err := convertDeploy(cfg, &spec, &warnings); err != nil {
		return spec, nil, nil, err
	}
	if spec.Healthcheck, err = convertHealthcheck(cfg.HealthCheck); err != nil {
		return spec, nil, nil, err
	}
	if s.ports, err = convertPorts(cfg.Ports, s.scale); err != nil {
		return spec, nil, nil, err
	}
	spec.Ports = replicaPorts(s.ports, 1)
	if err := convertVolumes(m, p, s, &spec, &warnings); err != nil {
		return spec, nil, nil, err
	}
	if err := convertNetworks(m, s, &spec); err != nil {
		return spec, nil, nil, err
	}
	if spec.VolumesFrom, err = convertVolumesFrom(m, s); err != nil {
		return spec, nil, nil, err
	}
	// Once the networks are known: mac_address needs one of them.
	if err := spec.ValidateHostOptions(); err != nil {
		return spec, nil, nil, err
	}
	if files, err = convertFiles(p, s); err != nil {
		return spec, nil, nil, err
	}
	if s.postStart, err = convertHooks(s.name, "post_start", cfg.PostStart); err != nil {
		return spec, nil, nil, err
	}
	if s.preStop, err = convertHooks(s.name, "pre_stop", cfg.PreStop); err != nil {
		return spec, nil, nil, err
	}
	spec.Labels = map[string]string{}
	maps.Copy(spec.Labels, cfg.Labels)
	maps.Copy(spec.Labels, cfg.CustomLabels)
	return spec, files, warnings, nil
}

// convertBlkio is compose's blkio_config as core's; nil when it sets nothing.
func convertBlkio(b *types.BlkioConfig) *core.Blkio {
	if b == nil {
		return nil
	}
	throttles := func(ds []types.ThrottleDevice) []core.ThrottleDevice {
		var out []core.ThrottleDevice
		for _, d := range ds {
			out = append(out, core.ThrottleDevice{Path: d.Path, Rate: int64(d.Rate)})
		}
		return out
	}
	out := &core.Blkio{Weight: b.Weight,
		DeviceReadBps: throttles(b.DeviceReadBps), DeviceReadIOps: throttles(b.DeviceReadIOps),
		DeviceWriteBps: throttles(b.DeviceWriteBps), DeviceWriteIOps: throttles(b.DeviceWriteIOps)}
	for _, d := range b.WeightDevice {
		out.WeightDevice = append(out.WeightDevice, core.WeightDevice{Path: d.Path, Weight: d.Weight})
	}
	if reflect.ValueOf(*out).IsZero() {
		return nil
	}
	return out
}

// convertDeviceRequests is deploy.resources.reservations.devices and then
// gpus, in docker compose's order; a gpus entry asks for the gpu
// capability besides its own, as docker compose's does.
func convertDeviceRequests(cfg types.ServiceConfig) ([]core.DeviceRequest, error) {
	var out []core.DeviceRequest
	add := func(at string, d types.DeviceRequest, caps []string) error {
		if err := checkKeys(at, d, deviceRequestKeys, nil, nil); err != nil {
			return err
		}
		out = append(out, core.DeviceRequest{Driver: d.Driver, Count: int(d.Count), DeviceIDs: d.IDs,
			Capabilities: caps, Options: map[string]string(d.Options)})
		return nil
	}
	if d := cfg.Deploy; d != nil && d.Resources.Reservations != nil {
		for i, r := range d.Resources.Reservations.Devices {
			if err := add(fmt.Sprintf("deploy.resources.reservations.devices[%d].", i), r, r.Capabilities); err != nil {
				return nil, err
			}
		}
	}
	for i, g := range cfg.Gpus {
		caps := g.Capabilities
		if !slices.Contains(caps, "gpu") {
			caps = append(slices.Clone(caps), "gpu")
		}
		if err := add(fmt.Sprintf("gpus[%d].", i), g, caps); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func convertDeploy(cfg types.ServiceConfig, spec *core.ContainerSpec, warnings *[]string) error {
	d := cfg.Deploy
	if d == nil {
		return nil
	}
	if err := checkKeys("deploy.", d, deployKeys, deployWarnKeys, warnings); err != nil {
		return err
	}
	switch d.Mode {
	case "", "replicated":
	default:
		return unsupported("deploy.mode: " + d.Mode)
	}
	if l := d.Resources.Limits; l != nil {
		if err := checkKeys("deploy.resources.limits.", l, limitKeys, nil, nil); err != nil {
			return err
		}
		if l.NanoCPUs != 0 {
			spec.CPUs = float64(l.NanoCPUs)
		}
		if l.MemoryBytes != 0 {
			spec.Memory = int64(l.MemoryBytes)
		}
		if l.Pids != 0 {
			spec.PidsLimit = l.Pids
		}
	}
	if r := d.Resources.Reservations; r != nil {
		if err := checkKeys("deploy.resources.reservations.", r, reservationKeys, reservationWarnKeys, warnings); err != nil {
			return err
		}
		if r.MemoryBytes != 0 {
			spec.MemoryReserve = int64(r.MemoryBytes)
		}
	}
	if rp := d.RestartPolicy; rp != nil && cfg.Restart == "" {
		if err := checkKeys("deploy.restart_policy.", rp, restartKeys, restartWarnKeys, warnings); err != nil {
			return err
		}
		switch rp.Condition {
		case "none":
			spec.Restart = "no"
		case "on-failure":
			spec.Restart = "on-failure"
			if rp.MaxAttempts != nil {
				spec.Restart += ":" + strconv.FormatUint(*rp.MaxAttempts, 10)
			}
		case "", "any":
			spec.Restart = "always"
		default:
			return unsupported("deploy.restart_policy.condition: " + rp.Condition)
		}
	}
	return nil
}

func convertHealthcheck(hc *types.HealthCheckConfig) (*core.Healthcheck, error) {
	if hc == nil {
		return nil, nil
	}
	if hc.StartInterval != nil && hc.StartPeriod == nil {
		// start_interval is the interval during the start period: without
		// one it would do nothing. docker compose refuses it with these
		// words; we do so before anything is created.
		return nil, errors.New("healthcheck.start_interval requires healthcheck.start_period to be set")
	}
	if hc.Disable || (len(hc.Test) > 0 && hc.Test[0] == "NONE") {
		// Passed on so that an image's own HEALTHCHECK is disabled too.
		return &core.Healthcheck{Test: []string{"NONE"}, Disable: true}, nil
	}
	out := &core.Healthcheck{Test: slices.Clone(hc.Test)}
	dur := func(d *types.Duration) string {
		if d == nil {
			return ""
		}
		return time.Duration(*d).String()
	}
	out.Interval, out.Timeout = dur(hc.Interval), dur(hc.Timeout)
	out.StartPeriod, out.StartInterval = dur(hc.StartPeriod), dur(hc.StartInterval)
	if hc.Retries != nil {
		out.Retries = int(*hc.Retries)
	}
	return out, nil
}

// convertPorts reads compose's ports into the core model, once. A host
// range for one container port gives each replica its own port of the range
// (replicaPorts), so a range shorter than the replica count is an error.
func convertPorts(ports []types.ServicePortConfig, scale int) ([]core.Port, error) {
	var out []core.Port
	for i, pc := range ports {
		field := fmt.Sprintf("ports[%d]", i)
		if err := checkKeys(field+".", pc, portKeys, nil, nil); err != nil {
			return nil, err
		}
		p, err := portOf(pc)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", field, err)
		}
		if p.Container.Len() == 1 && p.Host.Len() > 1 && scale > p.Host.Len() {
			return nil, fmt.Errorf("%s: host port range %s has %d ports for %d replicas: each replica needs its own",
				field, p.Host, p.Host.Len(), scale)
		}
		out = append(out, p)
	}
	return out, nil
}

// portOf is compose's port as core.Port. An empty or "0" published port
// is a free host port; a host address without one means a free port on
// that address.
func portOf(pc types.ServicePortConfig) (core.Port, error) {
	p := core.Port{Protocol: strings.ToLower(pc.Protocol)}
	if p.Protocol == "" {
		p.Protocol = "tcp"
	}
	if pc.Target == 0 || pc.Target > 65535 {
		return p, fmt.Errorf("target %d is not a port number (1-65535)", pc.Target)
	}
	t := uint16(pc.Target)
	p.Container = core.PortRange{Start: t, End: t}
	if pc.Published != "" && pc.Published != "0" {
		var err error
		if p.Host, err = core.ParsePortRange(pc.Published); err != nil {
			return p, fmt.Errorf("published: %v", err)
		}
	}
	if pc.HostIP != "" {
		a, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(pc.HostIP, "["), "]"))
		if err != nil {
			return p, fmt.Errorf("host_ip %q is not an IP address", pc.HostIP)
		}
		p.HostIP = a
	}
	return p, p.Validate()
}

// replicaPorts writes the ports of replica n (from 1) in -p form. A host
// range for one container port is split as docker compose does: replica n
// takes the range's n-th port, so every replica is reachable at a known
// address and runtimes that refuse a range for one port still work.
func replicaPorts(ports []core.Port, n int) []string {
	if len(ports) == 0 {
		return nil
	}
	out := make([]string, 0, len(ports))
	for _, p := range ports {
		if p.Container.Len() == 1 && p.Host.Len() > 1 && n >= 1 && n <= p.Host.Len() {
			h := p.Host.At(n - 1)
			p.Host = core.PortRange{Start: h, End: h}
		}
		out = append(out, p.String())
	}
	return out
}

// convertVolumes maps bind, named and anonymous volumes onto "-v" strings,
// a named volume mounted at a subpath onto Mounts, and tmpfs mounts onto
// Tmpfs.
func convertVolumes(m *model, p *types.Project, s *service, spec *core.ContainerSpec, warnings *[]string) error {
	for i, v := range s.cfg.Volumes {
		path := fmt.Sprintf("volumes[%d].", i)
		if err := checkKeys(path, v, volumeKeys, volumeWarnKeys, warnings); err != nil {
			return err
		}
		var opts []string
		if v.ReadOnly {
			opts = append(opts, "ro")
		}
		switch v.Type {
		case types.VolumeTypeBind:
			if v.Bind != nil {
				if err := checkKeys(path+"bind.", v.Bind, bindKeys, nil, nil); err != nil {
					return err
				}
				if !v.Bind.CreateHostPath {
					// create_host_path: false asks for a failure on a missing
					// source, which "-v" cannot express. (The loader sets the
					// default, true; a Go literal must set it too.)
					return unsupported(path + "bind.create_host_path: false")
				}
				if v.Bind.SELinux != "" {
					opts = append(opts, v.Bind.SELinux)
				}
				if v.Bind.Propagation != "" {
					opts = append(opts, v.Bind.Propagation)
				}
			}
			src := v.Source
			if !filepath.IsAbs(src) {
				src = filepath.Join(p.WorkingDir, src)
			}
			spec.Volumes = append(spec.Volumes, joinVolume(src, v.Target, opts))
		case types.VolumeTypeVolume, "":
			var subpath string
			if v.Volume != nil {
				if err := checkKeys(path+"volume.", v.Volume, volumeOptKeys, nil, nil); err != nil {
					return err
				}
				if v.Volume.NoCopy {
					opts = append(opts, "nocopy")
				}
				subpath = v.Volume.Subpath
			}
			if subpath != "" {
				if v.Source == "" {
					return fmt.Errorf("%svolume.subpath needs a named volume as source: an anonymous volume is created empty", path)
				}
				if err := core.ValidateSubpath(subpath); err != nil {
					return fmt.Errorf("%svolume.subpath %v", path, err)
				}
			}
			if v.Source == "" {
				spec.Volumes = append(spec.Volumes, joinVolume("", v.Target, opts)) // anonymous
				continue
			}
			vol, ok := m.volumes[v.Source]
			if !ok {
				return serviceError(core.KindInvalidConfig, s.name, nil, "service %q refers to undefined volume %q", s.name, v.Source)
			}
			if vol.err != nil {
				return vol.err
			}
			s.volumeKeys = appendUnique(s.volumeKeys, v.Source)
			if subpath != "" {
				// "-v" has no subpath: a long-form mount, as docker compose
				// mounts it (VolumeOptions.Subpath).
				spec.Mounts = append(spec.Mounts, core.Mount{Type: "volume", Source: vol.name, Target: v.Target,
					ReadOnly: v.ReadOnly, NoCopy: v.Volume.NoCopy, Subpath: subpath})
				continue
			}
			spec.Volumes = append(spec.Volumes, joinVolume(vol.name, v.Target, opts))
		case types.VolumeTypeTmpfs:
			var topts []string
			if v.Tmpfs != nil {
				if err := checkKeys(path+"tmpfs.", v.Tmpfs, tmpfsKeys, nil, nil); err != nil {
					return err
				}
				if v.Tmpfs.Size != 0 {
					topts = append(topts, "size="+strconv.FormatInt(int64(v.Tmpfs.Size), 10))
				}
				if v.Tmpfs.Mode != 0 {
					topts = append(topts, "mode="+strconv.FormatUint(uint64(v.Tmpfs.Mode), 8))
				}
			}
			if v.ReadOnly {
				topts = append(topts, "ro")
			}
			t := v.Target
			if len(topts) > 0 {
				t += ":" + strings.Join(topts, ",")
			}
			spec.Tmpfs = append(spec.Tmpfs, t)
		default:
			return unsupported(path + "type: " + v.Type)
		}
	}
	return nil
}

func joinVolume(src, dst string, opts []string) string {
	s := dst
	if src != "" {
		s = src + ":" + dst
	}
	if len(opts) > 0 {
		s += ":" + strings.Join(opts, ",")
	}
	return s
}

// composeEnv is a compose environment (a service's, a hook's) as the
// backends take it: the variables with a value, and those without one that
// the loader could not resolve (sorted), which docker compose sends bare
// ("KEY", its ToMobyEnv) and the Docker engine then removes. nil and nil
// for an empty environment.
func composeEnv(env types.MappingWithEquals) (set map[string]string, unset []string) {
	if len(env) == 0 {
		return nil, nil
	}
	set = make(map[string]string, len(env))
	for k, v := range env {
		if v == nil {
			unset = append(unset, k)
		} else {
			set[k] = *v
		}
	}
	slices.Sort(unset)
	return set, unset
}

// convertVolumesFrom resolves volumes_from into the engines' form,
// "container[:ro|:rw]": "service[:mode]" names the service's first
// container, as docker compose picks the first of the service's containers
// by name; "container:name[:mode]" names that container itself. The mode
// is kept (docker compose v5.6.0 drops it: tests/diff/differences.yaml).
func convertVolumesFrom(m *model, s *service) ([]string, error) {
	var out []string
	for i, v := range s.cfg.VolumesFrom {
		name, isContainer, mode, err := graph.VolumesFrom(v)
		if err != nil {
			return nil, fmt.Errorf("volumes_from[%d] %q: %v", i, v, err)
		}
		if !isContainer {
			target, ok := m.services[name]
			if !ok {
				return nil, fmt.Errorf("volumes_from refers to undefined service %q", name)
			}
			name = m.containerName(target, 1)
		}
		if mode != "" {
			name += ":" + mode
		}
		out = append(out, name)
	}
	return out, nil
}

// convertNetworks attaches the container to its networks: the one of
// highest priority is the primary (spec.Network, the one it is created
// with), the others follow in spec.Networks. Every network gets the
// service name as an alias, as docker compose does.
func convertNetworks(m *model, s *service, spec *core.ContainerSpec) error {
	cfg := s.cfg
	if cfg.NetworkMode != "" {
		if len(cfg.Networks) > 0 {
			return fmt.Errorf("network_mode and networks cannot be combined")
		}
		switch {
		case s.networkModeService() != "":
			target, ok := m.services[s.networkModeService()]
			if !ok {
				return fmt.Errorf("network_mode refers to undefined service %q", s.networkModeService())
			}
			spec.Network = types.ContainerPrefix + m.containerName(target, 1)
		default:
			spec.Network = cfg.NetworkMode // host | none | bridge | container:x
		}
		return nil
	}
	keys := cfg.NetworksByPriority()
	if len(keys) == 0 {
		keys = []string{"default"}
	}
	for i, key := range keys {
		nw, ok := m.networks[key]
		if !ok {
			return serviceError(core.KindInvalidConfig, s.name, nil, "service %q refers to undefined network %q", s.name, key)
		}
		if nw.err != nil {
			return nw.err
		}
		s.networkKeys = append(s.networkKeys, key)
		attach := core.NetworkAttach{Name: nw.name}
		nc := cfg.Networks[key]
		if nc.ServiceNameAliasEnabled() {
			attach.Aliases = append(attach.Aliases, s.name)
		}
		if nc != nil {
			if err := checkKeys(fmt.Sprintf("networks.%s.", key), nc, serviceNetKeys, nil, nil); err != nil {
				return err
			}
			attach.Aliases = append(attach.Aliases, nc.Aliases...)
			attach.IPv4Address, attach.IPv6Address = nc.Ipv4Address, nc.Ipv6Address
		}
		if i == 0 {
			spec.Network = attach.Name
			spec.NetworkAliases = attach.Aliases
			if attach.IPv4Address == "" && attach.IPv6Address == "" {
				continue
			}
			// ContainerSpec has no address for the primary network: an
			// entry in Networks naming spec.Network carries it (see the
			// report on core).
		}
		spec.Networks = append(spec.Networks, attach)
	}
	return nil
}

// ownAliases gives the container spec.Name of s its own name as an alias on
// every network it joins, first, as docker compose does: other containers
// reach a replica by its name. keep false leaves out the service's aliases
// (a one-off has its name only, unless run --use-aliases).
func ownAliases(spec *core.ContainerSpec, s *service, keep bool) {
	if len(s.networkKeys) == 0 { // network_mode: no networks of its own
		return
	}
	own := func(aliases []string) []string {
		if !keep {
			aliases = nil
		}
		return withOwnAlias(spec.Name, aliases)
	}
	spec.NetworkAliases = own(spec.NetworkAliases)
	nets := slices.Clone(spec.Networks)
	for i := range nets {
		nets[i].Aliases = own(nets[i].Aliases)
	}
	spec.Networks = nets
}

// withOwnAlias is aliases with name first, in a new slice.
func withOwnAlias(name string, aliases []string) []string {
	return append([]string{name}, slices.DeleteFunc(slices.Clone(aliases), func(a string) bool { return a == name })...)
}

func convertNetwork(key string, n types.NetworkConfig) (core.NetworkConfig, error) {
	wrap := func(err error) *core.Error {
		return core.Errorf(core.KindInvalidConfig, "network %q: %s", key, err.Error()).With("network", key)
	}
	if err := checkKeys("", n, networkKeys, nil, nil); err != nil {
		return core.NetworkConfig{}, wrap(err)
	}
	cfg := core.NetworkConfig{
		Driver:     n.Driver,
		Internal:   n.Internal,
		Attachable: n.Attachable,
		Options:    map[string]string(n.DriverOpts),
	}
	if n.EnableIPv6 != nil {
		cfg.EnableIPv6 = *n.EnableIPv6
	}
	if n.EnableIPv4 != nil && !*n.EnableIPv4 {
		// Only false is carried: true is every runtime's default, so
		// writing it changes neither the network nor its config hash.
		off := false
		cfg.EnableIPv4 = &off
	}
	if err := checkKeys("ipam.", n.Ipam, ipamKeys, nil, nil); err != nil {
		return cfg, wrap(err)
	}
	ipam := &core.IPAM{Driver: n.Ipam.Driver, Options: map[string]string(n.Ipam.Options)}
	for i, pool := range n.Ipam.Config {
		if pool == nil { // `- ~` in the file: a pool without a subnet, which ValidateNetwork names
			pool = &types.IPAMPool{}
		}
		if err := checkKeys(fmt.Sprintf("ipam.config[%d].", i), pool, ipamPoolKeys, nil, nil); err != nil {
			return cfg, wrap(err)
		}
		ipam.Config = append(ipam.Config, core.IPAMPool{Subnet: pool.Subnet, Gateway: pool.Gateway, IPRange: pool.IPRange,
			AuxAddresses: map[string]string(pool.AuxiliaryAddresses)})
	}
	if ipam.Driver != "" || len(ipam.Options) > 0 || len(ipam.Config) > 0 {
		cfg.IPAM = ipam
	}
	cfg.Labels = map[string]string{}
	maps.Copy(cfg.Labels, n.Labels)
	maps.Copy(cfg.Labels, n.CustomLabels)
	// A bad address fails the up before any engine call, naming the field,
	// as the backends would refuse it at the network's create.
	if err := core.ValidateNetwork(key, cfg); err != nil {
		e := wrap(err)
		if arg, ok := core.AsError(err).Details["argument"].(string); ok {
			e = e.With("field", strings.TrimPrefix(arg, "network."))
		}
		return cfg, e
	}
	return cfg, nil
}

func convertVolume(key string, v types.VolumeConfig) (core.VolumeConfig, error) {
	if err := checkKeys("", v, projectVolumeKey, nil, nil); err != nil {
		return core.VolumeConfig{}, core.Errorf(core.KindInvalidConfig, "volume %q: %s", key, err.Error()).With("volume", key)
	}
	cfg := core.VolumeConfig{Driver: v.Driver, Options: map[string]string(v.DriverOpts), Labels: map[string]string{}}
	maps.Copy(cfg.Labels, v.Labels)
	maps.Copy(cfg.Labels, v.CustomLabels)
	return cfg, nil
}

// convertBuild maps a build section; it is checked only when an image is
// actually built, so an unused build section never blocks an up.
func convertBuild(p *types.Project, s *service, warnings *[]string) (core.BuildSpec, error) {
	b := s.cfg.Build
	if err := checkKeys("build.", b, buildKeys, buildWarnKeys, warnings); err != nil {
		e := serviceError(core.KindInvalidConfig, s.name, err, "service %q: %s", s.name, err.Error())
		if f, ok := err.(unsupportedField); ok {
			e = e.With("field", string(f))
		}
		return core.BuildSpec{}, e
	}
	ctxDir := b.Context
	if ctxDir == "" {
		ctxDir = "."
	}
	if !filepath.IsAbs(ctxDir) && !strings.Contains(ctxDir, "://") {
		ctxDir = filepath.Join(p.WorkingDir, ctxDir)
	}
	spec := core.BuildSpec{
		Context:          ctxDir,
		Dockerfile:       b.Dockerfile,
		DockerfileInline: b.DockerfileInline,
		Tags:             slices.Clone(b.Tags),
		ShmSize:          int64(b.ShmSize),
		Target:           b.Target,
		Network:          b.Network,
		NoCache:          b.NoCache,
		Pull:             b.Pull,
		Platform:         s.cfg.Platform,
	}
	if len(b.ExtraHosts) > 0 {
		spec.ExtraHosts = b.ExtraHosts.AsList(":")
		sort.Strings(spec.ExtraHosts)
	}
	if len(b.Platforms) > 1 {
		return spec, serviceError(core.KindInvalidConfig, s.name, nil, "service %q: %s", s.name, unsupported("build.platforms (more than one)").Error())
	}
	if len(b.Platforms) == 1 {
		spec.Platform = b.Platforms[0]
	}
	if len(b.Args) > 0 {
		spec.Args = map[string]string{}
		for k, v := range b.Args {
			if v != nil {
				spec.Args[k] = *v
			}
		}
	}
	if len(b.Labels) > 0 {
		spec.Labels = map[string]string(b.Labels)
	}
	return spec, nil
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
