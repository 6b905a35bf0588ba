package engine

import (
	"context"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"pgregory.net/rapid"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

func portRange(a, b uint16) core.PortRange { return core.PortRange{Start: a, End: b} }

// servicePorts loads one service with the given ports entries (YAML list
// items) and converts them as up does.
func servicePorts(t testing.TB, entries string, scale int) ([]core.Port, error) {
	t.Helper()
	p := load(t, "services:\n  web:\n    image: img\n    ports:\n"+entries)
	return convertPorts(p.Services["web"].Ports, scale)
}

// Every form of compose's ports reads as docker compose reads it, and is
// written in the one -p form the backends take.
func TestComposePortsReadAsDockerCompose(t *testing.T) {
	lo := netip.MustParseAddr("127.0.0.1")
	v6 := netip.MustParseAddr("::1")
	cases := []struct {
		name, yaml string
		want       []core.Port
		flags      []string
	}{
		{"container port only", `      - "80"`,
			[]core.Port{{Container: portRange(80, 80), Protocol: "tcp"}}, []string{"80/tcp"}},
		{"host and container", `      - "8080:80"`,
			[]core.Port{{Host: portRange(8080, 8080), Container: portRange(80, 80), Protocol: "tcp"}}, []string{"8080:80/tcp"}},
		{"udp on an ipv4 address", `      - "127.0.0.1:8081:81/udp"`,
			[]core.Port{{HostIP: lo, Host: portRange(8081, 8081), Container: portRange(81, 81), Protocol: "udp"}}, []string{"127.0.0.1:8081:81/udp"}},
		{"ipv4 address, free port", `      - "127.0.0.1::82"`,
			[]core.Port{{HostIP: lo, Container: portRange(82, 82), Protocol: "tcp"}}, []string{"127.0.0.1::82/tcp"}},
		{"bracketed ipv6", `      - "[::1]:8083:83"`,
			[]core.Port{{HostIP: v6, Host: portRange(8083, 8083), Container: portRange(83, 83), Protocol: "tcp"}}, []string{"[::1]:8083:83/tcp"}},
		{"ipv6, free port", `      - "[::1]::84"`,
			[]core.Port{{HostIP: v6, Container: portRange(84, 84), Protocol: "tcp"}}, []string{"[::1]::84/tcp"}},
		{"sctp", `      - "5000:5000/sctp"`,
			[]core.Port{{Host: portRange(5000, 5000), Container: portRange(5000, 5000), Protocol: "sctp"}}, []string{"5000:5000/sctp"}},
		{"ranges of equal length, one port each", `      - "9000-9001:90-91"`,
			[]core.Port{{Host: portRange(9000, 9000), Container: portRange(90, 90), Protocol: "tcp"}, {Host: portRange(9001, 9001), Container: portRange(91, 91), Protocol: "tcp"}},
			[]string{"9000:90/tcp", "9001:91/tcp"}},
		{"container range unpublished", `      - "92-93/udp"`,
			[]core.Port{{Container: portRange(92, 92), Protocol: "udp"}, {Container: portRange(93, 93), Protocol: "udp"}},
			[]string{"92/udp", "93/udp"}},
		{"host range for one container port: replica 1 takes the first", `      - "8000-8009:85"`,
			[]core.Port{{Host: portRange(8000, 8009), Container: portRange(85, 85), Protocol: "tcp"}}, []string{"8000:85/tcp"}},
		{"long syntax, host_ip ::1 without published port", "      - target: 86\n        host_ip: \"::1\"",
			[]core.Port{{HostIP: v6, Container: portRange(86, 86), Protocol: "tcp"}}, []string{"[::1]::86/tcp"}},
		{"long syntax, ipv6 udp", "      - target: 87\n        published: \"8087\"\n        host_ip: \"::1\"\n        protocol: udp",
			[]core.Port{{HostIP: v6, Host: portRange(8087, 8087), Container: portRange(87, 87), Protocol: "udp"}}, []string{"[::1]:8087:87/udp"}},
		{"long syntax, mode and name", "      - target: 88\n        published: \"7000-7002\"\n        mode: host\n        name: web",
			[]core.Port{{Host: portRange(7000, 7002), Container: portRange(88, 88), Protocol: "tcp"}}, []string{"7000:88/tcp"}},
		{"long syntax, published 0 is a free port", "      - target: 89\n        published: \"0\"",
			[]core.Port{{Container: portRange(89, 89), Protocol: "tcp"}}, []string{"89/tcp"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := servicePorts(t, c.yaml+"\n", 1)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, c.want) {
				t.Fatalf("ports = %+v, want %+v", got, c.want)
			}
			if flags := replicaPorts(got, 1); !reflect.DeepEqual(flags, c.flags) {
				t.Errorf("-p = %q, want %q", flags, c.flags)
			}
		})
	}
}

// genComposePort draws one short-syntax port and how docker compose reads
// it: a container range is one port each, a host range of the same length
// pairs port by port, and one container port keeps a host range whole.
func genComposePort(t *rapid.T) (string, []core.Port) {
	proto := rapid.SampledFrom([]string{"", "tcp", "udp", "sctp"}).Draw(t, "proto")
	want := proto
	if want == "" {
		want = "tcp"
	}
	ctr := rapid.Uint16Range(1, 60000).Draw(t, "container")
	n := rapid.Uint16Range(0, 2).Draw(t, "container extra")
	var host uint16
	hostKind := rapid.IntRange(0, 2).Draw(t, "host kind") // none, same length, range for one port
	if hostKind > 0 {
		host = rapid.Uint16Range(1, 60000).Draw(t, "host")
	}
	if hostKind == 2 {
		n = 0
	}
	hostLen := n
	if hostKind == 2 {
		hostLen = rapid.Uint16Range(1, 5).Draw(t, "host extra")
	}
	ipText, ip := "", netip.Addr{}
	switch rapid.IntRange(0, 2).Draw(t, "ip") {
	case 1:
		ipText, ip = "127.0.0.1", netip.MustParseAddr("127.0.0.1")
	case 2:
		ipText, ip = "[::1]", netip.MustParseAddr("::1")
	}
	s := core.PortRange{Start: ctr, End: ctr + n}.String()
	switch {
	case hostKind > 0:
		s = core.PortRange{Start: host, End: host + hostLen}.String() + ":" + s
		if ipText != "" {
			s = ipText + ":" + s
		}
	case ipText != "":
		s = ipText + "::" + s
	}
	if proto != "" {
		s += "/" + proto
	}
	var out []core.Port
	for k := range n + 1 {
		p := core.Port{HostIP: ip, Container: portRange(ctr+k, ctr+k), Protocol: want}
		switch hostKind {
		case 1:
			p.Host = portRange(host+k, host+k)
		case 2:
			p.Host = portRange(host, host+hostLen)
		}
		out = append(out, p)
	}
	return s, out
}

func TestPropertyComposePortsReadAsDockerCompose(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		short, want := genComposePort(rt)
		// compose-go's own short-syntax reader, which its loader uses (the
		// table above goes through the whole loader).
		pcs, err := types.ParsePortConfig(short)
		if err != nil {
			rt.Fatalf("compose-go refuses %q: %v", short, err)
		}
		got, err := convertPorts(pcs, 1)
		if err != nil {
			rt.Fatalf("%q: %v", short, err)
		}
		// compose-go orders a range's ports by their text.
		byText := func(a, b core.Port) int { return strings.Compare(a.String(), b.String()) }
		slices.SortFunc(got, byText)
		slices.SortFunc(want, byText)
		if !reflect.DeepEqual(got, want) {
			rt.Fatalf("%q reads as %+v, want %+v", short, got, want)
		}
		for _, p := range got {
			back, err := core.ParsePort(p.String())
			if err != nil || back != p {
				rt.Fatalf("%q: ParsePort(%q) = %+v, %v; want %+v", short, p.String(), back, err, p)
			}
		}
	})
}

// A scaled service with a host range for one container port gives each
// replica its own port of the range, in replica order.
func TestScaledServiceSplitsHostRange(t *testing.T) {
	b := newFake()
	p := load(t, `
services:
  web:
    image: perry-test/busybox:latest
    scale: 3
    ports: ["18100-18109:80"]
`)
	e, _ := newEngine(t, b, p)
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	list, err := b.List(context.Background(), backend.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		got[c.Name] = c.Ports
	}
	want := map[string][]string{
		"demo-web-1": {"0.0.0.0:18100->80/tcp"},
		"demo-web-2": {"0.0.0.0:18101->80/tcp"},
		"demo-web-3": {"0.0.0.0:18102->80/tcp"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("ports by container = %v, want %v", got, want)
	}
}

// A host range shorter than the replica count cannot give each replica a
// port: up refuses before creating anything, naming the service and the
// port, whether the scale comes from the file or from the command.
func TestScaledServiceHostRangeTooShort(t *testing.T) {
	cases := []struct {
		name  string
		scale string
		opts  UpOptions
	}{
		{"scale in the file", "    scale: 3\n", UpOptions{}},
		{"scale from up", "", UpOptions{Scale: map[string]int{"web": 3}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := newFake()
			p := load(t, "services:\n  web:\n    image: perry-test/busybox:latest\n"+c.scale+"    ports: [\"18100-18101:80\"]\n")
			e, _ := newEngine(t, b, p)
			ce := wantKind(t, e.Up(ctxT(t), c.opts), core.KindInvalidConfig)
			for _, part := range []string{`"web"`, "ports[0]", "18100-18101", "3 replicas"} {
				if !strings.Contains(ce.Message, part) {
					t.Errorf("error %q does not say %s", ce.Message, part)
				}
			}
			if calls := callsOf(b, "Create"); len(calls) != 0 {
				t.Errorf("created %v before refusing", calls)
			}
		})
	}
}

// ps shows an empty list, never null, for a container that publishes
// nothing.
func TestPsPortsEmptyNotNull(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, "services:\n  web:\n    image: perry-test/busybox:latest\n"))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	cs, err := e.Ps(ctxT(t), PsOptions{All: true})
	if err != nil || len(cs) != 1 {
		t.Fatalf("ps = %v, %v", cs, err)
	}
	if cs[0].Ports == nil {
		t.Errorf("ports are nil, want []")
	}
	if e := cs[0].PsJSON(); e.Ports != "" || e.Publishers == nil {
		t.Errorf("ps json ports %q publishers %v", e.Ports, e.Publishers)
	}
}

// ps --format json lists one publisher per container port, as docker
// compose does, with the address unbracketed.
func TestPsJSONPublishers(t *testing.T) {
	c := Container{Ports: []string{"0.0.0.0:8080->80/tcp", "[::1]:8081->81/udp", "82/tcp", "0.0.0.0:9000-9001->90-91/tcp", "garbage"}}
	want := []Publisher{
		{URL: "0.0.0.0", TargetPort: 80, PublishedPort: 8080, Protocol: "tcp"},
		{URL: "::1", TargetPort: 81, PublishedPort: 8081, Protocol: "udp"},
		{TargetPort: 82, Protocol: "tcp"},
		{URL: "0.0.0.0", TargetPort: 90, PublishedPort: 9000, Protocol: "tcp"},
		{URL: "0.0.0.0", TargetPort: 91, PublishedPort: 9001, Protocol: "tcp"},
	}
	if got := c.PsJSON().Publishers; !reflect.DeepEqual(got, want) {
		t.Errorf("publishers = %+v, want %+v", got, want)
	}
}

// A one-off container (run --service-ports) is no replica: it keeps the
// host range whole, so the runtime picks a free port of it instead of
// replica 1's, which the running container holds.
func TestOneOffKeepsHostRange(t *testing.T) {
	p := load(t, "services:\n  web:\n    image: perry-test/busybox:latest\n    scale: 2\n    ports: [\"18100-18109:80\", \"8080:8080\"]\n")
	e, _ := newEngine(t, newFake(), p)
	spec, release, err := e.OneOffSpec(ctxT(t), "web", OneOffOptions{Slug: "0123456789ab"})
	defer release()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"18100-18109:80/tcp", "8080:8080/tcp"}; !reflect.DeepEqual(spec.Ports, want) {
		t.Fatalf("one-off ports %q, want %q", spec.Ports, want)
	}
}
