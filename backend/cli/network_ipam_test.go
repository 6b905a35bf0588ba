package cli

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

// How a network's IPAM reaches each CLI's network create: the argv, or the
// field refused, naming the runtime.
func TestCreateNetworkIPAMArgs(t *testing.T) {
	full := core.IPAMPool{Subnet: "10.5.0.0/16", Gateway: "10.5.0.1", IPRange: "10.5.1.0/24",
		AuxAddresses: map[string]string{"router": "10.5.0.2", "dns": "10.5.0.3"}}
	v4 := core.IPAMPool{Subnet: "10.5.0.0/16", Gateway: "10.5.0.1", IPRange: "10.5.1.0/24"}
	v6 := core.IPAMPool{Subnet: "fd00:5::/64", Gateway: "fd00:5::1"}
	only := func(p ...core.IPAMPool) core.IPAM { return core.IPAM{Config: p} }
	tests := []struct {
		name    string
		p       Protocol
		ipam    core.IPAM
		want    []string // the flags between "network create" and "--"
		refused string   // the field refused, when the CLI cannot say it
	}{
		{"docker: every field, each pool's flags after its subnet", dockerP,
			core.IPAM{Driver: "custom", Options: map[string]string{"b": "2", "a": "1"}, Config: []core.IPAMPool{full, v6}},
			[]string{"--ipam-driver=custom", "--ipam-opt=a=1", "--ipam-opt=b=2",
				"--subnet=10.5.0.0/16", "--gateway=10.5.0.1", "--ip-range=10.5.1.0/24", "--aux-address=dns=10.5.0.3", "--aux-address=router=10.5.0.2",
				"--subnet=fd00:5::/64", "--gateway=fd00:5::1"}, ""},
		{"docker: the default driver is the CLI's own", dockerP, core.IPAM{Driver: "default", Config: []core.IPAMPool{{Subnet: "10.5.0.0/16"}}},
			[]string{"--subnet=10.5.0.0/16"}, ""},
		{"docker: a later pool may have a gateway alone", dockerP, only(core.IPAMPool{Subnet: "10.5.0.0/16"}, v6),
			[]string{"--subnet=10.5.0.0/16", "--subnet=fd00:5::/64", "--gateway=fd00:5::1"}, ""},
		{"docker: one aux name in two pools", dockerP, only(
			core.IPAMPool{Subnet: "10.5.0.0/16", AuxAddresses: map[string]string{"r": "10.5.0.2"}},
			core.IPAMPool{Subnet: "10.6.0.0/16", AuxAddresses: map[string]string{"r": "10.6.0.2"}}), nil, "network.ipam.config[1].aux_addresses[r]"},
		{"docker: an aux name with =", dockerP, only(core.IPAMPool{Subnet: "10.5.0.0/16", AuxAddresses: map[string]string{"a=b": "10.5.0.2"}}),
			nil, "network.ipam.config[0].aux_addresses[a=b]"},
		{"podman: driver, subnets, gateways and ranges in pool order", podmanP,
			core.IPAM{Driver: "host-local", Config: []core.IPAMPool{v4, {Subnet: "10.6.0.0/16", Gateway: "10.6.0.1"}}},
			[]string{"--ipam-driver=host-local", "--subnet=10.5.0.0/16", "--gateway=10.5.0.1", "--ip-range=10.5.1.0/24",
				"--subnet=10.6.0.0/16", "--gateway=10.6.0.1"}, ""},
		{"podman: aux addresses", podmanP, only(full), nil, "network.ipam.config[0].aux_addresses"},
		{"podman: IPAM options", podmanP, core.IPAM{Options: map[string]string{"k": "v"}}, nil, "network.ipam.options"},
		{"podman: a gateway after a pool without one", podmanP, only(core.IPAMPool{Subnet: "10.5.0.0/16"}, v6), nil, "network.ipam.config[1].gateway"},
		{"podman: a range after a pool without one", podmanP, only(core.IPAMPool{Subnet: "fd00:5::/64"}, v4), nil, "network.ipam.config[1].gateway"},
		{"nerdctl: driver, options for dhcp, one pool with gateway and range", nerdctlP,
			core.IPAM{Driver: "dhcp", Options: map[string]string{"k": "v"}, Config: []core.IPAMPool{v4}},
			[]string{"--ipam-driver=dhcp", "--ipam-opt=k=v", "--subnet=10.5.0.0/16", "--gateway=10.5.0.1", "--ip-range=10.5.1.0/24"}, ""},
		{"nerdctl: two pools of subnets alone", nerdctlP, only(core.IPAMPool{Subnet: "10.5.0.0/16"}, core.IPAMPool{Subnet: "fd00:5::/64"}),
			[]string{"--subnet=10.5.0.0/16", "--subnet=fd00:5::/64"}, ""},
		{"nerdctl: aux addresses", nerdctlP, only(full), nil, "network.ipam.config[0].aux_addresses"},
		{"nerdctl: IPAM options of the default driver", nerdctlP, core.IPAM{Options: map[string]string{"k": "v"}}, nil, "network.ipam.options"},
		{"nerdctl: a gateway on a network of two pools", nerdctlP, only(core.IPAMPool{Subnet: "10.6.0.0/16"}, v6), nil, "network.ipam.config[1].gateway"},
		{"apple: a subnet per family", appleP, only(core.IPAMPool{Subnet: "10.5.0.0/16"}, core.IPAMPool{Subnet: "fd00:5::/64"}),
			[]string{"--subnet=10.5.0.0/16", "--subnet-v6=fd00:5::/64"}, ""},
		{"apple: the default driver", appleP, core.IPAM{Driver: "default"}, []string{}, ""},
		{"apple: another driver", appleP, core.IPAM{Driver: "custom"}, nil, "network.ipam.driver"},
		{"apple: IPAM options", appleP, core.IPAM{Options: map[string]string{"k": "v"}}, nil, "network.ipam.options"},
		{"apple: a gateway", appleP, only(core.IPAMPool{Subnet: "10.5.0.0/16", Gateway: "10.5.0.1"}), nil, "network.ipam.config[0].gateway"},
		{"apple: a range", appleP, only(core.IPAMPool{Subnet: "10.5.0.0/16", IPRange: "10.5.1.0/24"}), nil, "network.ipam.config[0].ip_range"},
		{"apple: aux addresses", appleP, only(core.IPAMPool{Subnet: "10.5.0.0/16", AuxAddresses: map[string]string{"r": "10.5.0.2"}}),
			nil, "network.ipam.config[0].aux_addresses"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ipam := tt.ipam
			args, err := tt.p.CreateNetworkArgs("n1", core.NetworkConfig{IPAM: &ipam})
			if tt.refused != "" {
				e := core.AsError(err)
				if err == nil || e.Kind != core.KindInvalidArgument || e.Details["field"] != tt.refused || !strings.Contains(e.Message, tt.p.Runtime) {
					t.Fatalf("got %v %v, want InvalidArgument naming %s and %s", args, err, tt.refused, tt.p.Runtime)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := append(append([]string{"network", "create"}, tt.want...), "--", "n1")
			if !slices.Equal(args, want) {
				t.Fatalf("args\n%q\nwant\n%q", args, want)
			}
		})
	}
}

// appliedPool is what a runtime's own network inspect says of a pool.
type appliedPool struct {
	subnet, gateway string
	rangeStart      string            // the first address handed out
	rangeEnd        string            // the last address handed out
	aux             map[string]string // docker only
}

// appliedIPAM reads the pools of network name from bin's network inspect,
// in each runtime's own format.
func appliedIPAM(t *testing.T, b *Backend, name string) []appliedPool {
	t.Helper()
	out, err := exec.CommandContext(t.Context(), b.bin, b.proto.InspectNetworkArgs(name)...).Output()
	if err != nil {
		t.Fatalf("%s network inspect %s: %v", b.bin, name, err)
	}
	var pools []appliedPool
	switch b.proto.Flavor {
	case FlavorPodman:
		var nets []struct {
			Subnets []struct {
				Subnet, Gateway string
				LeaseRange      *struct {
					StartIP string `json:"start_ip"`
					EndIP   string `json:"end_ip"`
				} `json:"lease_range"`
			}
		}
		if err := json.Unmarshal(out, &nets); err != nil || len(nets) != 1 {
			t.Fatalf("podman network inspect: %v\n%s", err, out)
		}
		for _, s := range nets[0].Subnets {
			p := appliedPool{subnet: s.Subnet, gateway: s.Gateway}
			if s.LeaseRange != nil {
				p.rangeStart, p.rangeEnd = s.LeaseRange.StartIP, s.LeaseRange.EndIP
			}
			pools = append(pools, p)
		}
	case FlavorNerdctl:
		var nets []struct {
			CNI struct {
				Plugins []struct {
					IPAM struct {
						Ranges [][]struct{ Subnet, Gateway, RangeStart, RangeEnd string }
					}
				}
			}
		}
		if err := json.Unmarshal(out, &nets); err != nil || len(nets) != 1 || len(nets[0].CNI.Plugins) == 0 {
			t.Fatalf("nerdctl network inspect: %v\n%s", err, out)
		}
		for _, rs := range nets[0].CNI.Plugins[0].IPAM.Ranges {
			for _, r := range rs {
				pools = append(pools, appliedPool{subnet: r.Subnet, gateway: r.Gateway, rangeStart: r.RangeStart, rangeEnd: r.RangeEnd})
			}
		}
	default:
		var nets []struct {
			IPAM struct {
				Config []struct {
					Subnet, Gateway, IPRange string
					AuxiliaryAddresses       map[string]string
				}
			}
		}
		if err := json.Unmarshal(out, &nets); err != nil || len(nets) != 1 {
			t.Fatalf("docker network inspect: %v\n%s", err, out)
		}
		for _, c := range nets[0].IPAM.Config {
			p := appliedPool{subnet: c.Subnet, gateway: c.Gateway, aux: c.AuxiliaryAddresses}
			if r, err := netip.ParsePrefix(c.IPRange); err == nil {
				p.rangeStart = r.Addr().String() // docker reports the range, not its ends
			}
			pools = append(pools, p)
		}
	}
	return pools
}

// TestEngineNetworkIPAM creates a network with the IPAM each live runtime
// can apply and reads it back from the runtime's own inspect: subnet,
// gateway and range everywhere, aux addresses on docker.
func TestEngineNetworkIPAM(t *testing.T) {
	for _, rt := range []string{"docker", "podman", "nerdctl"} {
		t.Run(rt, func(t *testing.T) {
			var b *Backend
			if rt == "docker" {
				b = engine(t)
			} else {
				b = liveBackend(t, rt)
			}
			run := uniqueName("ipam")
			octet, _ := strconv.ParseUint(run[len(run)-2:], 16, 8) // a random subnet: nerdctl refuses overlapping ones
			at := func(host string) string { return fmt.Sprintf("10.233.%d.%s", octet, host) }
			// A gateway other than the default first address, outside the range.
			pool := core.IPAMPool{Subnet: at("0/24"), Gateway: at("126"), IPRange: at("128/25")}
			if rt == "docker" {
				pool.AuxAddresses = map[string]string{"router": at("2")}
			}
			if err := b.CreateNetwork(t.Context(), run, core.NetworkConfig{Labels: testLabels(run), IPAM: &core.IPAM{Config: []core.IPAMPool{pool}}}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := cleanupCtx()
				defer cancel()
				if err := b.RemoveNetwork(ctx, run); err != nil && core.KindOf(err) != core.KindNotFound {
					t.Errorf("cleanup of network %s: %v", run, err)
				}
			})
			got := appliedIPAM(t, b, run)
			if len(got) != 1 || got[0].subnet != at("0/24") || got[0].gateway != at("126") {
				t.Fatalf("pools %+v, want one of subnet %s and gateway %s", got, at("0/24"), at("126"))
			}
			// Each runtime says where its range starts its own way (docker:
			// the range's first address; podman and nerdctl: the first one
			// handed out): within the range either way.
			r := netip.MustParsePrefix(pool.IPRange)
			for _, ip := range []string{got[0].rangeStart, got[0].rangeEnd} {
				if ip == "" {
					continue
				}
				if a, err := netip.ParseAddr(ip); err != nil || !r.Contains(a) {
					t.Errorf("range address %q is not in %s", ip, r)
				}
			}
			if got[0].rangeStart == "" {
				t.Errorf("no range applied: %+v", got[0])
			}
			if rt == "docker" && got[0].aux["router"] != at("2") {
				t.Errorf("aux addresses %v, want router %s", got[0].aux, at("2"))
			}
		})
	}
}
