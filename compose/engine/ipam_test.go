package engine

import (
	"reflect"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

// A network's ipam section converts field for field; a bad address or an
// unknown key fails the conversion naming the network and the field.
func TestConvertNetworkIPAM(t *testing.T) {
	for _, tc := range []struct {
		name  string
		ipam  string // the network's ipam, YAML flow style
		want  *core.IPAM
		field string // the field refused, when the conversion fails
	}{
		{"no ipam", ``, nil, ""},
		{"an empty ipam", `ipam: {}`, nil, ""},
		{"subnets only", `ipam: {config: [{subnet: 10.5.0.0/16}, {subnet: "fd00:5::/64"}]}`,
			&core.IPAM{Config: []core.IPAMPool{{Subnet: "10.5.0.0/16"}, {Subnet: "fd00:5::/64"}}}, ""},
		{"every field", `ipam: {driver: default, options: {foo: bar}, config: [{subnet: 10.5.0.0/16, gateway: 10.5.0.1, ip_range: 10.5.1.0/24, aux_addresses: {router: 10.5.0.2}}]}`,
			&core.IPAM{Driver: "default", Options: map[string]string{"foo": "bar"}, Config: []core.IPAMPool{{Subnet: "10.5.0.0/16",
				Gateway: "10.5.0.1", IPRange: "10.5.1.0/24", AuxAddresses: map[string]string{"router": "10.5.0.2"}}}}, ""},
		{"a driver alone", `ipam: {driver: custom}`, &core.IPAM{Driver: "custom"}, ""},
		{"a gateway that is not an IP", `ipam: {config: [{subnet: 10.5.0.0/16, gateway: gw}]}`, nil, "ipam.config[0].gateway"},
		{"an ip_range outside the subnet", `ipam: {config: [{subnet: 10.5.0.0/16}, {subnet: 10.6.0.0/16, ip_range: 10.7.0.0/24}]}`, nil, "ipam.config[1].ip_range"},
		{"an aux address outside the subnet", `ipam: {config: [{subnet: 10.5.0.0/16, aux_addresses: {r: 10.9.0.1}}]}`, nil, "ipam.config[0].aux_addresses[r]"},
		{"a gateway without a subnet", `ipam: {config: [{gateway: 10.5.0.1}]}`, nil, "ipam.config[0].subnet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := load(t, "services:\n  web: {image: busybox, networks: [front]}\nnetworks:\n  front: {"+tc.ipam+"}\n")
			e, _ := newEngine(t, newFake(), p)
			m, err := e.model(nil)
			if err != nil {
				t.Fatal(err)
			}
			nw := m.networks["front"]
			if tc.field != "" {
				ce := core.AsError(nw.err)
				if nw.err == nil || ce.Kind != core.KindInvalidConfig || ce.Details["network"] != "front" || ce.Details["field"] != tc.field ||
					!strings.Contains(ce.Message, tc.field) {
					t.Fatalf("got %v %v, want InvalidConfig naming network front and %s", nw.err, ce.Details, tc.field)
				}
				return
			}
			if nw.err != nil {
				t.Fatal(nw.err)
			}
			if !reflect.DeepEqual(nw.cfg.IPAM, tc.want) {
				t.Fatalf("IPAM %+v, want %+v", nw.cfg.IPAM, tc.want)
			}
		})
	}
}

const ipamYAML = `
services:
  web: {image: busybox, command: sleep 300, networks: {net: {ipv4_address: 10.241.7.10}}}
networks:
  net:
    ipam:
      driver: default
      options: {foo: bar}
      config:
        - subnet: 10.241.7.0/24
          gateway: 10.241.7.1
          ip_range: 10.241.7.0/25
          aux_addresses:
            router: ${ROUTER-10.241.7.250}
`

// An up of a compose file with IPAM settings creates the network with
// them, and recreates it when one changes; a bad one fails the up before
// any engine call.
func TestUpCreatesNetworkWithIPAM(t *testing.T) {
	b := newFake()
	up := func(router string) core.NetworkInfo {
		t.Helper()
		e, _ := newEngine(t, b, loadEnv(t, ipamYAML, map[string]string{"ROUTER": router}))
		if err := e.Up(ctxT(t), UpOptions{}); err != nil {
			t.Fatal(err)
		}
		cfg, ok := b.NetworkConfig("demo_net")
		want := &core.IPAM{Driver: "default", Options: map[string]string{"foo": "bar"}, Config: []core.IPAMPool{{Subnet: "10.241.7.0/24",
			Gateway: "10.241.7.1", IPRange: "10.241.7.0/25", AuxAddresses: map[string]string{"router": router}}}}
		if !ok || !reflect.DeepEqual(cfg.IPAM, want) {
			t.Fatalf("network created with IPAM %+v (%v), want %+v", cfg.IPAM, ok, want)
		}
		info, err := b.InspectNetwork(ctxT(t), "demo_net")
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	first := up("10.241.7.250")
	if again := up("10.241.7.250"); again.ID != first.ID {
		t.Fatal("an unchanged network was recreated")
	}
	if changed := up("10.241.7.251"); changed.ID == first.ID {
		t.Fatal("a network whose aux address changed was not recreated")
	}

	bad := newFake()
	e, _ := newEngine(t, bad, load(t, `
services:
  web: {image: busybox, networks: [net]}
networks:
  net: {ipam: {config: [{subnet: 10.241.7.0/24, gateway: 10.9.9.1}]}}
`))
	ce := wantKind(t, e.Up(ctxT(t), UpOptions{}), core.KindInvalidConfig)
	if ce.Details["network"] != "net" || ce.Details["field"] != "ipam.config[0].gateway" {
		t.Fatalf("error %v %v", ce, ce.Details)
	}
	if len(bad.Calls()) != 0 {
		t.Fatalf("backend called before validation: %v", bad.Methods())
	}
}
