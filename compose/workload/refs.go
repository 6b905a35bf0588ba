package workload

import (
	"fmt"
	"net"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/perryts/perry-container/core"
)

// portMapping is one container port of ContainerInfo.Ports.
type portMapping struct {
	hostIP        netip.Addr // zero when not published or published on all interfaces
	hostPort      uint16     // 0 when not published
	containerPort uint16
	proto         string
}

// parsePorts reads the port list of a ContainerInfo (core.ParsePort reads
// both the reported and the spec form), one entry per container port.
// Entries it cannot read are skipped.
func parsePorts(ports []string) []portMapping {
	var out []portMapping
	for _, s := range ports {
		p, err := core.ParsePort(strings.TrimSpace(s))
		if err != nil {
			continue
		}
		for k := range p.Container.Len() {
			m := portMapping{containerPort: p.Container.At(k), proto: p.Protocol}
			if h, ok := p.HostPort(k); ok {
				m.hostIP, m.hostPort = p.HostIP, h
			}
			out = append(out, m)
		}
	}
	// Stable: by container port, then IPv4 before IPv6, then host port.
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.containerPort != b.containerPort {
			return a.containerPort < b.containerPort
		}
		if v4(a.hostIP) != v4(b.hostIP) {
			return v4(a.hostIP)
		}
		return a.hostPort < b.hostPort
	})
	return out
}

func v4(ip netip.Addr) bool { return !ip.Is6() }

// endpoint is the "host:port" a client on the host connects to for a port
// published on ip:port: loopback for every interface (docker publishes an
// unspecified address on both families), IPv6 bracketed.
func endpoint(ip netip.Addr, port uint16) string {
	if ip.IsUnspecified() {
		ip = netip.Addr{}
	}
	return core.HostEndpoint(ip, port, "127.0.0.1")
}

// ResolveRef resolves a reference against the ContainerInfo of the node it
// names (see the package documentation for each projection). It is pure:
// the same info always gives the same address, which is what makes a
// resolved reference consistent with the running node (property P17, docs/design.md). Its
// error is a WorkloadRefResolutionFailed whose Details carry "target",
// "projection" and "reason"; Run adds the dependent "node" and "env".
func ResolveRef(ref core.WorkloadRef, info core.ContainerInfo) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		reason := fmt.Sprintf(format, args...)
		return "", core.Errorf(core.KindWorkloadRefResolutionFailed, "cannot resolve the %s of node %q: %s", ref.Projection, ref.NodeID, reason).
			With("target", ref.NodeID).With("projection", ref.Projection).With("reason", reason)
	}
	if info.State != "running" {
		state := info.State
		if state == "" {
			state = "unknown"
		}
		return fail("its container %s is not running (state %s)", info.Name, state)
	}
	want, wantProto := uint16(0), "tcp"
	if ref.Port != "" {
		var err error
		if want, wantProto, err = core.ParseContainerPort(ref.Port); err != nil {
			return fail("%v", err)
		}
	}
	ports := parsePorts(info.Ports)
	switch ref.Projection {
	case ProjectionEndpoint:
		// Without a port: the lowest published tcp port, else any.
		for _, anyProto := range []bool{false, true} {
			for _, p := range ports {
				if p.hostPort == 0 || (want != 0 && (p.containerPort != want || p.proto != wantProto)) ||
					(want == 0 && !anyProto && p.proto != "tcp") {
					continue
				}
				return endpoint(p.hostIP, p.hostPort), nil
			}
		}
		if want != 0 {
			return fail("container port %d/%s is not published (ports: %s)", want, wantProto, listOrNone(info.Ports))
		}
		return fail("no port is published (ports: %s)", listOrNone(info.Ports))
	case ProjectionIP:
		if info.IPAddress == "" {
			return fail("its container %s has no network address (network %s)", info.Name, listOrNone(info.Networks))
		}
		return info.IPAddress, nil
	case ProjectionInternalURL:
		if info.IPAddress == "" {
			return fail("its container %s has no network address (network %s)", info.Name, listOrNone(info.Networks))
		}
		port := want
		if port == 0 && len(ports) > 0 {
			port = ports[0].containerPort
			for _, p := range ports { // the lowest tcp port, else any
				if p.proto == "tcp" {
					port = p.containerPort
					break
				}
			}
		}
		if port == 0 {
			return fail("its container exposes no port; give the reference a port")
		}
		return "http://" + net.JoinHostPort(info.IPAddress, strconv.Itoa(int(port))), nil
	}
	return fail("unknown projection %q", ref.Projection)
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
