package diff

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
)

// The observed state of one project, flattened to path → value so that
// two projects compare key by key and a divergence has a path the
// differences file can name.
type state map[string]string

const (
	labelProject = "com.docker.compose.project"
	labelService = "com.docker.compose.service"
)

// Labels that differ by construction between two tools: the tool's own
// version, and its hash of the service configuration (each tool hashes
// its own representation; what a hash change does, a recreate, is
// observed through container IDs instead).
var volatileLabels = []string{"com.docker.compose.version", "com.docker.compose.config-hash"}

// normalizer rewrites what differs between the two runs by construction:
// the project directory, the project name, ids and relative times.
type normalizer struct {
	dir, project string
}

var (
	// Ids stand between characters that are not letters or digits ("_"
	// too: a renamed container is "<id>_name").
	longID   = regexp.MustCompile(`(^|[^0-9a-zA-Z])[0-9a-f]{64}([^0-9a-zA-Z]|$)`)
	shortID  = regexp.MustCompile(`(^|[^0-9a-zA-Z])[0-9a-f]{12}([^0-9a-zA-Z]|$)`)
	duration = regexp.MustCompile(`(Less than a second|About a minute|About an hour|an? (second|minute|hour)|\d+(\.\d+)? ?(seconds?|minutes?|hours?|days?|weeks?|ms|s|m))`)
	stamp    = regexp.MustCompile(`\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)`)
)

func (n normalizer) s(v string) string {
	if n.dir != "" {
		v = strings.ReplaceAll(v, n.dir, "$DIR")
	}
	v = strings.ReplaceAll(v, n.project, "$PROJECT")
	v = longID.ReplaceAllString(v, "${1}<id>${2}")
	v = shortID.ReplaceAllString(v, "${1}<id>${2}")
	v = stamp.ReplaceAllString(v, "<time>")
	return durationNorm(v)
}

func durationNorm(v string) string { return duration.ReplaceAllString(v, "<t>") }

// observe reads the project's containers, networks and volumes. prev maps
// normalised container names to the ids of the previous observation, so
// that each container says whether it was kept, replaced or is new; the
// returned map is the next prev.
func observe(ctx context.Context, c *client.Client, n normalizer, prev map[string]string) (state, map[string]string, error) {
	st := state{}
	filter := client.Filters{}.Add("label", labelProject+"="+n.project)
	list, err := c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: filter})
	if err != nil {
		return nil, nil, err
	}
	// One-off containers have a random suffix: number them by creation.
	sort.Slice(list.Items, func(i, j int) bool { return list.Items[i].Created < list.Items[j].Created })
	ids := map[string]string{}
	runs := map[string]int{}
	for _, item := range list.Items {
		res, err := c.ContainerInspect(ctx, item.ID, client.ContainerInspectOptions{})
		if err != nil {
			continue // removed meanwhile
		}
		ci := res.Container
		name := n.s(strings.TrimPrefix(ci.Name, "/"))
		if ci.Config != nil && ci.Config.Labels["com.docker.compose.oneoff"] == "True" {
			svc := ci.Config.Labels[labelService]
			runs[svc]++
			name = fmt.Sprintf("%s-run#%d", svc, runs[svc])
		}
		ids[name] = ci.ID
		p := "state.containers[" + name + "]"
		switch old, ok := prev[name]; {
		case !ok:
			st[p+".id"] = "new"
		case old == ci.ID:
			st[p+".id"] = "kept"
		default:
			st[p+".id"] = "replaced"
		}
		addContainer(st, p, ci, n)
	}
	nets, err := c.NetworkList(ctx, client.NetworkListOptions{Filters: filter})
	if err != nil {
		return nil, nil, err
	}
	for _, nw := range nets.Items {
		res, err := c.NetworkInspect(ctx, nw.ID, client.NetworkInspectOptions{})
		if err != nil {
			continue
		}
		ni := res.Network
		p := "state.networks[" + n.s(ni.Name) + "]"
		if _, dup := st[p+".driver"]; dup {
			st[p+".duplicates"] = "yes"
		}
		st[p+".driver"] = ni.Driver
		st[p+".internal"] = strconv.FormatBool(ni.Internal)
		st[p+".attachable"] = strconv.FormatBool(ni.Attachable)
		st[p+".ipv6"] = strconv.FormatBool(ni.EnableIPv6)
		addLabels(st, p, ni.Labels, n)
		for k, v := range ni.Options {
			st[p+".options["+k+"]"] = n.s(v)
		}
		if ni.IPAM.Driver != "" {
			st[p+".ipam.driver"] = ni.IPAM.Driver
		}
		for i, cfg := range ni.IPAM.Config {
			sub := cfg.Subnet.String()
			if !cfg.Subnet.IsValid() || autoSubnet(sub) {
				continue // the engine's pick: differs run to run
			}
			q := fmt.Sprintf("%s.ipam.config[%d]", p, i)
			st[q+".subnet"] = sub
			if cfg.Gateway.IsValid() {
				st[q+".gateway"] = cfg.Gateway.String()
			}
			if cfg.IPRange.IsValid() {
				st[q+".ip_range"] = cfg.IPRange.String()
			}
			for k, a := range cfg.AuxAddress {
				st[q+".aux["+k+"]"] = a.String()
			}
		}
	}
	vols, err := c.VolumeList(ctx, client.VolumeListOptions{Filters: filter})
	if err != nil {
		return nil, nil, err
	}
	for _, v := range vols.Items {
		p := "state.volumes[" + n.s(v.Name) + "]"
		st[p+".driver"] = v.Driver
		addLabels(st, p, v.Labels, n)
		for k, val := range v.Options {
			st[p+".options["+k+"]"] = n.s(val)
		}
	}
	return st, ids, nil
}

// autoSubnet says whether a subnet comes from the engine's default pools
// rather than from the compose file: scenarios declare theirs in 10.2xx.
func autoSubnet(s string) bool { return !strings.HasPrefix(s, "10.2") }

func addLabels(st state, p string, labels map[string]string, n normalizer) {
	for k, v := range labels {
		if !strings.HasPrefix(k, "com.docker.compose.") || slices.Contains(volatileLabels, k) {
			continue
		}
		st[p+".labels["+k+"]"] = n.s(v)
	}
}

func addContainer(st state, p string, ci container.InspectResponse, n normalizer) {
	if s := ci.State; s != nil {
		st[p+".state"] = string(s.Status)
		if s.Status == container.StateExited {
			st[p+".exit"] = strconv.Itoa(s.ExitCode)
		}
		if s.Health != nil {
			st[p+".health"] = string(s.Health.Status)
		}
	}
	if cfg := ci.Config; cfg != nil {
		addLabels(st, p, cfg.Labels, n)
		for _, e := range cfg.Env {
			k, v, _ := strings.Cut(e, "=")
			st[p+".env["+k+"]"] = n.s(v)
		}
		st[p+".image"] = n.s(cfg.Image)
		st[p+".cmd"] = n.s(strings.Join(cfg.Cmd, " "))
		if len(cfg.Entrypoint) > 0 {
			st[p+".entrypoint"] = n.s(strings.Join(cfg.Entrypoint, " "))
		}
		if cfg.User != "" {
			st[p+".user"] = cfg.User
		}
		if cfg.WorkingDir != "" {
			st[p+".workdir"] = cfg.WorkingDir
		}
		st[p+".tty"] = strconv.FormatBool(cfg.Tty)
		st[p+".stdin_open"] = strconv.FormatBool(cfg.OpenStdin)
		if cfg.Healthcheck != nil && len(cfg.Healthcheck.Test) > 0 {
			st[p+".healthcheck"] = strings.Join(cfg.Healthcheck.Test, " ")
		}
		if cfg.Hostname != "" {
			st[p+".hostname"] = n.s(cfg.Hostname)
		}
	}
	if hc := ci.HostConfig; hc != nil {
		st[p+".restart"] = string(hc.RestartPolicy.Name)
		if hc.Init != nil && *hc.Init {
			st[p+".init"] = "true"
		}
		if hc.ReadonlyRootfs {
			st[p+".read_only"] = "true"
		}
		if hc.Privileged {
			st[p+".privileged"] = "true"
		}
		if hc.Memory != 0 {
			st[p+".memory"] = strconv.FormatInt(hc.Memory, 10)
		}
		for k, v := range map[string]int64{"memswap_limit": hc.MemorySwap, "cpu_shares": hc.CPUShares, "cpu_period": hc.CPUPeriod,
			"cpu_quota": hc.CPUQuota, "oom_score_adj": int64(hc.OomScoreAdj)} {
			if v != 0 {
				st[p+"."+k] = strconv.FormatInt(v, 10)
			}
		}
		if hc.CpusetCpus != "" {
			st[p+".cpuset"] = hc.CpusetCpus
		}
		for _, g := range hc.GroupAdd {
			st[p+".group_add["+g+"]"] = "yes"
		}
		for _, d := range hc.Devices {
			st[p+".devices["+d.PathInContainer+"]"] = d.PathOnHost + ":" + d.CgroupPermissions
		}
		for i, r := range hc.DeviceRequests {
			// Capabilities as a set: the engine matches them so, and docker
			// compose repeats "gpu" when a gpus entry names it.
			var caps []string
			for _, set := range r.Capabilities {
				caps = append(caps, set...)
			}
			slices.Sort(caps)
			st[p+".device_requests["+strconv.Itoa(i)+"]"] = fmt.Sprintf("driver=%s count=%d ids=%v caps=%v options=%v",
				r.Driver, r.Count, r.DeviceIDs, slices.Compact(caps), r.Options)
		}
		for _, h := range hc.ExtraHosts {
			st[p+".extra_hosts["+h+"]"] = "yes"
		}
		for k, v := range hc.Tmpfs {
			st[p+".tmpfs["+k+"]"] = v
		}
		for port, bindings := range hc.PortBindings {
			var hosts []string
			for _, b := range bindings {
				hp := b.HostPort
				if hp == "" {
					hp = "<ephemeral>"
				}
				ip := ""
				if b.HostIP.IsValid() {
					ip = b.HostIP.String()
				}
				hosts = append(hosts, ip+":"+hp)
			}
			sort.Strings(hosts)
			st[p+".ports["+port.String()+"]"] = strings.Join(hosts, ",")
		}
	}
	for _, m := range ci.Mounts {
		src := m.Source
		if m.Type == "volume" {
			src = m.Name
		}
		if m.Type == "volume" && longID.MatchString(src) {
			src = "<anonymous>"
		}
		st[p+".mounts["+m.Destination+"]"] = fmt.Sprintf("%s:%s:rw=%t", m.Type, n.s(src), m.RW)
	}
	if ns := ci.NetworkSettings; ns != nil {
		for name, ep := range ns.Networks {
			q := p + ".networks[" + n.s(name) + "]"
			var aliases []string
			for _, a := range ep.Aliases {
				if n.s(a) != "<id>" { // the engine adds the short id
					aliases = append(aliases, n.s(a))
				}
			}
			sort.Strings(aliases)
			st[q] = strings.Join(aliases, ",")
			if ep.IPAMConfig != nil && ep.IPAMConfig.IPv4Address.IsValid() {
				st[q+".ipv4"] = ep.IPAMConfig.IPv4Address.String()
			}
		}
	}
}

// resourceOf is the container, network or volume a state path is about
// ("state.containers[x]"), or "".
func resourceOf(k string) string {
	if !strings.HasPrefix(k, "state.") {
		return ""
	}
	if i := strings.Index(k, "]"); i > 0 {
		return k[:i+1]
	}
	return ""
}

// compareStates lists the paths whose values differ. A container,
// network or volume that only one tool made is one divergence, not one
// per field.
func compareStates(dc, pc state) []divergence {
	keys := map[string]bool{}
	in := [2]map[string]bool{{}, {}}
	for i, st := range []state{dc, pc} {
		for k := range st {
			keys[k] = true
			in[i][resourceOf(k)] = true
		}
	}
	var out []divergence
	reported := map[string]bool{}
	for _, k := range slices.Sorted(maps.Keys(keys)) {
		if r := resourceOf(k); r != "" && in[0][r] != in[1][r] {
			if !reported[r] {
				reported[r] = true
				d := divergence{path: r, dc: "<absent>", pc: "<absent>"}
				if in[0][r] {
					d.dc = summary(dc, r)
				} else {
					d.pc = summary(pc, r)
				}
				out = append(out, d)
			}
			continue
		}
		dv, dok := dc[k]
		pv, pok := pc[k]
		if dok == pok && dv == pv {
			continue
		}
		if !dok {
			dv = "<absent>"
		}
		if !pok {
			pv = "<absent>"
		}
		out = append(out, divergence{path: k, dc: dv, pc: pv})
	}
	return out
}

// summary describes a resource only one tool made: its state, if any.
func summary(st state, r string) string {
	if v, ok := st[r+".state"]; ok {
		return "present, " + v
	}
	return "present"
}
