package api

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/blkiodev"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"

	"github.com/perryts/perry-container/core"
)

// sample sets one ContainerSpec field (path "Field" or "Field.Sub") on top
// of an optional base, so that the plan with and without it can be compared.
type sample struct {
	base func(*core.ContainerSpec)
	set  func(*core.ContainerSpec)
	// rejected: Create must refuse the field, naming it.
	rejected string
}

var intp = func(n int) *int { return &n }

// samples must name every field of ContainerSpec and of its nested structs:
// TestPlanCreateMapsEveryField fails when core grows a field that Create
// does not map, so a new field cannot be dropped by accident.
var samples = map[string]sample{
	"Image": {set: func(s *core.ContainerSpec) { s.Image = "other:1" }},
	// verify is resolved by the library before any backend; a backend refuses it.
	"Verify":               {set: func(s *core.ContainerSpec) { s.Verify = &core.VerifyPolicy{Issuer: "https://issuer.example"} }, rejected: "verify"},
	"Verify.Identity":      {set: func(s *core.ContainerSpec) { s.Verify = &core.VerifyPolicy{Identity: "x", Issuer: "i"} }, rejected: "verify"},
	"Verify.IdentityRegex": {set: func(s *core.ContainerSpec) { s.Verify = &core.VerifyPolicy{IdentityRegex: "x.*", Issuer: "i"} }, rejected: "verify"},
	"Verify.Issuer":        {set: func(s *core.ContainerSpec) { s.Verify = &core.VerifyPolicy{Issuer: "i"} }, rejected: "verify"},
	"Name":                 {set: func(s *core.ContainerSpec) { s.Name = "n1" }},
	"Ports":                {set: func(s *core.ContainerSpec) { s.Ports = []string{"8080:80"} }},
	"Volumes":              {set: func(s *core.ContainerSpec) { s.Volumes = []string{"vol:/data"} }},
	"Env":                  {set: func(s *core.ContainerSpec) { s.Env = map[string]string{"A": "1"} }},
	"Cmd":                  {set: func(s *core.ContainerSpec) { s.Cmd = []string{"true"} }},
	"Entrypoint":           {set: func(s *core.ContainerSpec) { s.Entrypoint = []string{"/bin/sh"} }},
	"Network":              {set: func(s *core.ContainerSpec) { s.Network = "other-net" }},
	"Rm":                   {set: func(s *core.ContainerSpec) { s.Rm = true }},
	"ReadOnly":             {set: func(s *core.ContainerSpec) { s.ReadOnly = true }},
	"Seccomp":              {set: func(s *core.ContainerSpec) { s.Seccomp = "unconfined" }},
	"Privileged":           {set: func(s *core.ContainerSpec) { s.Privileged = true }},
	"User":                 {set: func(s *core.ContainerSpec) { s.User = "nobody" }},
	"Workdir":              {set: func(s *core.ContainerSpec) { s.Workdir = "/tmp" }},
	"CapAdd":               {set: func(s *core.ContainerSpec) { s.CapAdd = []string{"NET_ADMIN"} }},
	"CapDrop":              {set: func(s *core.ContainerSpec) { s.CapDrop = []string{"MKNOD"} }},
	"Labels":               {set: func(s *core.ContainerSpec) { s.Labels = map[string]string{"a": "b"} }},
	"Hostname":             {set: func(s *core.ContainerSpec) { s.Hostname = "h" }},
	"Domainname":           {set: func(s *core.ContainerSpec) { s.Domainname = "example.test" }},
	"NetworkAliases":       {set: func(s *core.ContainerSpec) { s.NetworkAliases = []string{"alias"} }},
	"Networks":             {set: func(s *core.ContainerSpec) { s.Networks = []core.NetworkAttach{{Name: "n2"}} }},
	"Networks.Name": {base: func(s *core.ContainerSpec) { s.Networks = []core.NetworkAttach{{Name: "n2"}} },
		set: func(s *core.ContainerSpec) { s.Networks[0].Name = "n3" }},
	"Networks.Aliases": {base: func(s *core.ContainerSpec) { s.Networks = []core.NetworkAttach{{Name: "n2"}} },
		set: func(s *core.ContainerSpec) { s.Networks[0].Aliases = []string{"x"} }},
	"Networks.IPv4Address": {base: func(s *core.ContainerSpec) { s.Networks = []core.NetworkAttach{{Name: "n2"}} },
		set: func(s *core.ContainerSpec) { s.Networks[0].IPv4Address = "10.1.2.3" }},
	"Networks.IPv6Address": {base: func(s *core.ContainerSpec) { s.Networks = []core.NetworkAttach{{Name: "n2"}} },
		set: func(s *core.ContainerSpec) { s.Networks[0].IPv6Address = "fd00::3" }},
	"Restart":     {set: func(s *core.ContainerSpec) { s.Restart = "on-failure:3" }},
	"Healthcheck": {set: func(s *core.ContainerSpec) { s.Healthcheck = &core.Healthcheck{Test: []string{"CMD", "true"}} }},
	"Healthcheck.Test": {base: withHealthcheck,
		set: func(s *core.ContainerSpec) { s.Healthcheck.Test = []string{"CMD-SHELL", "true"} }},
	"Healthcheck.Interval":      {base: withHealthcheck, set: func(s *core.ContainerSpec) { s.Healthcheck.Interval = "2s" }},
	"Healthcheck.Timeout":       {base: withHealthcheck, set: func(s *core.ContainerSpec) { s.Healthcheck.Timeout = "1s" }},
	"Healthcheck.Retries":       {base: withHealthcheck, set: func(s *core.ContainerSpec) { s.Healthcheck.Retries = 3 }},
	"Healthcheck.StartPeriod":   {base: withHealthcheck, set: func(s *core.ContainerSpec) { s.Healthcheck.StartPeriod = "5s" }},
	"Healthcheck.StartInterval": {base: withHealthcheck, set: func(s *core.ContainerSpec) { s.Healthcheck.StartInterval = "1s" }},
	"Healthcheck.Disable":       {base: withHealthcheck, set: func(s *core.ContainerSpec) { s.Healthcheck.Disable = true }},
	"StopSignal":                {set: func(s *core.ContainerSpec) { s.StopSignal = "SIGUSR1" }},
	"StopTimeout":               {set: func(s *core.ContainerSpec) { s.StopTimeout = intp(7) }},
	"ExtraHosts":                {set: func(s *core.ContainerSpec) { s.ExtraHosts = []string{"db:10.0.0.5"} }},
	"DNS":                       {set: func(s *core.ContainerSpec) { s.DNS = []string{"1.1.1.1"} }},
	"DNSSearch":                 {set: func(s *core.ContainerSpec) { s.DNSSearch = []string{"example.test"} }},
	"DNSOpt":                    {set: func(s *core.ContainerSpec) { s.DNSOpt = []string{"ndots:2"} }},
	"Tmpfs":                     {set: func(s *core.ContainerSpec) { s.Tmpfs = []string{"/run:size=1m"} }},
	"ShmSize":                   {set: func(s *core.ContainerSpec) { s.ShmSize = 1 << 26 }},
	"Memory":                    {set: func(s *core.ContainerSpec) { s.Memory = 1 << 26 }},
	"MemoryReserve":             {set: func(s *core.ContainerSpec) { s.MemoryReserve = 1 << 25 }},
	"CPUs":                      {set: func(s *core.ContainerSpec) { s.CPUs = 0.5 }},
	"PidsLimit":                 {set: func(s *core.ContainerSpec) { s.PidsLimit = 100 }},
	"MemorySwap":                {set: func(s *core.ContainerSpec) { s.MemorySwap = -1 }},
	"CPUShares":                 {set: func(s *core.ContainerSpec) { s.CPUShares = 512 }},
	"CPUPeriod":                 {set: func(s *core.ContainerSpec) { s.CPUPeriod = 100000 }},
	"CPUQuota":                  {set: func(s *core.ContainerSpec) { s.CPUQuota = 50000 }},
	"CPUSet":                    {set: func(s *core.ContainerSpec) { s.CPUSet = "0" }},
	"OomScoreAdj":               {set: func(s *core.ContainerSpec) { s.OomScoreAdj = 100 }},
	"GroupAdd":                  {set: func(s *core.ContainerSpec) { s.GroupAdd = []string{"audio"} }},
	"Devices":                   {set: func(s *core.ContainerSpec) { s.Devices = []core.Device{{Source: "/dev/null"}} }},
	"Devices.Source":            {base: withDevice, set: func(s *core.ContainerSpec) { s.Devices[0].Source = "/dev/zero" }},
	"Devices.Target":            {base: withDevice, set: func(s *core.ContainerSpec) { s.Devices[0].Target = "/dev/n" }},
	"Devices.Permissions":       {base: withDevice, set: func(s *core.ContainerSpec) { s.Devices[0].Permissions = "r" }},
	"UnsetEnv":                  {set: func(s *core.ContainerSpec) { s.UnsetEnv = []string{"DEBUG"} }},
	"DeviceRequests":            {set: func(s *core.ContainerSpec) { s.DeviceRequests = []core.DeviceRequest{{Count: -1}} }},
	"DeviceRequests.Driver":     {base: withDeviceRequest, set: func(s *core.ContainerSpec) { s.DeviceRequests[0].Driver = "nvidia" }},
	"DeviceRequests.Count":      {base: withDeviceRequest, set: func(s *core.ContainerSpec) { s.DeviceRequests[0].Count = 2 }},
	"DeviceRequests.DeviceIDs": {base: withDeviceRequest, set: func(s *core.ContainerSpec) {
		s.DeviceRequests[0].Count, s.DeviceRequests[0].DeviceIDs = 0, []string{"0"}
	}},
	"DeviceRequests.Capabilities": {base: withDeviceRequest, set: func(s *core.ContainerSpec) { s.DeviceRequests[0].Capabilities = []string{"gpu"} }},
	"DeviceRequests.Options":      {base: withDeviceRequest, set: func(s *core.ContainerSpec) { s.DeviceRequests[0].Options = map[string]string{"a": "1"} }},
	"MemSwappiness":               {set: func(s *core.ContainerSpec) { s.MemSwappiness = int64p(0) }},
	"OomKillDisable":              {set: func(s *core.ContainerSpec) { s.OomKillDisable = true }},
	"Blkio":                       {set: func(s *core.ContainerSpec) { s.Blkio = &core.Blkio{Weight: 300} }},
	"Blkio.Weight":                {base: withBlkio, set: func(s *core.ContainerSpec) { s.Blkio.Weight = 10 }},
	"Blkio.WeightDevice": {base: withBlkio, set: func(s *core.ContainerSpec) {
		s.Blkio.WeightDevice = []core.WeightDevice{{Path: "/dev/sda", Weight: 300}}
	}},
	"Blkio.DeviceReadBps":   {base: withBlkio, set: func(s *core.ContainerSpec) { s.Blkio.DeviceReadBps = throttle("/dev/sda", 1<<20) }},
	"Blkio.DeviceReadIOps":  {base: withBlkio, set: func(s *core.ContainerSpec) { s.Blkio.DeviceReadIOps = throttle("/dev/sda", 100) }},
	"Blkio.DeviceWriteBps":  {base: withBlkio, set: func(s *core.ContainerSpec) { s.Blkio.DeviceWriteBps = throttle("/dev/sda", 1<<20) }},
	"Blkio.DeviceWriteIOps": {base: withBlkio, set: func(s *core.ContainerSpec) { s.Blkio.DeviceWriteIOps = throttle("/dev/sda", 100) }},
	"Cgroup":                {set: func(s *core.ContainerSpec) { s.Cgroup = "private" }},
	"Runtime":               {set: func(s *core.ContainerSpec) { s.Runtime = "runc" }},
	"UsernsMode":            {set: func(s *core.ContainerSpec) { s.UsernsMode = "host" }},
	"MacAddress":            {set: func(s *core.ContainerSpec) { s.MacAddress = "92:d0:c6:0a:29:33" }},
	"StorageOpt":            {set: func(s *core.ContainerSpec) { s.StorageOpt = map[string]string{"size": "1G"} }},
	"Annotations":           {set: func(s *core.ContainerSpec) { s.Annotations = map[string]string{"perry.test/a": "b"} }},
	"VolumesFrom":           {set: func(s *core.ContainerSpec) { s.VolumesFrom = []string{"proj-data-1:ro"} }},
	"Init":                  {set: func(s *core.ContainerSpec) { s.Init = true }},
	"Pid":                   {set: func(s *core.ContainerSpec) { s.Pid = "host" }},
	"Ipc":                   {set: func(s *core.ContainerSpec) { s.Ipc = "shareable" }},
	"SecurityOpt":           {set: func(s *core.ContainerSpec) { s.SecurityOpt = []string{"no-new-privileges"} }},
	"Sysctls":               {set: func(s *core.ContainerSpec) { s.Sysctls = map[string]string{"net.core.somaxconn": "1024"} }},
	"Ulimits":               {set: func(s *core.ContainerSpec) { s.Ulimits = []core.Ulimit{{Name: "nofile", Soft: 1, Hard: 2}} }},
	"Ulimits.Name":          {base: withUlimit, set: func(s *core.ContainerSpec) { s.Ulimits[0].Name = "nproc" }},
	"Ulimits.Soft":          {base: withUlimit, set: func(s *core.ContainerSpec) { s.Ulimits[0].Soft = 10 }},
	"Ulimits.Hard":          {base: withUlimit, set: func(s *core.ContainerSpec) { s.Ulimits[0].Hard = 20 }},
	"Expose":                {set: func(s *core.ContainerSpec) { s.Expose = []string{"7000"} }},
	"Platform":              {set: func(s *core.ContainerSpec) { s.Platform = "linux/arm64" }},
	"Tty":                   {set: func(s *core.ContainerSpec) { s.Tty = true }},
	"StdinOpen":             {set: func(s *core.ContainerSpec) { s.StdinOpen = true }},
	"LogDriver":             {set: func(s *core.ContainerSpec) { s.LogDriver = "json-file" }},
	"LogOpts":               {set: func(s *core.ContainerSpec) { s.LogOpts = map[string]string{"max-size": "1m"} }},
	"Mounts": {set: func(s *core.ContainerSpec) {
		s.Mounts = []core.Mount{{Type: "volume", Source: "v", Target: "/m"}}
	}},
	"Mounts.Type":      {base: withMount("volume"), set: func(s *core.ContainerSpec) { s.Mounts[0].Type = "tmpfs" }},
	"Mounts.Source":    {base: withMount("volume"), set: func(s *core.ContainerSpec) { s.Mounts[0].Source = "named" }},
	"Mounts.Target":    {base: withMount("volume"), set: func(s *core.ContainerSpec) { s.Mounts[0].Target = "/other" }},
	"Mounts.ReadOnly":  {base: withMount("volume"), set: func(s *core.ContainerSpec) { s.Mounts[0].ReadOnly = true }},
	"Mounts.TmpfsSize": {base: withMount("tmpfs"), set: func(s *core.ContainerSpec) { s.Mounts[0].TmpfsSize = 1 << 20 }},
	"Mounts.NoCopy":    {base: withMount("volume"), set: func(s *core.ContainerSpec) { s.Mounts[0].NoCopy = true }},
	// Needs API 1.45, later than this test's 1.44: TestPlanCreateSubpathNeedsAPI145 sees it sent.
	"Mounts.Subpath": {base: withNamedVolume, set: func(s *core.ContainerSpec) { s.Mounts[0].Subpath = "sub/dir" }, rejected: "mounts[0].subpath"},
}

func withNamedVolume(s *core.ContainerSpec) {
	s.Mounts = []core.Mount{{Type: "volume", Source: "data", Target: "/m"}}
}

func withHealthcheck(s *core.ContainerSpec) {
	s.Healthcheck = &core.Healthcheck{Test: []string{"CMD", "true"}}
}

func withDevice(s *core.ContainerSpec) { s.Devices = []core.Device{{Source: "/dev/null"}} }

func withDeviceRequest(s *core.ContainerSpec) { s.DeviceRequests = []core.DeviceRequest{{Count: 1}} }

func withBlkio(s *core.ContainerSpec) { s.Blkio = &core.Blkio{} }

func throttle(path string, rate int64) []core.ThrottleDevice {
	return []core.ThrottleDevice{{Path: path, Rate: rate}}
}

func int64p(n int64) *int64 { return &n }

func withUlimit(s *core.ContainerSpec) { s.Ulimits = []core.Ulimit{{Name: "nofile", Soft: 1, Hard: 2}} }

func withMount(typ string) func(*core.ContainerSpec) {
	return func(s *core.ContainerSpec) { s.Mounts = []core.Mount{{Type: typ, Target: "/m"}} }
}

// planJSON renders a plan comparably, the connect requests included.
func planJSON(t *testing.T, p *createPlan) string {
	t.Helper()
	type conn struct {
		Network  string
		Endpoint *network.EndpointSettings
	}
	var cs []conn
	for _, c := range p.connect {
		cs = append(cs, conn{c.network, c.endpoint})
	}
	data, err := json.Marshal(struct {
		Opts    any
		Connect []conn
	}{p.opts, cs})
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// fieldPaths lists ContainerSpec's fields and those of its nested structs.
func fieldPaths() []string {
	var out []string
	st := reflect.TypeFor[core.ContainerSpec]()
	for i := range st.NumField() {
		f := st.Field(i)
		out = append(out, f.Name)
		inner := f.Type
		for inner.Kind() == reflect.Pointer || inner.Kind() == reflect.Slice {
			inner = inner.Elem()
		}
		if inner.Kind() == reflect.Struct {
			for j := range inner.NumField() {
				out = append(out, f.Name+"."+inner.Field(j).Name)
			}
		}
	}
	return out
}

func TestPlanCreateMapsEveryField(t *testing.T) {
	for _, path := range fieldPaths() {
		smp, ok := samples[path]
		if !ok {
			t.Errorf("ContainerSpec field %s has no sample: map it in planCreate (or reject it with InvalidArgument) and add a sample here", path)
			continue
		}
		t.Run(path, func(t *testing.T) {
			base := &core.ContainerSpec{Image: "img", Network: "net"}
			if smp.base != nil {
				smp.base(base)
			}
			before, err := planCreate(base, "1.44")
			if err != nil {
				t.Fatalf("base spec: %v", err)
			}
			spec := *base
			// Deep enough a copy for the samples: they replace or index
			// slices that the base created fresh.
			spec.Networks = append([]core.NetworkAttach(nil), base.Networks...)
			spec.Ulimits = append([]core.Ulimit(nil), base.Ulimits...)
			spec.Mounts = append([]core.Mount(nil), base.Mounts...)
			spec.Devices = append([]core.Device(nil), base.Devices...)
			if base.Healthcheck != nil {
				hc := *base.Healthcheck
				spec.Healthcheck = &hc
			}
			if base.Blkio != nil {
				b := *base.Blkio
				spec.Blkio = &b
			}
			smp.set(&spec)
			after, err := planCreate(&spec, "1.44")
			if smp.rejected != "" {
				if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), smp.rejected) {
					t.Fatalf("spec with %s: want InvalidArgument naming %q, got %v", path, smp.rejected, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("spec with %s: %v", path, err)
			}
			if planJSON(t, before) == planJSON(t, after) {
				t.Errorf("setting %s does not change the create request: the field is dropped", path)
			}
		})
	}
	for path := range samples {
		if !strings.Contains(strings.Join(fieldPaths(), " ")+" ", path+" ") {
			t.Errorf("sample %s names no ContainerSpec field", path)
		}
	}
}

func TestPlanCreateStartIntervalNeedsAPI144(t *testing.T) {
	spec := &core.ContainerSpec{Image: "img", Healthcheck: &core.Healthcheck{Test: []string{"CMD", "true"}, StartInterval: "1s"}}
	_, err := planCreate(spec, "1.41")
	if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "healthcheck.start_interval") {
		t.Fatalf("start_interval on API 1.41: %v, want InvalidArgument naming healthcheck.start_interval", err)
	}
}

func TestParsePorts(t *testing.T) {
	any4 := netip.Addr{}
	lo := netip.MustParseAddr("127.0.0.1")
	v6 := netip.MustParseAddr("::1")
	tests := []struct {
		in   string
		want map[string][]network.PortBinding
	}{
		{"80", map[string][]network.PortBinding{"80/tcp": {{HostIP: any4}}}},
		{"8080:80", map[string][]network.PortBinding{"80/tcp": {{HostPort: "8080"}}}},
		{"127.0.0.1:8080:80/udp", map[string][]network.PortBinding{"80/udp": {{HostIP: lo, HostPort: "8080"}}}},
		{"127.0.0.1::80", map[string][]network.PortBinding{"80/tcp": {{HostIP: lo}}}},
		{"[::1]:8080:80", map[string][]network.PortBinding{"80/tcp": {{HostIP: v6, HostPort: "8080"}}}},
		{"8000-8001:80-81", map[string][]network.PortBinding{"80/tcp": {{HostPort: "8000"}}, "81/tcp": {{HostPort: "8001"}}}},
		{"9000-9010:80", map[string][]network.PortBinding{"80/tcp": {{HostPort: "9000-9010"}}}},
		{"5000/sctp", map[string][]network.PortBinding{"5000/sctp": {{}}}},
		// A host address without a host port: a free port on that address.
		{"[::1]::80/tcp", map[string][]network.PortBinding{"80/tcp": {{HostIP: v6}}}},
		{"::1::80", map[string][]network.PortBinding{"80/tcp": {{HostIP: v6}}}},
	}
	for _, tt := range tests {
		exposed, bindings, err := parsePorts([]string{tt.in})
		if err != nil {
			t.Errorf("parsePorts(%q): %v", tt.in, err)
			continue
		}
		if len(bindings) != len(tt.want) || len(exposed) != len(tt.want) {
			t.Errorf("parsePorts(%q) = %v, want %v", tt.in, bindings, tt.want)
			continue
		}
		for p, want := range tt.want {
			got := bindings[network.MustParsePort(p)]
			if !reflect.DeepEqual(got, want) {
				t.Errorf("parsePorts(%q)[%s] = %+v, want %+v", tt.in, p, got, want)
			}
		}
	}
	for _, bad := range []string{"", "x", "0", "70000", "1:2:3:4", "80/icmp", "80/", "8000-8002:80-81", "nope:80:80", "[::1]80"} {
		if _, _, err := parsePorts([]string{bad}); core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "ports[0]") {
			t.Errorf("parsePorts(%q) = %v, want InvalidArgument naming ports[0]", bad, err)
		}
	}
}

func TestParseVolume(t *testing.T) {
	tests := []struct{ in, bind, anon string }{
		{"/src:/dst", "/src:/dst", ""},
		{"/src:/dst:ro", "/src:/dst:ro", ""},
		{"named:/dst:ro,nocopy", "named:/dst:ro,nocopy", ""},
		{"/anon", "", "/anon"},
	}
	for _, tt := range tests {
		bind, anon, err := parseVolume(tt.in)
		if err != nil || bind != tt.bind || anon != tt.anon {
			t.Errorf("parseVolume(%q) = %q, %q, %v; want %q, %q", tt.in, bind, anon, err, tt.bind, tt.anon)
		}
	}
	if bind, _, err := parseVolume("./rel:/dst"); err != nil || !strings.HasPrefix(bind, "/") {
		t.Errorf("parseVolume(./rel:/dst) = %q, %v; want an absolute source", bind, err)
	}
	for _, bad := range []string{"rel", "/a:rel", "/a:/b:bogus", ":/b", "/a:/b:ro:x"} {
		if _, _, err := parseVolume(bad); err == nil {
			t.Errorf("parseVolume(%q): no error", bad)
		}
	}
}

func TestDockerignore(t *testing.T) {
	m := &ignoreMatcher{}
	for _, p := range []struct {
		pat    string
		negate bool
	}{{"secret.txt", false}, {"logs", false}, {"**/*.tmp", false}, {"logs/keep.log", true}, {"a?c", false}} {
		re, err := patternRegexp(p.pat)
		if err != nil {
			t.Fatal(err)
		}
		m.rules = append(m.rules, ignoreRule{re: re, negate: p.negate})
	}
	for path, want := range map[string]bool{
		"secret.txt": true, "sub/secret.txt": false, "logs": true, "logs/x.log": true,
		"logs/keep.log": false, "x.tmp": true, "deep/er/x.tmp": true, "abc": true, "abbc": false, "main.go": false,
	} {
		if got := m.excluded(path); got != want {
			t.Errorf("excluded(%q) = %v, want %v", path, got, want)
		}
	}
}

func TestPlanNetworks(t *testing.T) {
	tests := []struct {
		name      string
		spec      core.ContainerSpec
		mode      string
		endpoints []string // networks in the create request
		connect   []string // networks connected before start
		errField  string
	}{
		{"none", core.ContainerSpec{}, "", nil, nil, ""},
		{"network", core.ContainerSpec{Network: "a"}, "a", []string{"a"}, nil, ""},
		{"network and extras", core.ContainerSpec{Network: "a", Networks: []core.NetworkAttach{{Name: "b"}, {Name: "c"}}}, "a", []string{"a"}, []string{"b", "c"}, ""},
		{"extras only", core.ContainerSpec{Networks: []core.NetworkAttach{{Name: "b"}, {Name: "c"}}}, "b", []string{"b"}, []string{"c"}, ""},
		{"same network twice merges", core.ContainerSpec{Network: "a", Networks: []core.NetworkAttach{{Name: "a", Aliases: []string{"x"}}}}, "a", []string{"a"}, nil, ""},
		{"host", core.ContainerSpec{Network: "host"}, "host", nil, nil, ""},
		{"default", core.ContainerSpec{Network: "default", Networks: []core.NetworkAttach{{Name: "b"}}}, "default", nil, []string{"b"}, ""},
		{"container mode", core.ContainerSpec{Network: "container:abc"}, "container:abc", nil, nil, ""},
		{"host from extras with more", core.ContainerSpec{Networks: []core.NetworkAttach{{Name: "host"}, {Name: "b"}}}, "", nil, nil, "networks"},
		{"aliases on default", core.ContainerSpec{NetworkAliases: []string{"x"}}, "", nil, nil, "network_aliases"},
		{"service reference", core.ContainerSpec{Network: "service:db"}, "", nil, nil, "network"},
		{"bad ipv4", core.ContainerSpec{Network: "a", Networks: []core.NetworkAttach{{Name: "b", IPv4Address: "x"}}}, "", nil, nil, "networks[0].ipv4_address"},
		{"bad ipv4 in a later extra", core.ContainerSpec{Networks: []core.NetworkAttach{{Name: "b"}, {Name: "c", IPv6Address: "10.0.0.1"}}}, "", nil, nil, "networks[1].ipv6_address"},
		{"unnamed extra", core.ContainerSpec{Network: "a", Networks: []core.NetworkAttach{{}}}, "", nil, nil, "networks[0].name"},
	}
	for _, tt := range tests {
		tt.spec.Image = "img"
		p, err := planCreate(&tt.spec, "1.41")
		if tt.errField != "" {
			if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), tt.errField) {
				t.Errorf("%s: %v, want InvalidArgument naming %s", tt.name, err, tt.errField)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		var eps, conns []string
		if p.opts.NetworkingConfig != nil {
			for n := range p.opts.NetworkingConfig.EndpointsConfig {
				eps = append(eps, n)
			}
		}
		for _, c := range p.connect {
			conns = append(conns, c.network)
		}
		if string(p.opts.HostConfig.NetworkMode) != tt.mode || !reflect.DeepEqual(eps, tt.endpoints) || !reflect.DeepEqual(conns, tt.connect) {
			t.Errorf("%s: mode %q endpoints %v connect %v; want %q %v %v", tt.name, p.opts.HostConfig.NetworkMode, eps, conns, tt.mode, tt.endpoints, tt.connect)
		}
	}
}

// The service fields of the HostConfig reach the create request as docker
// compose sends them.
func TestPlanCreateMoreServiceFields(t *testing.T) {
	spec := &core.ContainerSpec{Image: "img", Network: "net",
		MemSwappiness: int64p(0), OomKillDisable: true, Cgroup: "private", Runtime: "runc", UsernsMode: "host",
		StorageOpt: map[string]string{"size": "1G"},
		Blkio: &core.Blkio{Weight: 300, WeightDevice: []core.WeightDevice{{Path: "/dev/sda", Weight: 10}},
			DeviceReadBps: throttle("/dev/sda", 1<<20), DeviceReadIOps: throttle("/dev/sdb", 100),
			DeviceWriteBps: throttle("/dev/sdc", 2<<20), DeviceWriteIOps: throttle("/dev/sdd", 0)},
	}
	p, err := planCreate(spec, "1.41")
	if err != nil {
		t.Fatal(err)
	}
	h := p.opts.HostConfig
	if h.MemorySwappiness == nil || *h.MemorySwappiness != 0 {
		t.Errorf("MemorySwappiness = %v, want 0 (a value, not unset)", h.MemorySwappiness)
	}
	if h.OomKillDisable == nil || !*h.OomKillDisable {
		t.Errorf("OomKillDisable = %v, want true", h.OomKillDisable)
	}
	if h.CgroupnsMode != container.CgroupnsModePrivate || h.Runtime != "runc" || h.UsernsMode != "host" {
		t.Errorf("CgroupnsMode %q Runtime %q UsernsMode %q", h.CgroupnsMode, h.Runtime, h.UsernsMode)
	}
	if !reflect.DeepEqual(h.StorageOpt, map[string]string{"size": "1G"}) {
		t.Errorf("StorageOpt = %v", h.StorageOpt)
	}
	if h.BlkioWeight != 300 || !reflect.DeepEqual(h.BlkioWeightDevice, []*blkiodev.WeightDevice{{Path: "/dev/sda", Weight: 10}}) {
		t.Errorf("BlkioWeight %d BlkioWeightDevice %v", h.BlkioWeight, h.BlkioWeightDevice)
	}
	for name, got := range map[string][]*blkiodev.ThrottleDevice{
		"/dev/sda:1048576": h.BlkioDeviceReadBps, "/dev/sdb:100": h.BlkioDeviceReadIOps,
		"/dev/sdc:2097152": h.BlkioDeviceWriteBps, "/dev/sdd:0": h.BlkioDeviceWriteIOps,
	} {
		if len(got) != 1 || got[0].String() != name {
			t.Errorf("throttle %s: got %v", name, got)
		}
	}

	// Unset, they stay unset: no swappiness, no OOM setting, no blkio.
	p, err = planCreate(&core.ContainerSpec{Image: "img"}, "1.41")
	if err != nil {
		t.Fatal(err)
	}
	h = p.opts.HostConfig
	if h.MemorySwappiness != nil || h.OomKillDisable != nil || h.BlkioWeight != 0 || h.BlkioDeviceReadBps != nil || h.StorageOpt != nil {
		t.Errorf("unset fields reached the request: %+v", h.Resources)
	}
}

// Engines before API 1.44 take a container's MAC address in its Config
// only; from 1.44 on the primary network's endpoint, as docker compose
// sends it.
func TestPlanCreateMACAddress(t *testing.T) {
	const mac = "92:d0:c6:0a:29:33"
	endpointMAC := func(p *createPlan, n string) string {
		if p.opts.NetworkingConfig == nil || p.opts.NetworkingConfig.EndpointsConfig[n] == nil {
			return "<no endpoint>"
		}
		return p.opts.NetworkingConfig.EndpointsConfig[n].MacAddress.String()
	}
	for _, tc := range []struct {
		name, version string
		spec          core.ContainerSpec
		legacy        string // want Config.MacAddress
		endpoint      string // the endpoint that must carry it
		mode          string // the network mode
	}{
		{"API 1.41 puts it in Config", "1.41", core.ContainerSpec{Network: "net", MacAddress: "92-D0-C6-0A-29-33"}, mac, "", "net"},
		{"API 1.43 puts it in Config", "1.43", core.ContainerSpec{MacAddress: mac}, mac, "", ""},
		{"API 1.44 puts it on the network", "1.44", core.ContainerSpec{Network: "net", MacAddress: mac}, "", "net", "net"},
		{"API 1.44 puts it on the first of the networks", "1.44",
			core.ContainerSpec{Networks: []core.NetworkAttach{{Name: "a"}, {Name: "b"}}, MacAddress: mac}, "", "a", "a"},
		{"API 1.44 on the default network names bridge", "1.44", core.ContainerSpec{MacAddress: mac}, "", "bridge", "bridge"},
		{"API 1.44 on network default names bridge", "1.44", core.ContainerSpec{Network: "default", MacAddress: mac}, "", "bridge", "bridge"},
		{"an unknown version is taken as a new one", "", core.ContainerSpec{Network: "net", MacAddress: mac}, "", "net", "net"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.spec.Image = "img"
			p, err := planCreate(&tc.spec, tc.version)
			if err != nil {
				t.Fatal(err)
			}
			if p.legacyMAC != tc.legacy {
				t.Errorf("Config.MacAddress = %q, want %q", p.legacyMAC, tc.legacy)
			}
			if tc.endpoint != "" {
				if got := endpointMAC(p, tc.endpoint); got != mac {
					t.Errorf("endpoint %s MacAddress = %q, want %q", tc.endpoint, got, mac)
				}
			} else if p.opts.NetworkingConfig != nil {
				for n, ep := range p.opts.NetworkingConfig.EndpointsConfig {
					if len(ep.MacAddress) != 0 {
						t.Errorf("endpoint %s carries %s too", n, ep.MacAddress)
					}
				}
			}
			if string(p.opts.HostConfig.NetworkMode) != tc.mode {
				t.Errorf("NetworkMode = %q, want %q", p.opts.HostConfig.NetworkMode, tc.mode)
			}
		})
	}
	_, err := planCreate(&core.ContainerSpec{Image: "img", Network: "host", MacAddress: mac}, "1.44")
	if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "mac_address") {
		t.Errorf("mac_address with network host: %v, want InvalidArgument naming mac_address", err)
	}
}

// A volume's subpath reaches the engine as VolumeOptions.Subpath from API
// 1.45, nocopy beside it; an older engine would mount the whole volume
// without a word, so it is refused there, naming the mount's field.
func TestPlanCreateSubpathNeedsAPI145(t *testing.T) {
	spec := func() *core.ContainerSpec {
		return &core.ContainerSpec{Image: "img", Mounts: []core.Mount{
			{Type: "tmpfs", Target: "/t"},
			{Type: "volume", Source: "data", Target: "/x", Subpath: "sub/dir", NoCopy: true, ReadOnly: true},
		}}
	}
	for _, v := range []string{"1.41", "1.44"} {
		_, err := planCreate(spec(), v)
		e := core.AsError(err)
		if err == nil || e.Kind != core.KindInvalidArgument || e.Details["argument"] != "mounts[1].subpath" ||
			!strings.Contains(e.Message, "volumes[].volume.subpath") || !strings.Contains(e.Message, "API version "+v+" is too old") {
			t.Errorf("subpath on API %s: %v, want InvalidArgument naming mounts[1].subpath and the old version", v, err)
		}
	}
	want := mount.Mount{Type: mount.TypeVolume, Source: "data", Target: "/x", ReadOnly: true,
		VolumeOptions: &mount.VolumeOptions{NoCopy: true, Subpath: "sub/dir"}}
	for _, v := range []string{"1.45", "1.48", ""} {
		p, err := planCreate(spec(), v)
		if err != nil {
			t.Fatalf("subpath on API %q: %v", v, err)
		}
		if got := p.opts.HostConfig.Mounts; len(got) != 2 || !reflect.DeepEqual(got[1], want) {
			t.Errorf("API %q: Mounts = %+v, want the second %+v", v, got, want)
		}
	}
	// A mount without one sends no subpath on any engine.
	p, err := planCreate(&core.ContainerSpec{Image: "img", Mounts: []core.Mount{{Type: "volume", Source: "data", Target: "/x"}}}, "1.41")
	if err != nil || p.opts.HostConfig.Mounts[0].VolumeOptions != nil {
		t.Errorf("a plain volume mount: %+v %v", p, err)
	}
}

// Annotations reach the engine from API 1.43; an older engine would drop
// them without a word, so they are refused there.
func TestPlanCreateAnnotationsNeedAPI143(t *testing.T) {
	ann := map[string]string{"perry.test/a": "b"}
	for _, v := range []string{"1.41", "1.42"} {
		_, err := planCreate(&core.ContainerSpec{Image: "img", Annotations: ann}, v)
		if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "annotations") ||
			!strings.Contains(err.Error(), "API version "+v+" is too old") {
			t.Errorf("annotations on API %s: %v, want InvalidArgument naming annotations and the old version", v, err)
		}
	}
	for _, v := range []string{"1.43", "1.44", ""} {
		p, err := planCreate(&core.ContainerSpec{Image: "img", Annotations: ann}, v)
		if err != nil {
			t.Fatalf("annotations on API %q: %v", v, err)
		}
		if !reflect.DeepEqual(p.opts.HostConfig.Annotations, ann) {
			t.Errorf("API %q: Annotations = %v, want %v", v, p.opts.HostConfig.Annotations, ann)
		}
	}
}
