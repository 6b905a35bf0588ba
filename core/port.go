package core

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// PortRange is one port (Start == End) or consecutive ports. The zero
// value is "no port".
type PortRange struct {
	Start, End uint16
}

// IsZero reports whether r holds no port.
func (r PortRange) IsZero() bool { return r.Start == 0 }

// Len is the number of ports in r.
func (r PortRange) Len() int {
	if r.IsZero() {
		return 0
	}
	return int(r.End) - int(r.Start) + 1
}

// At is the k-th port of r, counting from 0.
func (r PortRange) At(k int) uint16 { return r.Start + uint16(k) }

// String writes "8000", "8000-8009", or "" for no port.
func (r PortRange) String() string {
	switch {
	case r.IsZero():
		return ""
	case r.End == r.Start:
		return strconv.Itoa(int(r.Start))
	}
	return strconv.Itoa(int(r.Start)) + "-" + strconv.Itoa(int(r.End))
}

// ParsePortRange reads "8000" or "8000-8009".
func ParsePortRange(s string) (PortRange, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	l, err := parsePortNumber(lo)
	if err != nil {
		return PortRange{}, err
	}
	if !isRange {
		return PortRange{l, l}, nil
	}
	h, err := parsePortNumber(hi)
	if err != nil {
		return PortRange{}, err
	}
	if h < l {
		return PortRange{}, fmt.Errorf("range %q ends before it starts", s)
	}
	return PortRange{l, h}, nil
}

func parsePortNumber(s string) (uint16, error) {
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("%q is not a port number (1-65535)", s)
	}
	return uint16(n), nil
}

// Port is one port mapping: a container port or range, with its protocol,
// and where the host publishes it. It has two string forms: String, the
// `docker run -p` form ContainerSpec.Ports holds, and Display, the
// `docker ps` form ContainerInfo.Ports holds. ParsePort reads both.
type Port struct {
	// HostIP is the host address it is published on; the zero Addr means
	// every interface.
	HostIP netip.Addr
	// Host is the host port or range. Zero means none chosen: in a spec,
	// the runtime publishes it on a free port (on HostIP when set); in a
	// report, it is not published.
	Host PortRange
	// Container is the container port or range; never zero.
	Container PortRange
	// Protocol is tcp, udp or sctp ("" reads as tcp when formatting).
	Protocol string
}

// String writes the port in `docker run -p` form,
// "[ip:][host:]container/proto", bracketing an IPv6 host address so that
// its colons cannot be read as separators ("[::1]:8080:80/tcp"). A host
// address without a host port is "ip::container/proto".
func (p Port) String() string {
	var b strings.Builder
	if p.HostIP.IsValid() {
		b.WriteString(bracketIP(p.HostIP))
		b.WriteByte(':')
		b.WriteString(p.Host.String())
		b.WriteByte(':')
	} else if !p.Host.IsZero() {
		b.WriteString(p.Host.String())
		b.WriteByte(':')
	}
	b.WriteString(p.Container.String())
	b.WriteByte('/')
	b.WriteString(p.proto())
	return b.String()
}

// Display writes the port as `docker ps` does: "0.0.0.0:8080->80/tcp",
// "[::1]:8080->80/tcp", or "80/tcp" when it has no host port.
func (p Port) Display() string {
	tail := p.Container.String() + "/" + p.proto()
	if p.Host.IsZero() {
		return tail
	}
	ip := "0.0.0.0"
	if p.HostIP.IsValid() {
		ip = bracketIP(p.HostIP)
	}
	return ip + ":" + p.Host.String() + "->" + tail
}

// Endpoint is the host address a client reaches the k-th container port of
// p on: "ip:port", IPv6 bracketed, with the engine's default address
// ("0.0.0.0") when p publishes on every interface. It is "" when p has no
// single host port for that container port.
func (p Port) Endpoint(k int) string {
	host, ok := p.HostPort(k)
	if !ok {
		return ""
	}
	return HostEndpoint(p.HostIP, host, "0.0.0.0")
}

// HostEndpoint is "ip:port" for a port published on ip, IPv6 bracketed, and
// unset in place of ip when there is none (a port published on every
// interface): each caller says which address stands for that.
func HostEndpoint(ip netip.Addr, port uint16, unset string) string {
	host := unset
	if ip.IsValid() {
		host = ip.String()
	}
	return net.JoinHostPort(host, strconv.Itoa(int(port)))
}

// Index is the position of container port n in p's container range, or -1.
func (p Port) Index(n uint16) int {
	if p.Container.IsZero() || n < p.Container.Start || n > p.Container.End {
		return -1
	}
	return int(n - p.Container.Start)
}

// HostPort is the host port of the k-th container port: the matching port
// of an equal-length host range. It is false when there is none, or when
// one container port takes any port of a host range (the runtime picks).
func (p Port) HostPort(k int) (uint16, bool) {
	if p.Host.IsZero() || k < 0 || k >= p.Container.Len() || p.Host.Len() != p.Container.Len() {
		return 0, false
	}
	return p.Host.At(k), true
}

func (p Port) proto() string {
	if p.Protocol == "" {
		return "tcp"
	}
	return p.Protocol
}

func bracketIP(a netip.Addr) string {
	if a.Is6() {
		return "[" + a.String() + "]"
	}
	return a.String()
}

// ParsePort reads a port in either string form: `docker run -p`'s
// "[ip:][host:]container[/proto]" (ip may be a bracketed IPv6 address; an
// unbracketed one is read as docker does, everything before the last two
// colons; host "0" or "" is a free port) or `docker ps`'s
// "ip:host->container/proto" (":host->…" is every interface). The protocol defaults to tcp; a host range
// must match the container range's length unless there is one container
// port, which then takes any free port of the range.
func ParsePort(s string) (Port, error) {
	rest, proto, hasProto := strings.Cut(s, "/")
	if hasProto && proto == "" {
		return Port{}, fmt.Errorf("empty protocol")
	}
	p := Port{Protocol: strings.ToLower(proto)}
	if p.Protocol == "" {
		p.Protocol = "tcp"
	}
	var ip, host, ctr string
	if left, right, ok := strings.Cut(rest, "->"); ok {
		// The host port follows the last colon; older docker CLIs print an
		// IPv6 address unbracketed (":::8080->80/tcp").
		i := strings.LastIndex(left, ":")
		if i < 0 {
			return Port{}, fmt.Errorf("expected ip:host->container[/proto]")
		}
		ip, host, ctr = left[:i], left[i+1:], right
		if strings.HasPrefix(ip, "[") || strings.HasSuffix(ip, "]") {
			if !strings.HasPrefix(ip, "[") || !strings.HasSuffix(ip, "]") {
				return Port{}, fmt.Errorf("unbalanced brackets in %q", ip)
			}
			ip = ip[1 : len(ip)-1]
		}
		if host == "" {
			return Port{}, fmt.Errorf("a published port needs a host port")
		}
	} else if strings.HasPrefix(rest, "[") {
		end := strings.Index(rest, "]:")
		if end < 0 {
			return Port{}, fmt.Errorf("a bracketed IPv6 address must be followed by :host:container")
		}
		ip = rest[1:end]
		var ok bool
		if host, ctr, ok = strings.Cut(rest[end+2:], ":"); !ok {
			return Port{}, fmt.Errorf("expected [ip]:host:container")
		}
	} else {
		parts := strings.Split(rest, ":")
		n := len(parts)
		ctr = parts[n-1]
		if n >= 2 {
			host = parts[n-2]
		}
		if n >= 3 {
			ip = strings.Join(parts[:n-2], ":")
			if ip == "" {
				return Port{}, fmt.Errorf("empty host address")
			}
		}
	}
	if ip != "" {
		a, err := netip.ParseAddr(ip)
		if err != nil || a.Zone() != "" {
			return Port{}, fmt.Errorf("%q is not an IP address", ip)
		}
		p.HostIP = a
	}
	var err error
	if p.Container, err = ParsePortRange(ctr); err != nil {
		return Port{}, fmt.Errorf("container port: %v", err)
	}
	if host != "" && host != "0" {
		if p.Host, err = ParsePortRange(host); err != nil {
			return Port{}, fmt.Errorf("host port: %v", err)
		}
	}
	if err := p.Validate(); err != nil {
		return Port{}, err
	}
	return p, nil
}

// Validate checks what every runtime requires of a port: a container
// port, a known protocol, and a host range as long as the container range
// unless there is one container port (which takes any port of the range).
func (p Port) Validate() error {
	switch p.Protocol {
	case "tcp", "udp", "sctp":
	default:
		return fmt.Errorf("protocol %q must be tcp, udp or sctp", p.Protocol)
	}
	for _, r := range []PortRange{p.Container, p.Host} {
		if r.End < r.Start || (r.Start == 0) != (r.End == 0) {
			return fmt.Errorf("port range %d-%d is not a range", r.Start, r.End)
		}
	}
	if p.Container.IsZero() {
		return fmt.Errorf("a container port is required")
	}
	if !p.Host.IsZero() && p.Host.Len() != p.Container.Len() && p.Container.Len() != 1 {
		return fmt.Errorf("host range %s and container range %s differ in length", p.Host, p.Container)
	}
	if p.HostIP.Zone() != "" {
		return fmt.Errorf("host address %s has a zone", p.HostIP)
	}
	return nil
}

// ParseContainerPort reads one container port with an optional protocol,
// "5432" or "5432/udp" (tcp by default): how a port is named when asking
// where it is published.
func ParseContainerPort(s string) (uint16, string, error) {
	p, err := ParsePort(s)
	if err != nil || p.HostIP.IsValid() || !p.Host.IsZero() || p.Container.Len() != 1 {
		return 0, "", fmt.Errorf("%q is not a container port (want e.g. \"5432\" or \"5432/tcp\")", s)
	}
	return p.Container.Start, p.Protocol, nil
}

// SortPorts orders ports (reported or spec forms) the one way every backend
// reports them, whatever order the runtime gave: by container port, then
// protocol, then host address (IPv4 before IPv6) and host port, then text.
// Entries it cannot read come first, by text.
func SortPorts(ports []string) {
	type key struct {
		p  Port
		ok bool
	}
	keys := make(map[string]key, len(ports))
	for _, s := range ports {
		p, err := ParsePort(s)
		keys[s] = key{p, err == nil}
	}
	slices.SortStableFunc(ports, func(a, b string) int {
		ka, kb := keys[a], keys[b]
		if ka.ok != kb.ok {
			if !ka.ok {
				return -1
			}
			return 1
		}
		pa, pb := ka.p, kb.p
		return cmp.Or(
			cmp.Compare(pa.Container.Start, pb.Container.Start),
			cmp.Compare(pa.Container.End, pb.Container.End),
			cmp.Compare(pa.Protocol, pb.Protocol),
			pa.HostIP.Compare(pb.HostIP),
			cmp.Compare(pa.Host.Start, pb.Host.Start),
			cmp.Compare(a, b),
		)
	})
}

// Published finds where container port n/proto is published among ports
// (reported forms, as ContainerInfo.Ports holds them): the "ip:port" of
// the first entry with a host port for it, IPv6 bracketed (Endpoint).
func Published(ports []string, n uint16, proto string) (string, bool) {
	for _, s := range ports {
		p, err := ParsePort(s)
		if err != nil || p.Protocol != proto {
			continue
		}
		if ep := p.Endpoint(p.Index(n)); ep != "" {
			return ep, true
		}
	}
	return "", false
}

// MarshalJSON writes ports as [] rather than null when the container
// publishes nothing: hosts index into the list without a null check.
func (c ContainerInfo) MarshalJSON() ([]byte, error) {
	type plain ContainerInfo // without this method
	if c.Ports == nil {
		c.Ports = []string{}
	}
	return json.Marshal(plain(c))
}
