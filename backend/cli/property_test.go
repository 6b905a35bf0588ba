package cli

import (
	"encoding/csv"
	"fmt"
	"maps"
	"net"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/perryts/perry-container/core"
)

// Generators of valid ContainerSpecs. Strings are arbitrary Unicode without
// control characters, so quotes, commas, "=", spaces and leading dashes all
// occur; injectControl then puts a control character (NUL included) into one
// string of about half the specs.

func textRune() *rapid.Generator[rune] {
	return rapid.Rune().Filter(func(r rune) bool { return !core.IsControl(r) })
}

func anyString() *rapid.Generator[string] { return rapid.StringOfN(textRune(), 0, 12, -1) }

func nonEmpty() *rapid.Generator[string] { return rapid.StringOfN(textRune(), 1, 12, -1) }

func key() *rapid.Generator[string] {
	return rapid.StringMatching(`[A-Za-z_][A-Za-z0-9_.:/-]{0,10}`)
}

func strings_(t *rapid.T, label string) []string {
	return rapid.SliceOfN(anyString(), 0, 3).Draw(t, label)
}

func pairs(t *rapid.T, label string) map[string]string {
	return rapid.MapOfN(key(), anyString(), 0, 3).Draw(t, label)
}

func maybe(t *rapid.T, label string) bool { return rapid.Bool().Draw(t, label) }

// genSpec draws a ContainerSpec; every field is set about half the time.
func genSpec(t *rapid.T) *core.ContainerSpec {
	s := &core.ContainerSpec{Image: rapid.StringMatching(`[-a-z0-9][a-z0-9./:@_-]{0,20}`).Draw(t, "image")}
	if maybe(t, "name?") {
		s.Name = rapid.StringMatching(`[a-zA-Z0-9][a-zA-Z0-9_.-]{0,15}`).Draw(t, "name")
	}
	s.Ports = genPorts(t, "ports")
	s.Volumes = strings_(t, "volumes")
	s.Env = pairs(t, "env")
	s.Cmd = strings_(t, "cmd")
	if maybe(t, "entrypoint?") {
		s.Entrypoint = rapid.SliceOfN(anyString(), 1, 3).Draw(t, "entrypoint")
	}
	if maybe(t, "network?") {
		s.Network = nonEmpty().Draw(t, "network")
	}
	s.Rm = maybe(t, "rm")
	s.ReadOnly = maybe(t, "read_only")
	if maybe(t, "seccomp?") {
		s.Seccomp = nonEmpty().Draw(t, "seccomp")
	}
	s.Privileged = maybe(t, "privileged")
	s.User = anyString().Draw(t, "user")
	s.Workdir = anyString().Draw(t, "workdir")
	s.CapAdd = strings_(t, "cap_add")
	s.CapDrop = strings_(t, "cap_drop")
	s.Labels = pairs(t, "labels")
	s.Hostname = anyString().Draw(t, "hostname")
	s.Domainname = anyString().Draw(t, "domainname")
	if s.Network != "" {
		s.NetworkAliases = strings_(t, "network_aliases")
	}
	for i, n := range rapid.SliceOfNDistinct(nonEmpty(), 0, 3, func(s string) string { return s }).Draw(t, "networks") {
		if n == s.Network {
			continue
		}
		s.Networks = append(s.Networks, core.NetworkAttach{Name: n, Aliases: strings_(t, "aliases"+strconv.Itoa(i)),
			IPv4Address: anyString().Draw(t, "ipv4"), IPv6Address: anyString().Draw(t, "ipv6")})
	}
	s.Restart = anyString().Draw(t, "restart")
	if maybe(t, "healthcheck?") {
		s.Healthcheck = genHealthcheck(t)
	}
	s.StopSignal = anyString().Draw(t, "stop_signal")
	if maybe(t, "stop_timeout?") {
		n := rapid.IntRange(0, 600).Draw(t, "stop_timeout")
		s.StopTimeout = &n
	}
	s.ExtraHosts = strings_(t, "extra_hosts")
	s.DNS = strings_(t, "dns")
	s.DNSSearch = strings_(t, "dns_search")
	s.DNSOpt = strings_(t, "dns_opt")
	s.Tmpfs = strings_(t, "tmpfs")
	s.ShmSize = rapid.Int64Range(0, 1<<34).Draw(t, "shm_size")
	s.Memory = rapid.Int64Range(0, 1<<40).Draw(t, "memory")
	s.MemoryReserve = rapid.Int64Range(0, 1<<40).Draw(t, "memory_reservation")
	if maybe(t, "cpus?") {
		s.CPUs = rapid.Float64Range(0.01, 128).Draw(t, "cpus")
	}
	s.PidsLimit = rapid.Int64Range(-1, 1<<20).Draw(t, "pids_limit")
	s.Init = maybe(t, "init")
	s.Pid = anyString().Draw(t, "pid")
	s.Ipc = anyString().Draw(t, "ipc")
	s.SecurityOpt = strings_(t, "security_opt")
	s.Sysctls = pairs(t, "sysctls")
	for i := range rapid.IntRange(0, 2).Draw(t, "ulimits") {
		s.Ulimits = append(s.Ulimits, core.Ulimit{Name: key().Draw(t, "ulimit"+strconv.Itoa(i)),
			Soft: rapid.Int64Range(0, 1<<20).Draw(t, "soft"), Hard: rapid.Int64Range(0, 1<<20).Draw(t, "hard")})
	}
	s.Expose = strings_(t, "expose")
	s.Platform = anyString().Draw(t, "platform")
	s.Tty = maybe(t, "tty")
	s.StdinOpen = maybe(t, "stdin_open")
	s.LogDriver = anyString().Draw(t, "log_driver")
	s.LogOpts = pairs(t, "log_opts")
	for i := range rapid.IntRange(0, 2).Draw(t, "mounts") {
		s.Mounts = append(s.Mounts, genMount(t, i))
	}
	return s
}

func genHealthcheck(t *rapid.T) *core.Healthcheck {
	durations := rapid.SampledFrom([]string{"", "1s", "500ms", "1m30s", "2h"})
	hc := &core.Healthcheck{
		Interval: durations.Draw(t, "interval"), Timeout: durations.Draw(t, "timeout"),
		StartPeriod: durations.Draw(t, "start_period"), StartInterval: durations.Draw(t, "start_interval"),
		Retries: rapid.IntRange(0, 10).Draw(t, "retries"),
	}
	switch rapid.IntRange(0, 3).Draw(t, "test kind") {
	case 0:
		hc.Test = []string{"CMD-SHELL", anyString().Draw(t, "shell")}
	case 1:
		hc.Test = append([]string{"CMD"}, rapid.SliceOfN(anyString(), 1, 3).Draw(t, "exec")...)
	case 2:
		hc.Test = []string{"NONE"}
	default:
		hc.Disable = true
	}
	return hc
}

func genMount(t *rapid.T, i int) core.Mount {
	n := strconv.Itoa(i)
	m := core.Mount{Type: rapid.SampledFrom([]string{"bind", "volume", "tmpfs"}).Draw(t, "type"+n), Target: nonEmpty().Draw(t, "target"+n)}
	if m.Type != "tmpfs" {
		m.Source = anyString().Draw(t, "source"+n)
	}
	m.ReadOnly = maybe(t, "readonly"+n)
	if m.Type == "volume" {
		m.NoCopy = maybe(t, "nocopy"+n)
	}
	if m.Type == "tmpfs" {
		m.TmpfsSize = rapid.Int64Range(0, 1<<30).Draw(t, "tmpfs_size"+n)
	}
	return m
}

// expectation is what one set field must produce in a docker argv.
type expectation struct {
	field  string
	tokens []string // each must be an argument of the create command
	check  func(create []string, connects [][]string) bool
}

// dockerExpectations is the independent oracle: for every set field of s,
// the flag-form tokens the docker protocol must produce.
func dockerExpectations(s *core.ContainerSpec) []expectation {
	var exp []expectation
	add := func(field string, tokens ...string) { exp = append(exp, expectation{field: field, tokens: tokens}) }
	flagEach := func(field, flag string, vs []string) {
		if len(vs) > 0 {
			var toks []string
			for _, v := range vs {
				toks = append(toks, flag+"="+v)
			}
			add(field, toks...)
		}
	}
	flagPairs := func(field, flag string, m map[string]string) {
		if len(m) > 0 {
			var toks []string
			for k, v := range m {
				toks = append(toks, flag+"="+k+"="+v)
			}
			add(field, toks...)
		}
	}
	flagOpt := func(field, flag, v string) {
		if v != "" {
			add(field, flag+"="+v)
		}
	}
	flagBool := func(field, flag string, v bool) {
		if v {
			add(field, flag)
		}
	}
	flagInt := func(field, flag string, v int64) {
		if v != 0 {
			add(field, flag+"="+strconv.FormatInt(v, 10))
		}
	}

	add("image") // the positional check covers it
	flagOpt("name", "--name", s.Name)
	flagEach("ports", "--publish", s.Ports)
	flagEach("volumes", "--volume", s.Volumes)
	flagPairs("env", "--env", s.Env)
	if len(s.Cmd) > 0 {
		add("cmd") // positional check
	}
	if len(s.Entrypoint) > 0 {
		add("entrypoint", "--entrypoint="+s.Entrypoint[0])
	}
	primary := s.Network
	extras := s.Networks
	if primary == "" && len(extras) > 0 {
		p := extras[0]
		extras = extras[1:]
		add("networks", "--network="+p.Name)
		flagEach("networks", "--network-alias", p.Aliases)
		flagOpt("networks", "--ip", p.IPv4Address)
		flagOpt("networks", "--ip6", p.IPv6Address)
	}
	flagOpt("network", "--network", primary)
	flagEach("network_aliases", "--network-alias", s.NetworkAliases)
	for _, n := range extras {
		want := []string{"network", "connect"}
		for _, a := range n.Aliases {
			want = append(want, "--alias="+a)
		}
		if n.IPv4Address != "" {
			want = append(want, "--ip="+n.IPv4Address)
		}
		if n.IPv6Address != "" {
			want = append(want, "--ip6="+n.IPv6Address)
		}
		want = append(want, "--", n.Name, "ID")
		exp = append(exp, expectation{field: "networks", check: func(_ []string, connects [][]string) bool {
			return slices.ContainsFunc(connects, func(c []string) bool { return slices.Equal(c, want) })
		}})
	}
	flagBool("rm", "--rm", s.Rm)
	flagBool("read_only", "--read-only", s.ReadOnly)
	flagOpt("seccomp", "--security-opt", prefixed("seccomp=", s.Seccomp))
	flagBool("privileged", "--privileged", s.Privileged)
	flagOpt("user", "--user", s.User)
	flagOpt("workdir", "--workdir", s.Workdir)
	flagEach("cap_add", "--cap-add", s.CapAdd)
	flagEach("cap_drop", "--cap-drop", s.CapDrop)
	flagPairs("labels", "--label", s.Labels)
	flagOpt("hostname", "--hostname", s.Hostname)
	flagOpt("domainname", "--domainname", s.Domainname)
	flagOpt("restart", "--restart", s.Restart)
	if hc := s.Healthcheck; hc != nil {
		exp = append(exp, healthExpectation(hc))
	}
	flagOpt("stop_signal", "--stop-signal", s.StopSignal)
	if s.StopTimeout != nil {
		add("stop_timeout", "--stop-timeout="+strconv.Itoa(*s.StopTimeout))
	}
	flagEach("extra_hosts", "--add-host", s.ExtraHosts)
	flagEach("dns", "--dns", s.DNS)
	flagEach("dns_search", "--dns-search", s.DNSSearch)
	flagEach("dns_opt", "--dns-option", s.DNSOpt)
	flagEach("tmpfs", "--tmpfs", s.Tmpfs)
	flagInt("shm_size", "--shm-size", s.ShmSize)
	flagInt("memory", "--memory", s.Memory)
	flagInt("memory_reservation", "--memory-reservation", s.MemoryReserve)
	if s.CPUs != 0 {
		want := s.CPUs
		exp = append(exp, expectation{field: "cpus", check: func(create []string, _ [][]string) bool {
			return slices.ContainsFunc(create, func(a string) bool {
				v, ok := strings.CutPrefix(a, "--cpus=")
				f, err := strconv.ParseFloat(v, 64)
				return ok && err == nil && f == want
			})
		}})
	}
	flagInt("pids_limit", "--pids-limit", s.PidsLimit)
	flagInt("memswap_limit", "--memory-swap", s.MemorySwap)
	flagInt("cpu_shares", "--cpu-shares", s.CPUShares)
	flagInt("cpu_period", "--cpu-period", s.CPUPeriod)
	flagInt("cpu_quota", "--cpu-quota", s.CPUQuota)
	flagOpt("cpuset", "--cpuset-cpus", s.CPUSet)
	flagInt("oom_score_adj", "--oom-score-adj", s.OomScoreAdj)
	flagEach("group_add", "--group-add", s.GroupAdd)
	for _, d := range s.Devices {
		target := d.Target
		if target == "" {
			target = d.Source
		}
		if d.Permissions == "" {
			add("devices", "--device="+d.Source+":"+target)
		} else {
			add("devices", "--device="+d.Source+":"+target+":"+d.Permissions)
		}
	}
	if s.MemSwappiness != nil {
		add("mem_swappiness", "--memory-swappiness="+strconv.FormatInt(*s.MemSwappiness, 10))
	}
	flagBool("oom_kill_disable", "--oom-kill-disable", s.OomKillDisable)
	if b := s.Blkio; b != nil {
		add("blkio_config")
		if b.Weight != 0 {
			add("blkio_config", "--blkio-weight="+strconv.Itoa(int(b.Weight)))
		}
		for _, d := range b.WeightDevice {
			add("blkio_config", "--blkio-weight-device="+d.Path+":"+strconv.Itoa(int(d.Weight)))
		}
		for flag, ds := range map[string][]core.ThrottleDevice{"--device-read-bps": b.DeviceReadBps, "--device-read-iops": b.DeviceReadIOps,
			"--device-write-bps": b.DeviceWriteBps, "--device-write-iops": b.DeviceWriteIOps} {
			for _, d := range ds {
				add("blkio_config", flag+"="+d.Path+":"+strconv.FormatInt(d.Rate, 10))
			}
		}
	}
	flagOpt("cgroup", "--cgroupns", s.Cgroup)
	flagOpt("runtime", "--runtime", s.Runtime)
	flagOpt("userns_mode", "--userns", s.UsernsMode)
	if s.MacAddress != "" {
		hw, _ := net.ParseMAC(s.MacAddress)
		add("mac_address", "--mac-address="+hw.String())
	}
	flagPairs("storage_opt", "--storage-opt", s.StorageOpt)
	flagEach("volumes_from", "--volumes-from", s.VolumesFrom)
	flagBool("init", "--init", s.Init)
	flagOpt("pid", "--pid", s.Pid)
	flagOpt("ipc", "--ipc", s.Ipc)
	flagEach("security_opt", "--security-opt", s.SecurityOpt)
	flagPairs("sysctls", "--sysctl", s.Sysctls)
	for _, u := range s.Ulimits {
		add("ulimits", "--ulimit="+u.Name+"="+strconv.FormatInt(u.Soft, 10)+":"+strconv.FormatInt(u.Hard, 10))
	}
	flagEach("expose", "--expose", s.Expose)
	flagOpt("platform", "--platform", s.Platform)
	flagBool("tty", "--tty", s.Tty)
	flagBool("stdin_open", "--interactive", s.StdinOpen)
	flagOpt("log_driver", "--log-driver", s.LogDriver)
	flagPairs("log_opts", "--log-opt", s.LogOpts)
	for _, m := range s.Mounts {
		exp = append(exp, mountExpectation(m))
	}
	return exp
}

func prefixed(prefix, v string) string {
	if v == "" {
		return ""
	}
	return prefix + v
}

// mountExpectation decodes --mount values as docker does (CSV) and looks
// for the mount's fields.
func mountExpectation(m core.Mount) expectation {
	want := []string{"type=" + m.Type}
	if m.Source != "" {
		want = append(want, "source="+m.Source)
	}
	want = append(want, "target="+m.Target)
	if m.ReadOnly {
		want = append(want, "readonly")
	}
	if m.NoCopy {
		want = append(want, "volume-nocopy")
	}
	if m.TmpfsSize != 0 {
		want = append(want, "tmpfs-size="+strconv.FormatInt(m.TmpfsSize, 10))
	}
	if m.Subpath != "" {
		want = append(want, "volume-subpath="+m.Subpath)
	}
	return expectation{field: "mounts", check: func(create []string, _ [][]string) bool {
		return slices.ContainsFunc(create, func(a string) bool {
			v, ok := strings.CutPrefix(a, "--mount=")
			if !ok {
				return false
			}
			r := csv.NewReader(strings.NewReader(v))
			fields, err := r.Read()
			return err == nil && slices.Equal(fields, want)
		})
	}}
}

// healthExpectation checks the health flags; an exec-form test must come
// back word for word when the shell string is split as sh would.
func healthExpectation(hc *core.Healthcheck) expectation {
	return expectation{field: "healthcheck", check: func(create []string, _ [][]string) bool {
		if hc.Disable || hc.Test[0] == "NONE" {
			return slices.Contains(create, "--no-healthcheck")
		}
		var cmd string
		for _, a := range create {
			if v, ok := strings.CutPrefix(a, "--health-cmd="); ok {
				cmd = v
			}
		}
		switch hc.Test[0] {
		case "CMD-SHELL":
			if cmd != hc.Test[1] {
				return false
			}
		case "CMD":
			if words, ok := splitShellQuoted(cmd); !ok || !slices.Equal(words, hc.Test[1:]) {
				return false
			}
		}
		for flag, v := range map[string]string{"--health-interval": hc.Interval, "--health-timeout": hc.Timeout,
			"--health-start-period": hc.StartPeriod, "--health-start-interval": hc.StartInterval} {
			if v != "" && !slices.Contains(create, flag+"="+v) {
				return false
			}
		}
		return hc.Retries == 0 || slices.Contains(create, "--health-retries="+strconv.Itoa(hc.Retries))
	}}
}

// splitShellQuoted splits words the way sh does for the quoting shellJoin
// emits: bare words, single-quoted words, and backslash-escaped quotes
// between them.
func splitShellQuoted(s string) ([]string, bool) {
	var words []string
	var cur strings.Builder
	in, started := false, false
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case in && ch == '\'':
			in = false
		case in:
			cur.WriteByte(ch)
		case ch == '\'':
			in, started = true, true
		case ch == '\\' && i+1 < len(s):
			i++
			cur.WriteByte(s[i])
			started = true
		case ch == ' ':
			if started {
				words = append(words, cur.String())
				cur.Reset()
				started = false
			}
		default:
			cur.WriteByte(ch)
			started = true
		}
	}
	if in {
		return nil, false
	}
	if started {
		words = append(words, cur.String())
	}
	return words, true
}

// setFields lists the JSON names of the fields of s that are set.
func setFields(s *core.ContainerSpec) []string {
	v := reflect.ValueOf(*s)
	var names []string
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		empty := f.IsZero() || ((f.Kind() == reflect.Slice || f.Kind() == reflect.Map) && f.Len() == 0)
		if !empty {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
			names = append(names, name)
		}
	}
	return names
}

// Feature: perry-container, Property 3: ContainerSpec CLI Argument Round-Trip
//
// For any valid ContainerSpec, the docker protocol's argv holds every set
// field in its flag form (networks beyond the first in `network connect`
// commands), and after "--" the image comes first, then the entrypoint's
// tail and the command, verbatim. No field is silently dropped: the oracle
// must account for every set field, so a field added to ContainerSpec fails
// this property until it is mapped.
//
// A control character in a string either reaches the argv byte for byte or
// is refused with an InvalidArgument naming its field, never corrupted: the
// CSV of --mount once turned a target "\r\n" into "\n".
func TestPropertyContainerSpecArgsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := genSpec(t)
		checkArgsRoundTrip(t, spec, injectControl(t, spec))
	})
}

// The same property for the CPU, swap, OOM, group and device fields, drawn
// on top of genSpec's spec. A property of its own so that genSpec's draws,
// and with them the committed failure files of the property above, stay
// as they were.
func TestPropertyCgroupFieldArgsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := genSpec(t)
		genCgroup(t, spec)
		checkArgsRoundTrip(t, spec, injectControl(t, spec))
	})
}

// genCgroup sets the cgroup fields, each about half the time, to values
// core accepts (arbitrary ones are core's own tests').
func genCgroup(t *rapid.T, s *core.ContainerSpec) {
	path := rapid.StringMatching(`(/[A-Za-z0-9 ._"'=-]{1,6}){1,3}`)
	if maybe(t, "memswap_limit?") {
		s.MemorySwap = rapid.Int64Range(-1, 1<<40).Draw(t, "memswap_limit")
	}
	s.CPUShares = rapid.Int64Range(0, 1<<18).Draw(t, "cpu_shares")
	s.CPUPeriod = rapid.Int64Range(0, 1e6).Draw(t, "cpu_period")
	s.CPUQuota = rapid.Int64Range(-1, 1e7).Draw(t, "cpu_quota")
	s.CPUSet = rapid.StringMatching(`([0-9]{1,2}(-[0-9]{1,2})?(,[0-9]{1,2}(-[0-9]{1,2})?){0,2})?`).Draw(t, "cpuset")
	s.OomScoreAdj = rapid.Int64Range(-1000, 1000).Draw(t, "oom_score_adj")
	s.GroupAdd = rapid.SliceOfN(rapid.StringMatching(`[a-z0-9_][a-z0-9_.-]{0,7}`), 0, 3).Draw(t, "group_add")
	for i := range rapid.IntRange(0, 2).Draw(t, "devices") {
		n := strconv.Itoa(i)
		d := core.Device{Source: path.Draw(t, "device source"+n)}
		if maybe(t, "device target?"+n) {
			d.Target = path.Draw(t, "device target"+n)
		}
		d.Permissions = rapid.StringMatching(`r?w?m?`).Draw(t, "device permissions"+n)
		s.Devices = append(s.Devices, d)
	}
}

// The same property for mem_swappiness, oom_kill_disable, blkio_config,
// cgroup, runtime, userns_mode, mac_address and storage_opt, drawn on top
// of genSpec's spec (a property of its own, so that the committed failure
// files of the properties above still replay). Annotations, which the
// docker flavour refuses, must be refused naming them and reach podman
// (as a CSV list value) and nerdctl intact.
func TestPropertyServiceFieldArgsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := genSpec(t)
		genServiceFields(t, spec)
		if len(spec.Annotations) > 0 {
			checkAnnotations(t, spec)
			spec.Annotations = nil
		}
		checkArgsRoundTrip(t, spec, injectControl(t, spec))
	})
}

// The same property for a named volume mounted at a subpath (a property of
// its own, so that the committed failure files above still replay): the
// docker argv carries it as volume-subpath in the --mount CSV record, and
// podman's as subpath, each read back whole by a CSV reader whatever
// commas, quotes and '=' it holds; a control character in it is refused
// naming mounts[i].subpath.
func TestPropertySubpathMountArgsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := genSpec(t)
		m := genSubpathMount(t)
		spec.Mounts = append(spec.Mounts, m)
		injected := injectControl(t, spec)
		checkArgsRoundTrip(t, spec, injected)
		if injected.refused() {
			return
		}
		args, err := podmanP.CreateArgs(&core.ContainerSpec{Image: "img", Mounts: []core.Mount{m}})
		if err != nil {
			t.Fatalf("podman: %v", err)
		}
		want := []string{"type=volume", "source=" + m.Source, "target=" + m.Target}
		if m.ReadOnly {
			want = append(want, "readonly")
		}
		if m.NoCopy {
			want = append(want, "volume-nocopy")
		}
		want = append(want, "subpath="+m.Subpath)
		for _, a := range args {
			if v, ok := strings.CutPrefix(a, "--mount="); ok {
				if fields, err := csv.NewReader(strings.NewReader(v)).Read(); err != nil || !slices.Equal(fields, want) {
					t.Fatalf("podman --mount=%s reads as %q (%v), want %q", v, fields, err, want)
				}
				return
			}
		}
		t.Fatalf("podman argv %q has no --mount", args)
	})
}

// genSubpathMount draws a named volume mount at a subpath core accepts:
// relative, its segments never "..".
func genSubpathMount(t *rapid.T) core.Mount {
	segment := rapid.StringOfN(textRune().Filter(func(r rune) bool { return r != '/' }), 1, 6, -1).Filter(func(s string) bool { return s != ".." })
	return core.Mount{Type: "volume", Source: nonEmpty().Draw(t, "subpath source"), Target: nonEmpty().Draw(t, "subpath target"),
		ReadOnly: maybe(t, "subpath readonly"), NoCopy: maybe(t, "subpath nocopy"),
		Subpath: strings.Join(rapid.SliceOfN(segment, 1, 3).Draw(t, "subpath"), "/")}
}

// genServiceFields sets the fields, each about half the time, to values
// core accepts (arbitrary ones are core's own tests').
func genServiceFields(t *rapid.T, s *core.ContainerSpec) {
	path := rapid.StringMatching(`(/[A-Za-z0-9 ._"'=-]{1,6}){1,3}`)
	if maybe(t, "mem_swappiness?") {
		v := rapid.Int64Range(0, 100).Draw(t, "mem_swappiness")
		s.MemSwappiness = &v
	}
	s.OomKillDisable = maybe(t, "oom_kill_disable")
	if maybe(t, "blkio_config?") {
		b := &core.Blkio{}
		if maybe(t, "blkio weight?") {
			b.Weight = uint16(rapid.IntRange(10, 1000).Draw(t, "blkio weight"))
		}
		for i := range rapid.IntRange(0, 2).Draw(t, "weight_device") {
			n := strconv.Itoa(i)
			b.WeightDevice = append(b.WeightDevice, core.WeightDevice{Path: path.Draw(t, "weight_device path"+n),
				Weight: uint16(rapid.IntRange(10, 1000).Draw(t, "weight_device weight"+n))})
		}
		throttles := func(key string) []core.ThrottleDevice {
			var out []core.ThrottleDevice
			for i := range rapid.IntRange(0, 2).Draw(t, key) {
				n := strconv.Itoa(i)
				out = append(out, core.ThrottleDevice{Path: path.Draw(t, key+" path"+n), Rate: rapid.Int64Range(0, 1<<40).Draw(t, key+" rate"+n)})
			}
			return out
		}
		b.DeviceReadBps, b.DeviceReadIOps = throttles("device_read_bps"), throttles("device_read_iops")
		b.DeviceWriteBps, b.DeviceWriteIOps = throttles("device_write_bps"), throttles("device_write_iops")
		s.Blkio = b
	}
	s.Cgroup = rapid.SampledFrom([]string{"", "host", "private"}).Draw(t, "cgroup")
	s.Runtime = anyString().Draw(t, "runtime")
	s.UsernsMode = anyString().Draw(t, "userns_mode")
	primary := s.Network
	if primary == "" && len(s.Networks) > 0 {
		primary = s.Networks[0].Name
	}
	noInterface := primary == "host" || primary == "none" || strings.HasPrefix(primary, "container:") || strings.HasPrefix(primary, "service:")
	if maybe(t, "mac_address?") && !noInterface {
		b := rapid.SliceOfN(rapid.Byte(), 6, 6).Draw(t, "mac_address")
		hex := fmt.Sprintf("%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5])
		if maybe(t, "mac upper case?") {
			hex = strings.ToUpper(hex)
		}
		pair := func(i int) string { return hex[2*i : 2*i+2] }
		switch rapid.IntRange(0, 2).Draw(t, "mac form") {
		case 0:
			s.MacAddress = strings.Join([]string{pair(0), pair(1), pair(2), pair(3), pair(4), pair(5)}, ":")
		case 1:
			s.MacAddress = strings.Join([]string{pair(0), pair(1), pair(2), pair(3), pair(4), pair(5)}, "-")
		default:
			s.MacAddress = hex[0:4] + "." + hex[4:8] + "." + hex[8:12]
		}
	}
	s.StorageOpt = pairs(t, "storage_opt")
	s.Annotations = pairs(t, "annotations")
}

// The same property for volumes_from, drawn on top of genSpec's spec (a
// property of its own, so that the committed failure files of the
// properties above still replay). nerdctl's arguments refuse them: its
// Backend turns them into mounts first.
func TestPropertyVolumesFromArgsRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := genSpec(t)
		spec.VolumesFrom = rapid.SliceOfN(rapid.StringMatching(`[a-zA-Z0-9][a-zA-Z0-9_.-]{0,11}(:ro|:rw)?`), 1, 3).Draw(t, "volumes_from")
		checkNerdctlVolumesFrom(t, spec.VolumesFrom)
		checkArgsRoundTrip(t, spec, injectControl(t, spec))
	})
}

func checkNerdctlVolumesFrom(t *rapid.T, entries []string) {
	_, err := nerdctlP.CreateArgs(&core.ContainerSpec{Image: "img", VolumesFrom: entries})
	if e := core.AsError(err); e == nil || e.Kind != core.KindInvalidArgument || e.Details["field"] != "volumes_from[0]" {
		t.Fatalf("nerdctl with %q: %v, want InvalidArgument naming volumes_from[0] (its Backend passes mounts)", entries, err)
	}
}

// checkAnnotations: the docker flavour refuses annotations naming them;
// podman (through CSV) and nerdctl receive each key=value whole.
func checkAnnotations(t *rapid.T, spec *core.ContainerSpec) {
	_, err := dockerP.CreateArgs(spec)
	if e := core.AsError(err); e == nil || e.Kind != core.KindInvalidArgument || e.Details["field"] != "annotations" {
		t.Fatalf("docker with annotations: %v, want InvalidArgument naming annotations", err)
	}
	for _, p := range []Protocol{podmanP, nerdctlP} {
		args, err := p.CreateArgs(&core.ContainerSpec{Image: "img", Annotations: spec.Annotations})
		if err != nil {
			t.Fatalf("%s: %v", p.who(), err)
		}
		got := map[string]string{}
		for _, a := range args {
			v, ok := strings.CutPrefix(a, "--annotation=")
			if !ok {
				continue
			}
			if p.Flavor == FlavorPodman {
				fields, err := csv.NewReader(strings.NewReader(v)).Read()
				if err != nil || len(fields) != 1 {
					t.Fatalf("podman --annotation=%s reads as %q, %v", v, fields, err)
				}
				v = fields[0]
			}
			k, val, _ := strings.Cut(v, "=")
			got[k] = val
		}
		if !maps.Equal(got, spec.Annotations) {
			t.Fatalf("%s annotations %q, want %q", p.who(), got, spec.Annotations)
		}
	}
}

// checkArgsRoundTrip is the property's check of one spec (with the control
// characters injected into it, if any).
func checkArgsRoundTrip(t *rapid.T, spec *core.ContainerSpec, injected *injection) {
	create, err := dockerP.CreateArgs(spec)
	if injected.refused() {
		injected.checkRefusal(t, err)
		return
	}
	if err != nil {
		t.Fatalf("CreateArgs: %v", err)
	}
	connects, err := dockerP.ConnectArgs(spec, "ID")
	if err != nil {
		t.Fatalf("ConnectArgs: %v", err)
	}

	// The image is the first positional after "--", then entrypoint[1:], then cmd.
	dash := slices.Index(create, "--")
	if dash < 0 {
		t.Fatalf("no -- in %q", create)
	}
	want := []string{spec.Image}
	if len(spec.Entrypoint) > 1 {
		want = append(want, spec.Entrypoint[1:]...)
	}
	want = append(want, spec.Cmd...)
	if got := create[dash+1:]; !slices.Equal(got, want) {
		t.Fatalf("positionals %q, want %q", got, want)
	}
	// Nothing before "--" is a bare value a CLI could take for a flag.
	for _, a := range create[1:dash] {
		if !strings.HasPrefix(a, "--") {
			t.Fatalf("argument %q before -- is not a --flag", a)
		}
	}

	exps := dockerExpectations(spec)
	covered := map[string]bool{}
	for _, e := range exps {
		covered[e.field] = true
		for _, tok := range e.tokens {
			if !slices.Contains(create[:dash], tok) {
				t.Fatalf("field %s: %q missing from %q", e.field, tok, create)
			}
		}
		if e.check != nil && !e.check(create[:dash], connects) {
			t.Fatalf("field %s not found in %q / %q", e.field, create, connects)
		}
	}
	for _, f := range setFields(spec) {
		if !covered[f] {
			t.Fatalf("field %s is set but the oracle does not check it", f)
		}
	}
}

// Feature: perry-container, Property 3: ContainerSpec CLI Argument Round-Trip
//
// apple/container: a spec either maps (the image still first after "--") or
// is rejected with an InvalidArgument naming a field and apple/container.
func TestPropertyAppleMapsOrRejects(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		spec := genSpec(t)
		args, err := appleP.CreateArgs(spec)
		if err != nil {
			e := core.AsError(err)
			if e.Kind != core.KindInvalidArgument {
				t.Fatalf("kind %s: %v", e.Kind, err)
			}
			named := false
			for _, f := range setFields(spec) {
				named = named || strings.Contains(e.Message, f)
			}
			if !named {
				t.Fatalf("rejection %q names no set field of %v", e.Message, setFields(spec))
			}
			return
		}
		dash := slices.Index(args, "--")
		if dash < 0 || args[dash+1] != spec.Image {
			t.Fatalf("image is not the first positional after --: %q", args)
		}
		for k, v := range spec.Env {
			if !slices.Contains(args, "--env="+k+"="+v) {
				t.Fatalf("env %s missing", k)
			}
		}
	})
}

// controlRunes are what injectControl puts into a string: one to three of
// NUL, the other C0 controls (tab and line breaks among them) and DEL, so
// pairs such as CR LF occur.
var controlRunes = rapid.SliceOfN(rapid.OneOf(rapid.Int32Range(0, 0x1f), rapid.Just[int32](0x7f)), 1, 3)

// site is one string of a spec, named by the path core's errors use.
type site struct {
	path string
	key  bool // a map key: errors may name just the map
	free bool // may carry control characters other than NUL to the runtime
	get  func() string
	set  func(string) bool // false when the change is impossible (a key collision)
}

// freeText are the fields whose strings reach every runtime byte for byte
// (argv, JSON), so a control character in them is the user's to keep; the
// others are paths, names and option values, which must refuse one. This is
// the test's own statement of the rule, not a copy of core's list.
var freeText = map[string]bool{"cmd": true, "entrypoint": true, "healthcheck.test": true, "env": true, "labels": true}

// stringSites lists every string of s.
func stringSites(s *core.ContainerSpec) []site {
	var out []site
	var walk func(v reflect.Value, path string)
	walk = func(v reflect.Value, path string) {
		switch v.Kind() {
		case reflect.String:
			out = append(out, site{path: path, get: v.String, set: func(x string) bool { v.SetString(x); return true }})
		case reflect.Pointer:
			if !v.IsNil() {
				walk(v.Elem(), path)
			}
		case reflect.Struct:
			for i := range v.NumField() {
				name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("json"), ",")
				if path != "" {
					name = path + "." + name
				}
				walk(v.Field(i), name)
			}
		case reflect.Slice:
			for i := range v.Len() {
				if path == "healthcheck.test" && i == 0 {
					continue // a keyword (CMD, CMD-SHELL, NONE), not text
				}
				n := len(out)
				walk(v.Index(i), path+"["+strconv.Itoa(i)+"]")
				if freeText[path] {
					out[n].free = true
				}
			}
		case reflect.Map:
			for _, k := range v.MapKeys() {
				out = append(out, site{path: path + " (a key)", key: true, get: k.String, set: func(x string) bool {
					nk := reflect.ValueOf(x)
					if v.MapIndex(nk).IsValid() {
						return false
					}
					v.SetMapIndex(nk, v.MapIndex(k))
					v.SetMapIndex(k, reflect.Value{})
					return true
				}})
				out = append(out, site{path: path + "[" + k.String() + "]", free: freeText[path],
					get: func() string { return v.MapIndex(k).String() },
					set: func(x string) bool { v.SetMapIndex(k, reflect.ValueOf(x)); return true }})
			}
		}
	}
	walk(reflect.ValueOf(s).Elem(), "")
	return out
}

// injection is the control characters injectControl put into a spec.
type injection struct {
	site
	rs []rune
}

// injectControl puts control characters into one string of about half the
// specs, anywhere in it; nil when it put none.
func injectControl(t *rapid.T, s *core.ContainerSpec) *injection {
	sites := stringSites(s)
	if len(sites) == 0 || !rapid.Bool().Draw(t, "inject control?") {
		return nil
	}
	at := sites[rapid.IntRange(0, len(sites)-1).Draw(t, "control site")]
	rs := controlRunes.Draw(t, "control runes")
	old := []rune(at.get())
	pos := rapid.IntRange(0, len(old)).Draw(t, "control position")
	v := string(old[:pos]) + string(rs) + string(old[pos:])
	if !at.set(v) {
		return nil
	}
	return &injection{site: at, rs: rs}
}

// refused reports whether the injection must be refused: NUL everywhere, any
// control character outside the free text, CR in an env or label value
// (podman's and nerdctl's CLIs turn CR LF there into LF).
func (in *injection) refused() bool {
	if in == nil {
		return false
	}
	value := strings.HasPrefix(in.path, "env[") || strings.HasPrefix(in.path, "labels[")
	return slices.Contains(in.rs, 0) || !in.free || value && slices.Contains(in.rs, '\r')
}

// checkRefusal fails unless err is an InvalidArgument naming the injected
// field (a map key's error may name just the map).
func (in *injection) checkRefusal(t *rapid.T, err error) {
	if err == nil {
		t.Fatalf("%q in %s was accepted", string(in.rs), in.path)
	}
	e := core.AsError(err)
	want := in.path
	if in.key {
		want = strings.TrimSuffix(want, " (a key)")
	}
	if e.Kind != core.KindInvalidArgument || !strings.Contains(e.Message, want) {
		t.Fatalf("%q in %s: got %s %q, want InvalidArgument naming %s", string(in.rs), in.path, e.Kind, e.Message, want)
	}
}
