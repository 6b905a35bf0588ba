package core

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func one(n uint16) PortRange { return PortRange{n, n} }

func TestParsePort(t *testing.T) {
	v6 := netip.MustParseAddr("::1")
	v4 := netip.MustParseAddr("127.0.0.1")
	cases := []struct {
		name, in string
		want     Port
		str      string // String(); "" = the input
		display  string
	}{
		{"bare container port is tcp", "80", Port{Container: one(80), Protocol: "tcp"}, "80/tcp", "80/tcp"},
		{"host and container", "8080:80", Port{Host: one(8080), Container: one(80), Protocol: "tcp"}, "8080:80/tcp", "0.0.0.0:8080->80/tcp"},
		{"udp", "53:53/udp", Port{Host: one(53), Container: one(53), Protocol: "udp"}, "", "0.0.0.0:53->53/udp"},
		{"sctp upper case", "9/SCTP", Port{Container: one(9), Protocol: "sctp"}, "9/sctp", "9/sctp"},
		{"ipv4 host ip", "127.0.0.1:8080:80/tcp", Port{HostIP: v4, Host: one(8080), Container: one(80), Protocol: "tcp"}, "", "127.0.0.1:8080->80/tcp"},
		{"ipv4 host ip, free port", "127.0.0.1::80/tcp", Port{HostIP: v4, Container: one(80), Protocol: "tcp"}, "", "80/tcp"},
		{"bracketed ipv6", "[::1]:8080:80/tcp", Port{HostIP: v6, Host: one(8080), Container: one(80), Protocol: "tcp"}, "", "[::1]:8080->80/tcp"},
		{"bracketed ipv6, free port", "[::1]::80/tcp", Port{HostIP: v6, Container: one(80), Protocol: "tcp"}, "", "80/tcp"},
		{"unbracketed ipv6, as docker reads it", "::1::80", Port{HostIP: v6, Container: one(80), Protocol: "tcp"}, "[::1]::80/tcp", "80/tcp"},
		{"host port 0 is a free port", "0:80", Port{Container: one(80), Protocol: "tcp"}, "80/tcp", "80/tcp"},
		{"ranges", "8000-8001:80-81/udp", Port{Host: PortRange{8000, 8001}, Container: PortRange{80, 81}, Protocol: "udp"}, "", "0.0.0.0:8000-8001->80-81/udp"},
		{"host range for one container port", "8000-8009:80/tcp", Port{Host: PortRange{8000, 8009}, Container: one(80), Protocol: "tcp"}, "", "0.0.0.0:8000-8009->80/tcp"},
		{"ps form", "0.0.0.0:32768->5432/tcp", Port{HostIP: netip.MustParseAddr("0.0.0.0"), Host: one(32768), Container: one(5432), Protocol: "tcp"}, "0.0.0.0:32768:5432/tcp", ""},
		{"ps form ipv6", "[::]:8080->80/tcp", Port{HostIP: netip.MustParseAddr("::"), Host: one(8080), Container: one(80), Protocol: "tcp"}, "[::]:8080:80/tcp", ""},
		{"ps form, unbracketed ipv6 of older docker", ":::8080->80/tcp", Port{HostIP: netip.MustParseAddr("::"), Host: one(8080), Container: one(80), Protocol: "tcp"}, "[::]:8080:80/tcp", "[::]:8080->80/tcp"},
		{"ps form without address", ":8080->80/tcp", Port{Host: one(8080), Container: one(80), Protocol: "tcp"}, "8080:80/tcp", "0.0.0.0:8080->80/tcp"},
		{"ps form range", "0.0.0.0:8000-8002->80-82/tcp", Port{HostIP: netip.MustParseAddr("0.0.0.0"), Host: PortRange{8000, 8002}, Container: PortRange{80, 82}, Protocol: "tcp"}, "0.0.0.0:8000-8002:80-82/tcp", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParsePort(c.in)
			if err != nil {
				t.Fatalf("ParsePort(%q): %v", c.in, err)
			}
			if got != c.want {
				t.Fatalf("ParsePort(%q) = %+v, want %+v", c.in, got, c.want)
			}
			str := c.str
			if str == "" {
				str = c.in
			}
			if got.String() != str {
				t.Errorf("String() = %q, want %q", got.String(), str)
			}
			display := c.display
			if display == "" {
				display = c.in
			}
			if got.Display() != display {
				t.Errorf("Display() = %q, want %q", got.Display(), display)
			}
		})
	}
}

func TestParsePortRejects(t *testing.T) {
	cases := []struct{ name, in, want string }{
		{"empty", "", "container port"},
		{"word", "eighty", "container port"},
		{"port 0", "0", "container port"},
		{"too big", "65536", "container port"},
		{"empty protocol", "80/", "empty protocol"},
		{"unknown protocol", "80/icmp", "must be tcp, udp or sctp"},
		{"bad ip", "1.2.3:80:80", "not an IP address"},
		{"zone", "[fe80::1%eth0]:80:80", "not an IP address"},
		{"unclosed bracket", "[::1:80:80", "bracketed IPv6"},
		{"backwards range", "82-80", "ends before it starts"},
		{"range lengths differ", "8000-8001:80-82", "differ in length"},
		{"bad host port", "x:80", "host port"},
		{"ps form without host port", "0.0.0.0:->80/tcp", "needs a host port"},
		{"unbalanced bracket in ps form", "[::1:8080->80/tcp", "unbalanced"},
		{"ps form without colon", "8080->80/tcp", "expected ip:host->container"},
		{"empty ip", "::80", "empty host address"},
		{"colon for ip", "::80:80", "not an IP address"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParsePort(c.in)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("ParsePort(%q) = %+v, %v; want an error containing %q", c.in, p, err, c.want)
			}
		})
	}
}

func genPort(t *rapid.T) Port {
	var p Port
	p.Protocol = rapid.SampledFrom([]string{"tcp", "udp", "sctp"}).Draw(t, "proto")
	start := rapid.Uint16Range(1, 65000).Draw(t, "container")
	n := rapid.Uint16Range(0, 3).Draw(t, "extra")
	p.Container = PortRange{start, start + n}
	switch rapid.IntRange(0, 3).Draw(t, "host") {
	case 1: // same length
		h := rapid.Uint16Range(1, 65000).Draw(t, "hostStart")
		p.Host = PortRange{h, h + n}
	case 2: // a host range for one container port
		p.Container.End = p.Container.Start
		h := rapid.Uint16Range(1, 65000).Draw(t, "hostStart")
		p.Host = PortRange{h, h + rapid.Uint16Range(0, 9).Draw(t, "hostExtra")}
	}
	switch rapid.IntRange(0, 2).Draw(t, "ip") {
	case 1:
		p.HostIP = netip.AddrFrom4([4]byte(rapid.SliceOfN(rapid.Byte(), 4, 4).Draw(t, "v4")))
	case 2:
		p.HostIP = netip.AddrFrom16([16]byte(rapid.SliceOfN(rapid.Byte(), 16, 16).Draw(t, "v6")))
	}
	return p
}

// Both string forms read back as the port they were written from, so a
// port crosses the spec and the report without changing.
func TestPropertyPortRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		p := genPort(t)
		got, err := ParsePort(p.String())
		if err != nil || got != p {
			t.Fatalf("ParsePort(%q) = %+v, %v; want %+v", p.String(), got, err, p)
		}
		if p.Host.IsZero() {
			return // the ps form shows no address then
		}
		want := p
		if !want.HostIP.IsValid() {
			want.HostIP = netip.IPv4Unspecified() // what "0.0.0.0:" reads as
		}
		got, err = ParsePort(p.Display())
		if err != nil || got != want {
			t.Fatalf("ParsePort(%q) = %+v, %v; want %+v", p.Display(), got, err, want)
		}
	})
}

func TestPortHostPort(t *testing.T) {
	cases := []struct {
		name string
		in   string
		ctr  uint16
		want string // Endpoint of ctr, "" = none
	}{
		{"single", "127.0.0.1:8080:80", 80, "127.0.0.1:8080"},
		{"every interface", "8080:80", 80, "0.0.0.0:8080"},
		{"ipv6", "[::1]:8080:80", 80, "[::1]:8080"},
		{"inside a range", "8000-8002:80-82", 81, "0.0.0.0:8001"},
		{"outside the range", "8000-8002:80-82", 83, ""},
		{"not published", "80", 80, ""},
		{"runtime picks from a host range", "8000-8009:80", 80, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p, err := ParsePort(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Endpoint(p.Index(c.ctr)); got != c.want {
				t.Errorf("Endpoint of %d in %q = %q, want %q", c.ctr, c.in, got, c.want)
			}
		})
	}
}

func TestContainerInfoPortsNeverNull(t *testing.T) {
	for _, info := range []ContainerInfo{{ID: "a"}, {ID: "b", Ports: []string{}}} {
		b, err := json.Marshal(info)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), `"ports":[]`) {
			t.Errorf("%s: want \"ports\":[]", b)
		}
	}
	b, _ := json.Marshal(&ContainerInfo{Ports: []string{"80/tcp"}})
	if !strings.Contains(string(b), `"ports":["80/tcp"]`) {
		t.Errorf("pointer: %s", b)
	}
}

func TestPortValidate(t *testing.T) {
	cases := []struct {
		name string
		p    Port
		want string // "" = valid
	}{
		{"one port", Port{Container: one(80), Protocol: "tcp"}, ""},
		{"host range for one container port", Port{Host: PortRange{8000, 8009}, Container: one(80), Protocol: "udp"}, ""},
		{"no container port", Port{Host: one(80), Protocol: "tcp"}, "container port is required"},
		{"no protocol", Port{Container: one(80)}, "must be tcp, udp or sctp"},
		{"backwards range", Port{Container: PortRange{81, 80}, Protocol: "tcp"}, "not a range"},
		{"half a range", Port{Container: PortRange{0, 80}, Protocol: "tcp"}, "not a range"},
		{"lengths differ", Port{Host: PortRange{8000, 8002}, Container: PortRange{80, 81}, Protocol: "tcp"}, "differ in length"},
		{"zone", Port{HostIP: netip.MustParseAddr("fe80::1%eth0"), Container: one(80), Protocol: "tcp"}, "zone"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.p.Validate()
			if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
				t.Fatalf("Validate(%+v) = %v, want %q", c.p, err, c.want)
			}
		})
	}
}

func TestParseContainerPort(t *testing.T) {
	cases := []struct {
		in    string
		port  uint16
		proto string
		ok    bool
	}{
		{"5432", 5432, "tcp", true},
		{"53/udp", 53, "udp", true},
		{"53/UDP", 53, "udp", true},
		{"8080:80", 0, "", false},
		{"80-81", 0, "", false},
		{"127.0.0.1::80", 0, "", false},
		{"eighty", 0, "", false},
	}
	for _, c := range cases {
		t.Run(c.in, func(t *testing.T) {
			n, proto, err := ParseContainerPort(c.in)
			if (err == nil) != c.ok || n != c.port || proto != c.proto {
				t.Fatalf("ParseContainerPort(%q) = %d %q %v", c.in, n, proto, err)
			}
		})
	}
}

func TestPublished(t *testing.T) {
	ports := []string{"80/tcp", "[::1]:8081->81/tcp", "0.0.0.0:5353->53/udp", "0.0.0.0:9000-9002->90-92/tcp", "junk"}
	cases := []struct {
		name  string
		port  uint16
		proto string
		want  string
	}{
		{"not published", 80, "tcp", ""},
		{"ipv6 bracketed", 81, "tcp", "[::1]:8081"},
		{"by protocol", 53, "udp", "0.0.0.0:5353"},
		{"wrong protocol", 53, "tcp", ""},
		{"in a range", 92, "tcp", "0.0.0.0:9002"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, ok := Published(ports, c.port, c.proto)
			if got != c.want || ok != (c.want != "") {
				t.Fatalf("Published(%d/%s) = %q, %v; want %q", c.port, c.proto, got, ok, c.want)
			}
		})
	}
}

// FuzzParsePort: whatever the text, ParsePort returns a valid port or an
// error, never panics, and what it accepts reads back unchanged from both
// of its string forms.
//
//	go test -run '^$' -fuzz '^FuzzParsePort$' -fuzztime 1h ./core/
func FuzzParsePort(f *testing.F) {
	for _, s := range []string{"80", "8080:80/udp", "[::1]::80", "::1::80", "127.0.0.1:8000-8009:80", "0.0.0.0:1-2->3-4/sctp",
		":::8080->80/tcp", "[::1:80", "1:2:3:4", "80/", "0:0", "65535-1:1", "[fe80::1%eth0]:1:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParsePort(s)
		if err != nil {
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("ParsePort(%q) = %+v, which is invalid: %v", s, p, err)
		}
		if back, err := ParsePort(p.String()); err != nil || back != p {
			t.Fatalf("%q: ParsePort(%q) = %+v, %v; want %+v", s, p.String(), back, err, p)
		}
		if p.Host.IsZero() {
			return
		}
		want := p
		if !want.HostIP.IsValid() {
			want.HostIP = netip.IPv4Unspecified()
		}
		if back, err := ParsePort(p.Display()); err != nil || back != want {
			t.Fatalf("%q: ParsePort(%q) = %+v, %v; want %+v", s, p.Display(), back, err, want)
		}
	})
}

// HostEndpoint writes the address a client connects to, with the caller's
// stand-in when no address is set.
func TestHostEndpoint(t *testing.T) {
	tests := []struct {
		name  string
		ip    netip.Addr
		unset string
		want  string
	}{
		{"no address, engine default", netip.Addr{}, "0.0.0.0", "0.0.0.0:8080"},
		{"no address, loopback", netip.Addr{}, "127.0.0.1", "127.0.0.1:8080"},
		{"ipv4", netip.MustParseAddr("10.0.0.2"), "127.0.0.1", "10.0.0.2:8080"},
		{"ipv6 bracketed", netip.MustParseAddr("::1"), "127.0.0.1", "[::1]:8080"},
		{"an unspecified address is kept", netip.MustParseAddr("::"), "127.0.0.1", "[::]:8080"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := HostEndpoint(tt.ip, 8080, tt.unset); got != tt.want {
				t.Errorf("HostEndpoint = %q, want %q", got, tt.want)
			}
		})
	}
}

// Every backend orders its port list with SortPorts, so the same container
// reads the same on each whatever order its runtime gave.
func TestSortPorts(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"by container port, not as text", []string{"0.0.0.0:8080->8080/tcp", "0.0.0.0:9000->80/tcp"},
			[]string{"0.0.0.0:9000->80/tcp", "0.0.0.0:8080->8080/tcp"}},
		{"then protocol", []string{"53/udp", "53/tcp"}, []string{"53/tcp", "53/udp"}},
		{"then IPv4 before IPv6", []string{"[::]:8080->80/tcp", "0.0.0.0:8080->80/tcp"},
			[]string{"0.0.0.0:8080->80/tcp", "[::]:8080->80/tcp"}},
		{"then host port", []string{"0.0.0.0:9001->80/tcp", "0.0.0.0:10000->80/tcp", "80/tcp"},
			[]string{"80/tcp", "0.0.0.0:9001->80/tcp", "0.0.0.0:10000->80/tcp"}},
		{"a range by its first port", []string{"0.0.0.0:9000-9001->9000-9001/tcp", "0.0.0.0:100->100/tcp"},
			[]string{"0.0.0.0:100->100/tcp", "0.0.0.0:9000-9001->9000-9001/tcp"}},
		{"unreadable first, by text", []string{"443/tcp", "zz", "aa"}, []string{"aa", "zz", "443/tcp"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := slices.Clone(tt.in)
			SortPorts(got)
			if !slices.Equal(got, tt.want) {
				t.Errorf("SortPorts(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}
