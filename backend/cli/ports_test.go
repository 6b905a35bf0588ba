package cli

import (
	"net/netip"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/perryts/perry-container/core"
)

// genPorts draws ports in the -p form core.Port writes, which the CLIs
// receive unchanged.
func genPorts(t *rapid.T, label string) []string {
	n := rapid.IntRange(0, 3).Draw(t, label+" count")
	out := make([]string, 0, n)
	for range n {
		p := core.Port{Protocol: rapid.SampledFrom([]string{"tcp", "udp", "sctp"}).Draw(t, label+" proto")}
		c := rapid.Uint16Range(1, 65000).Draw(t, label+" container")
		p.Container = core.PortRange{Start: c, End: c}
		if rapid.Bool().Draw(t, label+" published?") {
			h := rapid.Uint16Range(1, 65000).Draw(t, label+" host")
			p.Host = core.PortRange{Start: h, End: h}
		}
		switch rapid.IntRange(0, 2).Draw(t, label+" ip") {
		case 1:
			p.HostIP = netip.MustParseAddr("127.0.0.1")
		case 2:
			p.HostIP = netip.MustParseAddr("::1")
		}
		out = append(out, p.String())
	}
	return out
}

func TestPublishFlags(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want string
	}{
		{"bare port gets its protocol", "80", "--publish=80/tcp"},
		{"ipv6 host address without host port is bracketed", "::1::80", "--publish=[::1]::80/tcp"},
		{"ipv6 host address with host port", "[::1]:8080:80/udp", "--publish=[::1]:8080:80/udp"},
		{"ranges stay ranges", "8000-8001:80-81", "--publish=8000-8001:80-81/tcp"},
		{"ps form is accepted too", "127.0.0.1:8080->80/tcp", "--publish=127.0.0.1:8080:80/tcp"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range []Protocol{dockerP, nerdctlP, appleP} {
				args, err := p.CreateArgs(&core.ContainerSpec{Image: "img", Ports: []string{c.in}})
				if err != nil {
					t.Fatalf("%s: %v", p.Flavor, err)
				}
				if !slices.Contains(args, c.want) {
					t.Errorf("%s: %q has no %s", p.Flavor, args, c.want)
				}
			}
		})
	}
}

func TestPublishRejectsBadPortsByIndex(t *testing.T) {
	for _, bad := range []string{"eighty", "80/icmp", "1.2.3:80:80", "8000-8002:80-81"} {
		_, err := dockerP.CreateArgs(&core.ContainerSpec{Image: "img", Ports: []string{"80", bad}})
		if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "ports[1]") {
			t.Errorf("ports %q: %v, want InvalidArgument naming ports[1]", bad, err)
		}
	}
}

// Every runtime's port report comes out in the one ps form the API backend
// also writes (core.Port.Display), IPv6 addresses bracketed.
func TestReportedPortsOneForm(t *testing.T) {
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"docker 20.10 ps, unbracketed ipv6", psPorts([]byte(`"0.0.0.0:8080->80/tcp, :::8080->80/tcp"`)),
			[]string{"0.0.0.0:8080->80/tcp", "[::]:8080->80/tcp"}},
		{"ps text the model cannot read is kept", psPorts([]byte(`"weird"`)), []string{"weird"}},
		{"nothing published", psPorts([]byte(`""`)), []string{}},
		{"podman array with a range", psPorts([]byte(`[{"host_ip":"","container_port":80,"host_port":8000,"range":3,"protocol":"tcp"}]`)),
			[]string{"0.0.0.0:8000-8002->80-82/tcp"}},
		{"inspect, ipv6 loopback and an unpublished port", inspectPorts(map[string][]portBinding{"80/tcp": {{HostIP: "::1", HostPort: "32768"}}, "81/udp": nil}),
			[]string{"[::1]:32768->80/tcp", "81/udp"}},
		{"apple with a count", applePorts([]applePort{{HostAddress: "127.0.0.1", HostPort: 9000, ContainerPort: 90, Proto: "tcp", Count: 2}}),
			[]string{"127.0.0.1:9000-9001->90-91/tcp"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !slices.Equal(c.got, c.want) || c.got == nil {
				t.Errorf("ports = %#v, want %#v", c.got, c.want)
			}
		})
	}
}
