package detect

import (
	"context"
	"encoding/json"
	"reflect"
	"sync"
	"testing"

	"pgregory.net/rapid"

	"github.com/perryts/perry-container/core"
)

// scenario is a random machine: a platform and, for each of its candidates,
// whether the runtime is absent, installed but not running, or available.
type scenario struct {
	goos   string
	states map[string]state
}

func drawScenario(t *rapid.T, label string) scenario {
	s := scenario{
		goos:   rapid.SampledFrom([]string{"darwin", "ios", "linux", "windows"}).Draw(t, label+"goos"),
		states: map[string]state{},
	}
	for _, n := range PlatformCandidates(s.goos) {
		s.states[n] = state(rapid.IntRange(0, 2).Draw(t, label+n))
	}
	return s
}

func (s scenario) system(home string) *fakeSys {
	sys := newFakeSys(s.goos, home)
	for n, st := range s.states {
		sys.install(n, st)
	}
	return sys
}

// want is the first available candidate in platform order, "" for none.
func (s scenario) want() string {
	for _, n := range PlatformCandidates(s.goos) {
		if s.states[n] == available {
			return n
		}
	}
	return ""
}

func checkSelection(t *rapid.T, s scenario, rep Report, err error) {
	want := s.want()
	if want == "" {
		if core.KindOf(err) != core.KindNoBackendFound {
			t.Fatalf("%v: got %+v, %v; want NoBackendFound", s.states, rep.Selected, err)
		}
		return
	}
	if err != nil || rep.Selected == nil || rep.Selected.Driver != want {
		t.Fatalf("%s %v: got %+v, %v; want %s", s.goos, s.states, rep.Selected, err, want)
	}
}

// Feature: perry-container, Property 1: Backend selection respects priority order
func TestPropertySelectionRespectsPriority(t *testing.T) {
	home := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		s := drawScenario(t, "")
		d := newTestDetector(s.system(home))
		defer d.probes.Wait()
		rep, err := d.Detect(context.Background())
		checkSelection(t, s, rep, err)
		// Never an available candidate skipped: everything above the
		// winner was probed and found unavailable.
		for _, c := range rep.Candidates {
			if rep.Selected != nil && c.Name == rep.Selected.Driver {
				break
			}
			if c.Available || s.states[c.Name] == available {
				t.Fatalf("candidate %+v above the winner", c)
			}
		}
	})
}

// Feature: perry-container, Property 2: Backend detection is idempotent
func TestPropertyDetectionIdempotent(t *testing.T) {
	home := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		s := drawScenario(t, "")
		sys := s.system(home)
		d := newTestDetector(sys)
		defer d.probes.Wait()
		first, err1 := d.Detect(context.Background())
		if err1 != nil {
			// Failures are not cached (a runtime may be started later),
			// but on an unchanged machine they repeat.
			_, err2 := d.Detect(context.Background())
			if core.KindOf(err2) != core.KindOf(err1) {
				t.Fatalf("%v then %v", err1, err2)
			}
			return
		}
		b1, _ := d.Backend(context.Background())
		d.probes.Wait() // let probes abandoned after the winner finish
		// Change the machine and the environment: the answer must not move.
		sys.resetCalls()
		for _, n := range PlatformCandidates(s.goos) {
			sys.install(n, available)
		}
		sys.setenv(EnvBackend, rapid.SampledFrom(AcceptedBackends()).Draw(t, "override"))
		sys.setenv(EnvStrategy, "cli")
		for range rapid.IntRange(1, 5).Draw(t, "calls") {
			again, err := d.Detect(context.Background())
			if err != nil || !reflect.DeepEqual(again, first) {
				t.Fatalf("second detection %+v, %v; first %+v", again, err, first)
			}
			b2, _ := d.Backend(context.Background())
			if b2 != b1 {
				t.Fatal("backend rebuilt")
			}
		}
		if calls := sys.callList(); len(calls) != 0 {
			t.Fatalf("cached detection touched the system: %v", calls)
		}
	})
}

// Feature: perry-container, Property 11: BackendInfo serialization completeness
func TestPropertyBackendInfoSerialization(t *testing.T) {
	home := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		s := drawScenario(t, "")
		sys := s.system(home)
		sys.setenv(EnvStrategy, rapid.SampledFrom([]string{"", "cli", "api"}).Draw(t, "strategy"))
		sys.setenv(EnvMode, rapid.SampledFrom([]string{"", ModeLocalFirst, ModeServerFirst}).Draw(t, "mode"))
		d := newTestDetector(sys)
		defer d.probes.Wait()
		rep, _ := d.ProbeAll(context.Background())
		infos := append([]core.BackendInfo(nil), rep.Candidates...)
		if rep.Selected != nil {
			infos = append(infos, rep.Selected.Info)
		}
		if len(infos) == 0 {
			t.Fatal("no candidates reported")
		}
		for _, info := range infos {
			data, err := json.Marshal(info)
			if err != nil {
				t.Fatal(err)
			}
			var m map[string]any
			if err := json.Unmarshal(data, &m); err != nil {
				t.Fatal(err)
			}
			for _, k := range []string{"name", "available", "mode", "isolationLevel"} {
				if _, ok := m[k]; !ok {
					t.Fatalf("%s lacks %q", data, k)
				}
			}
			if m["mode"] != ModeLocal && m["mode"] != ModeRemote {
				t.Fatalf("%s: bad mode", data)
			}
			if !info.Available {
				if r, _ := m["reason"].(string); r == "" {
					t.Fatalf("%s: unavailable without a reason", data)
				}
			}
			if info.Version != "" && m["version"] != info.Version {
				t.Fatalf("%s: version missing", data)
			}
			if info.Reason != "" && m["reason"] != info.Reason {
				t.Fatalf("%s: reason missing", data)
			}
			var back core.BackendInfo
			if err := json.Unmarshal(data, &back); err != nil || back != info {
				t.Fatalf("round trip %+v != %+v (%v)", back, info, err)
			}
		}
	})
}

// Feature: perry-container, Property 15: IsolationLevel consistency
func TestPropertyIsolationLevelConsistency(t *testing.T) {
	home := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		name := rapid.OneOf(rapid.SampledFrom(AcceptedBackends()), rapid.String()).Draw(t, "name")
		lvl := IsolationFor(name)
		if !lvl.Valid() {
			t.Fatalf("IsolationFor(%q) = %q is not a valid level", name, lvl)
		}
		if (name == AppleContainer) != (lvl == core.IsolationMicroVM) || name != AppleContainer && lvl != core.IsolationContainer {
			t.Fatalf("IsolationFor(%q) = %q", name, lvl)
		}
		s := drawScenario(t, "")
		d := newTestDetector(s.system(home))
		defer d.probes.Wait()
		rep, _ := d.ProbeAll(context.Background())
		for _, c := range rep.Candidates {
			if c.IsolationLevel != IsolationFor(c.Name) {
				t.Fatalf("candidate %+v", c)
			}
		}
		if sel := rep.Selected; sel != nil {
			if sel.Info.IsolationLevel != IsolationFor(sel.Driver) || !sel.Info.IsolationLevel.Valid() {
				t.Fatalf("selected %+v", sel)
			}
			// The backend built for the selection runs with the same tier.
			d2 := newTestDetector(s.system(home))
			defer d2.probes.Wait()
			b, err := d2.Backend(context.Background())
			if err != nil || b.(*named).sel.Info.IsolationLevel != sel.Info.IsolationLevel {
				t.Fatalf("backend %v, %v", b, err)
			}
		}
	})
}

// Feature: perry-container, Property 16: ContainerContext isolation
func TestPropertyDetectorIsolation(t *testing.T) {
	home := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		s1, s2 := drawScenario(t, "a."), drawScenario(t, "b.")
		sys1, sys2 := s1.system(home), s2.system(home)
		d1, d2 := newTestDetector(sys1), newTestDetector(sys2)
		defer d1.probes.Wait()
		defer d2.probes.Wait()

		// One detector's detection does not touch the other's system.
		rep1, err1 := d1.Detect(context.Background())
		d1.probes.Wait()
		if calls := sys2.callList(); len(calls) != 0 {
			t.Fatalf("detector 1 probed system 2: %v", calls)
		}
		checkSelection(t, s1, rep1, err1)

		// Concurrently, each still gets its own answer.
		var wg sync.WaitGroup
		var rep2 Report
		var err2 error
		wg.Add(2)
		go func() { defer wg.Done(); rep2, err2 = d2.Detect(context.Background()) }()
		go func() { defer wg.Done(); rep1, err1 = d1.Detect(context.Background()) }()
		wg.Wait()
		checkSelection(t, s1, rep1, err1)
		checkSelection(t, s2, rep2, err2)

		if err1 == nil && err2 == nil {
			b1, e1 := d1.Backend(context.Background())
			b2, e2 := d2.Backend(context.Background())
			if e1 != nil || e2 != nil || b1 == b2 {
				t.Fatalf("backends %p %p shared or failed: %v %v", b1, b2, e1, e2)
			}
			if b1.Name() != s1.want() || b2.Name() != s2.want() {
				t.Fatalf("backends %s, %s; want %s, %s", b1.Name(), b2.Name(), s1.want(), s2.want())
			}
		}
	})
}
