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
