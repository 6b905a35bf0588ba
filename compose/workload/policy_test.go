package workload

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/capability/seccomp"
	"github.com/perryts/perry-container/core"
)

func TestPolicyToContainerFlagsTable(t *testing.T) {
	hard := ContainerFlags{ReadOnly: true, Seccomp: SeccompStrict, CapDrop: []string{"ALL"}, NoNewPrivileges: true}
	untrusted := hard
	untrusted.Network, untrusted.Isolation = "none", core.IsolationMicroVM
	for _, tc := range []struct {
		p    core.PolicySpec
		want ContainerFlags
	}{
		{core.PolicySpec{}, ContainerFlags{}},
		{core.PolicySpec{Tier: "default"}, ContainerFlags{}},
		{core.PolicySpec{Tier: "isolated"}, ContainerFlags{Network: "none"}},
		{core.PolicySpec{Tier: "hardened"}, hard},
		{core.PolicySpec{Tier: "untrusted"}, untrusted},
		{core.PolicySpec{Tier: "no-such-tier"}, untrusted}, // fail closed
		{core.PolicySpec{Tier: "default", NoNetwork: true, ReadOnlyRoot: true}, ContainerFlags{Network: "none", ReadOnly: true}},
		{core.PolicySpec{Tier: "hardened", NoNetwork: true}, func() ContainerFlags { f := hard; f.Network = "none"; return f }()},
		{core.PolicySpec{Tier: "isolated", Seccomp: true}, ContainerFlags{Network: "none", Seccomp: SeccompStrict}},
	} {
		if got := PolicyToContainerFlags(tc.p); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: %+v, want %+v", tc.p, got, tc.want)
		}
	}
}

// strictProfileOf returns the seccomp profile file a container was created
// with, and its content, or "" when it has none.
func strictProfileOf(t testing.TB, spec core.ContainerSpec) (path, content string) {
	t.Helper()
	for _, o := range spec.SecurityOpt {
		if p, ok := strings.CutPrefix(o, "seccomp="); ok {
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatalf("seccomp profile of %s: %v", spec.Name, err)
			}
			return p, string(data)
		}
	}
	return "", ""
}

// The strict tiers use perry-container's one seccomp profile, the shell
// capabilities' (with its compat-ABI archMap), written into the graph's
// private state directory (0700, an unpredictable name) that down removes;
// two graphs never share it.
func TestStrictSeccompIsTheCapabilityProfileInAPrivateDir(t *testing.T) {
	var want bytes.Buffer
	if err := json.Compact(&want, seccomp.Profile()); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	b := newRec()
	hard := func(graph string) (*Handle, string) {
		n := node("svc")
		n.Policy.Tier = TierHardened
		h, err := Run(ctxT(t), b, graphOf(graph, n), core.RunGraphOptions{}, testOpts(t, WithStateDir(root))...)
		if err != nil {
			t.Fatal(err)
		}
		path, content := strictProfileOf(t, b.spec(t, graph, "svc"))
		if content != want.String() {
			t.Fatalf("%s: the strict profile is not the capability profile:\n%s", graph, content)
		}
		dir := filepath.Dir(filepath.Dir(filepath.Dir(path))) // <dir>/svc/seccomp/0.json
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() || fi.Mode().Perm() != 0o700 || filepath.Dir(dir) != root || !strings.HasPrefix(filepath.Base(dir), "perry-compose-") {
			t.Fatalf("%s: profile %s is not in a private directory under %s: %v %v", graph, path, root, fi, err)
		}
		return h, dir
	}
	h1, d1 := hard("one")
	_, d2 := hard("two")
	if d1 == d2 {
		t.Fatalf("two graphs share the state directory %s", d1)
	}
	if err := h1.Down(ctxT(t), false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Lstat(d1); !os.IsNotExist(err) {
		t.Fatalf("down left %s: %v", d1, err)
	}
	if _, err := os.Lstat(d2); err != nil {
		t.Fatalf("down of one graph removed the other's directory: %v", err)
	}

	// A rolled-back run removes the directory it made.
	b.Inject(fake.Fault{Method: "Start", Match: "three-bad-1", Err: core.Errorf(core.KindBackendError, "boom")})
	n, bad := node("svc"), node("bad", "svc")
	n.Policy.Tier, bad.Policy.Tier = TierHardened, TierHardened
	if _, err := Run(ctxT(t), b, graphOf("three", n, bad), core.RunGraphOptions{}, testOpts(t, WithStateDir(root))...); err == nil {
		t.Fatal("the run succeeded")
	}
	if entries, _ := os.ReadDir(root); len(entries) != 1 || filepath.Join(root, entries[0].Name()) != d2 {
		t.Fatalf("after a rollback the state root holds %v, want only %s", entries, d2)
	}
}

// The tiers reach the ContainerSpec the backend receives.
func TestPoliciesMappedToContainerSpecs(t *testing.T) {
	b := newRec()
	b.isolation = core.IsolationMicroVM // so that untrusted may run
	mk := func(id, tier string) core.WorkloadNode {
		n := node(id)
		n.Policy.Tier = tier
		return n
	}
	g := graphOf("pol", mk("plain", "default"), mk("iso", "isolated"), mk("hard", "hardened"), mk("untr", "untrusted"))
	if _, err := Run(ctxT(t), b, g, core.RunGraphOptions{}, testOpts(t)...); err != nil {
		t.Fatal(err)
	}
	strict := func(spec core.ContainerSpec) bool { _, c := strictProfileOf(t, spec); return c != "" }

	// The engine attaches containers to a network by its ID (a name can be
	// ambiguous), where the runtime takes one.
	onDefault := func(n string) bool {
		if n == "pol_default" {
			return true
		}
		info, err := b.InspectNetwork(ctxT(t), "pol_default")
		return err == nil && n == info.ID
	}
	plain := b.spec(t, "pol", "plain")
	if plain.ReadOnly || !onDefault(plain.Network) || len(plain.CapDrop) > 0 || len(plain.SecurityOpt) > 0 {
		t.Errorf("default: %+v", plain)
	}
	iso := b.spec(t, "pol", "iso")
	if iso.Network != "none" || iso.ReadOnly || len(iso.SecurityOpt) > 0 {
		t.Errorf("isolated: network %q read_only %v security_opt %v", iso.Network, iso.ReadOnly, iso.SecurityOpt)
	}
	hard := b.spec(t, "pol", "hard")
	if !hard.ReadOnly || !onDefault(hard.Network) || !slices.Equal(hard.CapDrop, []string{"ALL"}) ||
		!strict(hard) || !slices.Contains(hard.SecurityOpt, "no-new-privileges:true") {
		t.Errorf("hardened: %+v", hard)
	}
	untr := b.spec(t, "pol", "untr")
	if !untr.ReadOnly || untr.Network != "none" || !strict(untr) || !slices.Equal(untr.CapDrop, []string{"ALL"}) {
		t.Errorf("untrusted: %+v", untr)
	}
}

// Untrusted on a backend with Container isolation is refused
// before any node starts: the only backend call is Info.
func TestUntrustedOnContainerBackendRefusedBeforeAnyCall(t *testing.T) {
	b := newRec()
	n := node("sandbox")
	n.Policy.Tier = "untrusted"
	_, err := Run(ctxT(t), b, graphOf("g", node("db"), n), core.RunGraphOptions{}, testOpts(t)...)
	ce := wantKind(t, err, core.KindPolicyViolation)
	if ce.Details["node"] != "sandbox" || ce.Details["required"] != "MicroVm" || ce.Details["available"] != "Container" ||
		!strings.Contains(ce.Message, `"sandbox"`) || !strings.Contains(ce.Message, "untrusted") {
		t.Fatalf("error: %v %v", ce, ce.Details)
	}
	if m := b.Methods(); !slices.Equal(m, []string{"Info"}) {
		t.Fatalf("calls before the refusal: %v", m)
	}
	// With the backend's description given, not even Info.
	b.ResetCalls()
	_, err = Run(ctxT(t), b, graphOf("g", n), core.RunGraphOptions{}, append(testOpts(t), WithBackendInfo(core.BackendInfo{Name: "docker", IsolationLevel: core.IsolationContainer}))...)
	wantKind(t, err, core.KindPolicyViolation)
	if m := b.Methods(); len(m) != 0 {
		t.Fatalf("calls: %v", m)
	}
}

func TestRuntimesAreNeverEmulated(t *testing.T) {
	for _, tc := range []struct {
		runtime string
		backend core.IsolationLevel
		kind    core.Kind
	}{
		{"microvm", core.IsolationContainer, core.KindBackendNotAvailable},
		{"wasm", core.IsolationContainer, core.KindBackendNotAvailable},
		{"oci", core.IsolationMicroVM, core.KindBackendNotAvailable},
		{"wasm", core.IsolationMicroVM, core.KindBackendNotAvailable},
	} {
		n := node("x")
		n.Runtime.Type = tc.runtime
		err := ValidateBackend(mustNormalize(t, graphOf("g", n)), core.BackendInfo{Name: "b", IsolationLevel: tc.backend})
		ce := wantKind(t, err, tc.kind)
		if ce.Details["node"] != "x" || ce.Details["runtime"] != tc.runtime || ce.Details["backend"] != "b" {
			t.Errorf("%s on %s: %v", tc.runtime, tc.backend, ce.Details)
		}
	}
	for _, ok := range []struct {
		runtime string
		backend core.IsolationLevel
	}{{"oci", core.IsolationContainer}, {"auto", core.IsolationContainer}, {"microvm", core.IsolationMicroVM}, {"wasm", core.IsolationWasm}, {"auto", core.IsolationMicroVM}} {
		n := node("x")
		n.Runtime.Type = ok.runtime
		if err := ValidateBackend(mustNormalize(t, graphOf("g", n)), core.BackendInfo{Name: "b", IsolationLevel: ok.backend}); err != nil {
			t.Errorf("%s on %s: %v", ok.runtime, ok.backend, err)
		}
	}
	n := node("x")
	n.Runtime = core.RuntimeSpec{Type: "microvm", Config: json.RawMessage(`{"vcpus":2}`)}
	if err := ValidateBackend(mustNormalize(t, graphOf("g", n)), core.BackendInfo{IsolationLevel: core.IsolationMicroVM}); core.KindOf(err) != core.KindInvalidArgument {
		t.Errorf("a micro-VM config nobody applies: %v", err)
	}
}

func mustNormalize(t testing.TB, g core.WorkloadGraph) core.WorkloadGraph {
	t.Helper()
	out, err := Normalize(g)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Feature: perry-container, Property 20: Policy tier enforcement
//
// Whatever other flags or node settings it has, an untrusted node reaches
// the backend with read_only, network none and the strict seccomp profile
// (and every node's container carries exactly its policy's flags).
func TestPropertyPolicyTierEnforcement(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		b := newRec()
		b.isolation = core.IsolationMicroVM
		count := rapid.IntRange(1, 4).Draw(rt, "nodes")
		g := core.WorkloadGraph{Name: "p20", Nodes: map[string]core.WorkloadNode{}}
		for i := 0; i < count; i++ {
			n := node(nodeName(i))
			n.Policy = core.PolicySpec{
				Tier:         rapid.SampledFrom(tiers).Draw(rt, "tier"),
				NoNetwork:    rapid.Bool().Draw(rt, "noNetwork"),
				ReadOnlyRoot: rapid.Bool().Draw(rt, "readOnlyRoot"),
				Seccomp:      rapid.Bool().Draw(rt, "seccomp"),
			}
			if rapid.Bool().Draw(rt, "networkModeNone") {
				n.NetworkMode = "none"
			}
			if rapid.Bool().Draw(rt, "user") {
				n.User = "1000"
			}
			g.Nodes[n.ID] = n
		}
		if _, err := Run(ctxT(t), b, g, core.RunGraphOptions{Strategy: "max-parallel"}, testOpts(t)...); err != nil {
			rt.Fatalf("run: %v", err)
		}
		for id, n := range g.Nodes {
			spec := b.spec(t, "p20", id)
			f := PolicyToContainerFlags(n.Policy)
			_, profile := strictProfileOf(t, spec)
			hasStrict := profile != ""
			if n.Policy.Tier == TierUntrusted && (!spec.ReadOnly || spec.Network != "none" || !hasStrict) {
				rt.Fatalf("untrusted node %s: read_only %v network %q security_opt %v", id, spec.ReadOnly, spec.Network, spec.SecurityOpt)
			}
			if spec.ReadOnly != f.ReadOnly || (spec.Network == "none") != (f.Network == "none" || n.NetworkMode == "none") ||
				hasStrict != (f.Seccomp == SeccompStrict) || !slices.Equal(spec.CapDrop, f.CapDrop) ||
				slices.Contains(spec.SecurityOpt, "no-new-privileges:true") != f.NoNewPrivileges {
				rt.Fatalf("node %s (%+v): spec read_only %v network %q cap_drop %v security_opt %v, flags %+v",
					id, n.Policy, spec.ReadOnly, spec.Network, spec.CapDrop, spec.SecurityOpt, f)
			}
		}
	})
}

// Feature: perry-container, Property 21: Policy validation rejects incompatible backends
//
// A graph with an untrusted node on a backend whose isolation is not MicroVm
// is refused with PolicyViolation naming an untrusted node, before any node
// starts: no backend call but Info.
func TestPropertyPolicyValidationRejectsIncompatibleBackends(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		b := newRec()
		b.isolation = rapid.SampledFrom([]core.IsolationLevel{core.IsolationContainer, core.IsolationProcess, core.IsolationNone, core.IsolationWasm}).Draw(rt, "isolation")
		g := randomGraph(rt)
		ids := slices.Sorted(maps.Keys(g.Nodes))
		untrusted := rapid.SampledFrom(ids).Draw(rt, "untrusted")
		for _, id := range ids {
			n := g.Nodes[id]
			n.Policy.Tier = rapid.SampledFrom(tiers).Draw(rt, "tier")
			if id == untrusted {
				n.Policy.Tier = TierUntrusted
			}
			g.Nodes[id] = n
		}
		strategy := rapid.SampledFrom(strategies).Draw(rt, "strategy")
		h, err := Run(ctxT(t), b, g, core.RunGraphOptions{Strategy: strategy}, testOpts(t)...)
		if h != nil || core.KindOf(err) != core.KindPolicyViolation {
			rt.Fatalf("want PolicyViolation, got %v", err)
		}
		ce := core.AsError(err)
		named, _ := ce.Details["node"].(string)
		if g.Nodes[named].Policy.Tier != TierUntrusted || ce.Details["available"] != string(b.isolation) || ce.Details["required"] != "MicroVm" {
			rt.Fatalf("error details %v", ce.Details)
		}
		if m := b.Methods(); !slices.Equal(m, []string{"Info"}) {
			rt.Fatalf("calls before the refusal: %v", m)
		}
	})
}
