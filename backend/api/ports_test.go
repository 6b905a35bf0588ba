package api

import (
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
)

// The engine's port reports, from list and from inspect, come out in the
// one ps form (core.Port.Display): IPv6 bracketed, every interface as
// 0.0.0.0, unpublished ports bare, [] when there are none; ordered by
// container port (core.SortPorts), as every backend orders them.
func TestReportedPortsOneForm(t *testing.T) {
	v6 := netip.MustParseAddr("::1")
	summary := summaryInfo(container.Summary{Ports: []container.PortSummary{
		{IP: v6, PrivatePort: 80, PublicPort: 32768, Type: "tcp"},
		{PrivatePort: 81, Type: "udp"},
		{PrivatePort: 82, PublicPort: 8082, Type: "tcp"},
	}})
	inspect := inspectInfo(container.InspectResponse{NetworkSettings: &container.NetworkSettings{Ports: network.PortMap{
		network.MustParsePort("80/tcp"): {{HostIP: v6, HostPort: "32768"}},
		network.MustParsePort("81/udp"): nil,
		network.MustParsePort("82/tcp"): {{HostPort: "8082"}},
		network.MustParsePort("83/tcp"): {{HostPort: "9000-9009"}},
	}}}, time.Now())
	none := inspectInfo(container.InspectResponse{NetworkSettings: &container.NetworkSettings{}}, time.Now())
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"list", summary.Ports, []string{"[::1]:32768->80/tcp", "81/udp", "0.0.0.0:8082->82/tcp"}},
		{"inspect", inspect.Ports, []string{"[::1]:32768->80/tcp", "81/udp", "0.0.0.0:8082->82/tcp", "0.0.0.0:9000->83/tcp"}},
		{"nothing published", none.Ports, []string{}},
		{"empty list", summaryInfo(container.Summary{}).Ports, []string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !slices.Equal(c.got, c.want) || c.got == nil {
				t.Errorf("ports = %#v, want %#v", c.got, c.want)
			}
		})
	}
}
