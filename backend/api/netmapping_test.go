package api

import (
	"encoding/json"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/network"

	"github.com/perryts/perry-container/core"
)

// netSample sets one NetworkConfig field (path "Field", "Field.Sub" or
// "Field.Sub.Sub") on top of an optional base.
type netSample struct {
	base func(*core.NetworkConfig)
	set  func(*core.NetworkConfig)
}

func withPool(c *core.NetworkConfig) {
	c.IPAM = &core.IPAM{Config: []core.IPAMPool{{Subnet: "10.5.0.0/16"}}}
}

// netSamples must name every field of NetworkConfig and of its nested
// structs: TestNetworkCreateMapsEveryField fails when core grows a field
// the create request does not carry.
var netSamples = map[string]netSample{
	"Driver":      {set: func(c *core.NetworkConfig) { c.Driver = "macvlan" }},
	"Labels":      {set: func(c *core.NetworkConfig) { c.Labels = map[string]string{"a": "b"} }},
	"Internal":    {set: func(c *core.NetworkConfig) { c.Internal = true }},
	"Attachable":  {set: func(c *core.NetworkConfig) { c.Attachable = true }},
	"EnableIPv6":  {set: func(c *core.NetworkConfig) { c.EnableIPv6 = true }},
	"EnableIPv4":  {set: func(c *core.NetworkConfig) { f := false; c.EnableIPv4 = &f }},
	"Options":     {set: func(c *core.NetworkConfig) { c.Options = map[string]string{"com.docker.network.driver.mtu": "1400"} }},
	"IPAM":        {set: withPool},
	"IPAM.Driver": {base: withPool, set: func(c *core.NetworkConfig) { c.IPAM.Driver = "custom" }},
	"IPAM.Options": {base: withPool,
		set: func(c *core.NetworkConfig) { c.IPAM.Options = map[string]string{"k": "v"} }},
	"IPAM.Config": {base: withPool, set: func(c *core.NetworkConfig) {
		c.IPAM.Config = append(c.IPAM.Config, core.IPAMPool{Subnet: "fd00:5::/64"})
	}},
	"IPAM.Config.Subnet":  {base: withPool, set: func(c *core.NetworkConfig) { c.IPAM.Config[0].Subnet = "10.6.0.0/16" }},
	"IPAM.Config.Gateway": {base: withPool, set: func(c *core.NetworkConfig) { c.IPAM.Config[0].Gateway = "10.5.0.1" }},
	"IPAM.Config.IPRange": {base: withPool, set: func(c *core.NetworkConfig) { c.IPAM.Config[0].IPRange = "10.5.1.0/24" }},
	"IPAM.Config.AuxAddresses": {base: withPool,
		set: func(c *core.NetworkConfig) { c.IPAM.Config[0].AuxAddresses = map[string]string{"router": "10.5.0.2"} }},
}

// netFieldPaths lists NetworkConfig's fields and those of its nested
// structs, at any depth.
func netFieldPaths() []string {
	var out []string
	var walk func(prefix string, t reflect.Type)
	walk = func(prefix string, t reflect.Type) {
		for i := range t.NumField() {
			f := t.Field(i)
			out = append(out, prefix+f.Name)
			inner := f.Type
			for inner.Kind() == reflect.Pointer || inner.Kind() == reflect.Slice {
				inner = inner.Elem()
			}
			if inner.Kind() == reflect.Struct {
				walk(prefix+f.Name+".", inner)
			}
		}
	}
	walk("", reflect.TypeFor[core.NetworkConfig]())
	return out
}

// cloneNetwork copies cfg deeply enough for the samples, which replace or
// index what the base made.
func cloneNetwork(c core.NetworkConfig) core.NetworkConfig {
	if c.IPAM != nil {
		ipam := *c.IPAM
		ipam.Config = append([]core.IPAMPool(nil), c.IPAM.Config...)
		c.IPAM = &ipam
	}
	return c
}

func TestNetworkCreateMapsEveryField(t *testing.T) {
	b := &Backend{name: "docker"}
	render := func(c core.NetworkConfig) string {
		t.Helper()
		if err := core.ValidateNetwork("n", c); err != nil {
			t.Fatalf("the sample is invalid: %v", err)
		}
		opts, err := b.networkCreateOptions(c, "")
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		data, err := json.Marshal(opts)
		if err != nil {
			t.Fatal(err)
		}
		return string(data)
	}
	paths := netFieldPaths()
	for _, path := range paths {
		smp, ok := netSamples[path]
		if !ok {
			t.Errorf("NetworkConfig field %s has no sample: map it in networkCreateOptions (or refuse it with InvalidArgument) and add a sample here", path)
			continue
		}
		t.Run(path, func(t *testing.T) {
			var base core.NetworkConfig
			if smp.base != nil {
				smp.base(&base)
			}
			c := cloneNetwork(base)
			smp.set(&c)
			if render(base) == render(c) {
				t.Errorf("setting %s does not change the create request: the field is dropped", path)
			}
		})
	}
	for path := range netSamples {
		if !strings.Contains(strings.Join(paths, " ")+" ", path+" ") {
			t.Errorf("sample %s names no NetworkConfig field", path)
		}
	}
}

// The IPAM of a compose network reaches the Engine API as docker compose
// sends it: pools in order, every address parsed.
func TestNetworkCreateIPAM(t *testing.T) {
	b := &Backend{name: "docker"}
	cfg := core.NetworkConfig{IPAM: &core.IPAM{Driver: "default", Options: map[string]string{"k": "v"}, Config: []core.IPAMPool{
		{Subnet: "10.5.0.0/16", Gateway: "10.5.0.1", IPRange: "10.5.1.0/24", AuxAddresses: map[string]string{"router": "10.5.0.2"}},
		{Subnet: "fd00:5::/64"},
	}}}
	opts, err := b.networkCreateOptions(cfg, "1.41")
	if err != nil {
		t.Fatal(err)
	}
	want := &network.IPAM{Driver: "default", Options: map[string]string{"k": "v"}, Config: []network.IPAMConfig{
		{Subnet: netip.MustParsePrefix("10.5.0.0/16"), Gateway: netip.MustParseAddr("10.5.0.1"), IPRange: netip.MustParsePrefix("10.5.1.0/24"),
			AuxAddress: map[string]netip.Addr{"router": netip.MustParseAddr("10.5.0.2")}},
		{Subnet: netip.MustParsePrefix("fd00:5::/64")},
	}}
	if !reflect.DeepEqual(opts.IPAM, want) {
		t.Fatalf("IPAM %+v, want %+v", opts.IPAM, want)
	}
	for _, tc := range []struct {
		name string
		ipam *core.IPAM
		want *network.IPAM
	}{
		{"no IPAM", nil, nil},
		{"the default driver alone", &core.IPAM{Driver: "default"}, nil},
		{"pools without a driver get the default one", &core.IPAM{Config: []core.IPAMPool{{Subnet: "10.5.0.0/16"}}},
			&network.IPAM{Driver: "default", Config: []network.IPAMConfig{{Subnet: netip.MustParsePrefix("10.5.0.0/16")}}}},
		{"a driver alone", &core.IPAM{Driver: "custom"}, &network.IPAM{Driver: "custom"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			opts, err := b.networkCreateOptions(core.NetworkConfig{IPAM: tc.ipam}, "1.41")
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(opts.IPAM, tc.want) {
				t.Fatalf("IPAM %+v, want %+v", opts.IPAM, tc.want)
			}
		})
	}
}

// podman's Docker-compatible API drops the IPAM driver, its options and
// aux addresses: they are refused, naming the field and podman; what it
// applies goes through.
func TestNetworkCreateIPAMOnPodman(t *testing.T) {
	b := &Backend{name: "podman"}
	pool := core.IPAMPool{Subnet: "10.5.0.0/16", Gateway: "10.5.0.1", IPRange: "10.5.1.0/24"}
	for _, tc := range []struct {
		name  string
		ipam  core.IPAM
		field string // "" when podman takes it
	}{
		{"subnet, gateway and ip_range", core.IPAM{Config: []core.IPAMPool{pool}}, ""},
		{"the default driver", core.IPAM{Driver: "default", Config: []core.IPAMPool{pool}}, ""},
		{"another driver", core.IPAM{Driver: "dhcp"}, "network.ipam.driver"},
		{"options", core.IPAM{Options: map[string]string{"k": "v"}}, "network.ipam.options"},
		{"aux addresses in the second pool", core.IPAM{Config: []core.IPAMPool{pool,
			{Subnet: "10.6.0.0/16", AuxAddresses: map[string]string{"r": "10.6.0.2"}}}}, "network.ipam.config[1].aux_addresses"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := b.networkCreateOptions(core.NetworkConfig{IPAM: &tc.ipam}, "1.41")
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e := core.AsError(err)
			if err == nil || e.Kind != core.KindInvalidArgument || e.Details["field"] != tc.field || !strings.Contains(e.Message, "podman") {
				t.Fatalf("got %v, want InvalidArgument naming %s and podman", err, tc.field)
			}
		})
	}
}

// enable_ipv4 reaches the engine from API 1.48 (Docker 28), false and true
// alike. Before, the engine would ignore it and create the network with
// IPv4, so false is refused naming the field and the version; true, the
// default, is left out. podman has no switch for it: false is refused.
func TestNetworkCreateEnableIPv4(t *testing.T) {
	f, tr := false, true
	for _, tc := range []struct {
		name, backend, version string
		v4                     *bool
		sent                   *bool  // EnableIPv4 in the request
		refused                string // a part of the refusal; "" when sent
	}{
		{"false on API 1.48", "docker", "1.48", &f, &f, ""},
		{"false on API 1.51", "docker", "1.51", &f, &f, ""},
		{"true on API 1.48", "docker", "1.48", &tr, &tr, ""},
		{"unset on API 1.48", "docker", "1.48", nil, nil, ""},
		{"false on API 1.41", "docker", "1.41", &f, nil, "needs Engine API 1.48 (Docker 28) or later; this engine's API version 1.41"},
		{"false on API 1.47", "docker", "1.47", &f, nil, "API version 1.47"},
		{"true on API 1.41 is the default", "docker", "1.41", &tr, nil, ""},
		{"unset on API 1.41", "docker", "1.41", nil, nil, ""},
		{"false on podman", "podman", "1.41", &f, nil, "not supported by podman"},
		{"false on podman reporting a new API", "podman", "1.48", &f, nil, "not supported by podman"},
		{"true on podman", "podman", "1.41", &tr, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &Backend{name: tc.backend}
			cfg := core.NetworkConfig{EnableIPv6: true, EnableIPv4: tc.v4}
			opts, err := b.networkCreateOptions(cfg, tc.version)
			if tc.refused != "" {
				e := core.AsError(err)
				if err == nil || e.Kind != core.KindInvalidArgument || e.Details["field"] != "network.enable_ipv4" || !strings.Contains(e.Message, tc.refused) {
					t.Fatalf("got %v, want InvalidArgument naming network.enable_ipv4 and %q", err, tc.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(opts.EnableIPv4, tc.sent) {
				t.Fatalf("EnableIPv4 %v, want %v", opts.EnableIPv4, tc.sent)
			}
		})
	}
}
