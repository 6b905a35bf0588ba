package workload

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/perryts/perry-container/core"
)

func TestResolveRefProjections(t *testing.T) {
	// Ports as the Engine API and CLI backends report them, and as the fake does.
	api := core.ContainerInfo{Name: "g-db-1", State: "running", IPAddress: "172.18.0.2",
		Ports: []string{"0.0.0.0:32768->5432/tcp", "9000/tcp", "[::]:32768->5432/tcp", "127.0.0.1:8081->81/udp"}}
	fk := core.ContainerInfo{Name: "g-db-1", State: "running", IPAddress: "172.30.0.3", Ports: []string{"8080:80", "10.0.0.5:9443:443", "7000"}}
	for _, tc := range []struct {
		info core.ContainerInfo
		ref  core.WorkloadRef
		want string
	}{
		{api, core.WorkloadRef{NodeID: "db", Projection: "endpoint", Port: "5432"}, "127.0.0.1:32768"},
		{api, core.WorkloadRef{NodeID: "db", Projection: "endpoint"}, "127.0.0.1:32768"},
		{api, core.WorkloadRef{NodeID: "db", Projection: "endpoint", Port: "81/udp"}, "127.0.0.1:8081"},
		{api, core.WorkloadRef{NodeID: "db", Projection: "ip"}, "172.18.0.2"},
		{api, core.WorkloadRef{NodeID: "db", Projection: "internalUrl"}, "http://172.18.0.2:5432"},
		{api, core.WorkloadRef{NodeID: "db", Projection: "internalUrl", Port: "9000"}, "http://172.18.0.2:9000"},
		{fk, core.WorkloadRef{NodeID: "db", Projection: "endpoint", Port: "443"}, "10.0.0.5:9443"},
		{fk, core.WorkloadRef{NodeID: "db", Projection: "endpoint"}, "127.0.0.1:8080"},
		{fk, core.WorkloadRef{NodeID: "db", Projection: "internalUrl"}, "http://172.30.0.3:80"},
	} {
		got, err := ResolveRef(tc.ref, tc.info)
		if err != nil || got != tc.want {
			t.Errorf("%+v on %v: %q %v, want %q", tc.ref, tc.info.Ports, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		info   core.ContainerInfo
		ref    core.WorkloadRef
		reason string
	}{
		{api, core.WorkloadRef{NodeID: "db", Projection: "endpoint", Port: "9000"}, "not published"},
		{fk, core.WorkloadRef{NodeID: "db", Projection: "endpoint", Port: "7000"}, "not published"},
		{core.ContainerInfo{Name: "x", State: "running"}, core.WorkloadRef{NodeID: "x", Projection: "ip"}, "no network address"},
		{core.ContainerInfo{Name: "x", State: "running", IPAddress: "1.2.3.4"}, core.WorkloadRef{NodeID: "x", Projection: "internalUrl"}, "exposes no port"},
		{core.ContainerInfo{Name: "x", State: "exited", IPAddress: "1.2.3.4"}, core.WorkloadRef{NodeID: "x", Projection: "ip"}, "not running"},
		{core.ContainerInfo{Name: "x", State: "running"}, core.WorkloadRef{NodeID: "x", Projection: "endpoint"}, "no port is published"},
	} {
		_, err := ResolveRef(tc.ref, tc.info)
		ce := wantKind(t, err, core.KindWorkloadRefResolutionFailed)
		if r, _ := ce.Details["reason"].(string); !strings.Contains(r, tc.reason) || ce.Details["projection"] != tc.ref.Projection || ce.Details["target"] != tc.ref.NodeID {
			t.Errorf("%+v: details %v, want reason with %q", tc.ref, ce.Details, tc.reason)
		}
	}
}

// Feature: perry-container, Property 17: WorkloadRef resolution consistency
//
// For a node A depending on B through references, the values in A's
// environment (what A's container was created with) are exactly B's
// endpoint / ip / internalUrl as resolved against B's running container
// after the graph started, and equal what ResolveRef computes from B's
// ContainerInfo by hand.
func TestPropertyWorkloadRefResolutionConsistency(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		b := newRec()
		nPorts := rapid.IntRange(1, 3).Draw(rt, "ports")
		target := node("b")
		var published []int
		for i := 0; i < nPorts; i++ {
			cport := 1000 + rapid.IntRange(0, 8000).Draw(rt, "containerPort")
			host := 20000 + rapid.IntRange(0, 20000).Draw(rt, "hostPort")
			target.Ports = append(target.Ports, fmt.Sprintf("%d:%d", host, cport))
			published = append(published, cport)
		}
		a := node("a")
		a.Env = map[string]core.WorkloadEnvValue{"PLAIN": lit("x")}
		var refs []core.WorkloadRef
		for i := 0; i < rapid.IntRange(1, 4).Draw(rt, "refs"); i++ {
			r := core.WorkloadRef{NodeID: "b", Projection: rapid.SampledFrom(projections).Draw(rt, "projection")}
			if rapid.Bool().Draw(rt, "withPort") {
				r.Port = strconv.Itoa(rapid.SampledFrom(published).Draw(rt, "port"))
			}
			refs = append(refs, r)
			a.Env[fmt.Sprintf("REF%d", i)] = core.WorkloadEnvValue{Ref: &r}
		}
		if rapid.Bool().Draw(rt, "explicitDependsOn") {
			a.DependsOn = []string{"b"}
		}
		strategy := rapid.SampledFrom(strategies).Draw(rt, "strategy")
		ld := 0
		h, err := Run(ctxT(t), b, graphOf("refs", a, target), core.RunGraphOptions{Strategy: strategy, LevelDelayMs: &ld}, testOpts(t)...)
		if err != nil {
			rt.Fatalf("run: %v", err)
		}
		spec := b.spec(t, "refs", "a")
		ids := containerIDs(t, b)
		info, err := b.Inspect(ctxT(t), ids["refs-b-1"])
		if err != nil {
			rt.Fatal(err)
		}
		for i, r := range refs {
			key := fmt.Sprintf("REF%d", i)
			byHand, err := ResolveRef(r, info)
			if err != nil {
				rt.Fatalf("ResolveRef %+v: %v", r, err)
			}
			now, err := h.Resolve(ctxT(t), r)
			if err != nil {
				rt.Fatalf("Handle.Resolve %+v: %v", r, err)
			}
			if spec.Env[key] != byHand || now != byHand || h.Resolved()["a"][key] != byHand {
				rt.Fatalf("%s (%+v): created with %q, handle %q, now %q, by hand %q", key, r, spec.Env[key], h.Resolved()["a"][key], now, byHand)
			}
		}
		if spec.Env["PLAIN"] != "x" {
			rt.Fatalf("literal env lost: %v", spec.Env)
		}
	})
}

// Endpoints read the ports through the one port model: IPv6 host addresses
// come back bracketed, and a reported range maps port by port.
func TestResolveRefEndpointPortForms(t *testing.T) {
	cases := []struct {
		name  string
		ports []string
		port  string
		want  string
	}{
		{"ipv6 loopback", []string{"[::1]:8080->80/tcp"}, "80", "[::1]:8080"},
		{"ipv6 loopback, spec form", []string{"[::1]:8080:80/tcp"}, "80", "[::1]:8080"},
		{"every ipv6 interface connects on loopback", []string{"[::]:8080->80/tcp"}, "", "127.0.0.1:8080"},
		{"older docker's unbracketed ipv6", []string{":::8080->80/tcp"}, "80", "127.0.0.1:8080"},
		{"inside a reported range", []string{"0.0.0.0:8000-8002->80-82/tcp"}, "81", "127.0.0.1:8001"},
		{"udp asked by protocol", []string{"0.0.0.0:5353->53/udp", "0.0.0.0:5300->53/tcp"}, "53/udp", "127.0.0.1:5353"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			info := core.ContainerInfo{Name: "n", State: "running", Ports: c.ports}
			got, err := ResolveRef(core.WorkloadRef{NodeID: "n", Projection: "endpoint", Port: c.port}, info)
			if err != nil || got != c.want {
				t.Fatalf("endpoint of %q on %v = %q, %v; want %q", c.port, c.ports, got, err, c.want)
			}
		})
	}
	got, err := ResolveRef(core.WorkloadRef{NodeID: "n", Projection: "internalUrl", Port: "80"},
		core.ContainerInfo{Name: "n", State: "running", IPAddress: "fd00::2"})
	if err != nil || got != "http://[fd00::2]:80" {
		t.Errorf("internalUrl on an IPv6 address = %q, %v", got, err)
	}
	for _, bad := range []string{"8080:80", "80-81", "eighty", "80/icmp"} {
		if _, _, err := core.ParseContainerPort(bad); err == nil {
			t.Errorf("ParseContainerPort(%q) accepted a reference port", bad)
		}
	}
}
