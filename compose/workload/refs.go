package workload

import (
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"

	"github.com/perryts/perry-container/core"
)

// portMapping is one entry of ContainerInfo.Ports.
type portMapping struct {
	hostIP        string // "" when not published or published on all interfaces
	hostPort      int    // 0 when not published
	containerPort int
	proto         string
}

// parsePortArg reads a WorkloadRef port: "5432" or "5432/tcp".
func parsePortArg(s string) (int, string, error) {
	num, proto, _ := strings.Cut(s, "/")
	n, err := strconv.Atoi(num)
	if err != nil || n <= 0 || n > 65535 {
		return 0, "", fmt.Errorf("%q is not a port (want e.g. \"5432\" or \"5432/tcp\")", s)
	}
	if proto == "" {
		proto = "tcp"
	}
	return n, strings.ToLower(proto), nil
}

// parsePorts reads the port list of a ContainerInfo in the forms the
// backends report: docker's "0.0.0.0:8080->80/tcp", "[::]:8080->80/tcp",
// "80/tcp", and the spec form "[ip:]host:container[/proto]" or "container".
// Entries it cannot read (port ranges) are skipped.
func parsePorts(ports []string) []portMapping {
	var out []portMapping
	for _, p := range ports {
		p = strings.TrimSpace(p)
		proto := "tcp"
		if i := strings.LastIndex(p, "/"); i >= 0 {
			p, proto = p[:i], strings.ToLower(p[i+1:])
		}
		var m portMapping
		m.proto = proto
		if host, cport, ok := strings.Cut(p, "->"); ok {
			c, err := strconv.Atoi(cport)
			if err != nil {
				continue
			}
			m.containerPort = c
			h, hp, err := net.SplitHostPort(host)
			if err != nil {
				continue
			}
			if m.hostPort, err = strconv.Atoi(hp); err != nil {
				continue
			}
			m.hostIP = h
		} else {
			parts := strings.Split(p, ":")
			c, err := strconv.Atoi(parts[len(parts)-1])
			if err != nil {
				continue
			}
			m.containerPort = c
			if len(parts) >= 2 && parts[len(parts)-2] != "" {
				if m.hostPort, err = strconv.Atoi(parts[len(parts)-2]); err != nil {
					continue
				}
			}
			if len(parts) >= 3 {
				m.hostIP = strings.Trim(strings.Join(parts[:len(parts)-2], ":"), "[]")
			}
		}
		out = append(out, m)
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

func v4(ip string) bool { return !strings.Contains(ip, ":") }

// connectHost is the address a client on the host uses for a port
// published on hostIP.
func connectHost(hostIP string) string {
	switch hostIP {
	case "", "0.0.0.0":
		return "127.0.0.1"
	case "::":
		return "127.0.0.1" // docker publishes on both families
	}
	if strings.Contains(hostIP, ":") {
		return "[" + hostIP + "]"
	}
	return hostIP
}

// ResolveRef resolves a reference against the ContainerInfo of the node it
// names (see the package documentation for each projection). It is pure:
// the same info always gives the same address, which is what makes a
// resolved reference consistent with the running node (spec P17). Its
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
	want, wantProto := 0, "tcp"
	if ref.Port != "" {
		var err error
		if want, wantProto, err = parsePortArg(ref.Port); err != nil {
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
				return connectHost(p.hostIP) + ":" + strconv.Itoa(p.hostPort), nil
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
		host := info.IPAddress
		if strings.Contains(host, ":") {
			host = "[" + host + "]"
		}
		return "http://" + host + ":" + strconv.Itoa(port), nil
	}
	return fail("unknown projection %q", ref.Projection)
}

func listOrNone(s []string) string {
	if len(s) == 0 {
		return "none"
	}
	return strings.Join(s, ", ")
}
