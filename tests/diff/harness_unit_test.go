package diff

import (
	"reflect"
	"testing"
)

// The harness's own logic, without the engine: what counts as the same
// observation, and which divergences an entry of differences.yaml covers.

func TestNormalizer(t *testing.T) {
	n := normalizer{dir: "/tmp/x/diff-a-dc", project: "diff-a-dc"}
	cases := []struct{ name, in, want string }{
		{"project name", "diff-a-dc-web-1", "$PROJECT-web-1"},
		{"directory before project", "/tmp/x/diff-a-dc/compose.yaml", "$DIR/compose.yaml"},
		{"long id", "sha256:" + repeat("ab", 32), "sha256:<id>"},
		{"short id", "0123456789ab_diff-a-dc-web-1", "<id>_$PROJECT-web-1"},
		{"relative time", "Up 3 seconds", "Up <t>"},
		{"timestamp", "2026-12-06T04:06:47.312198729Z hello", "<time> hello"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := n.s(tc.in); got != tc.want {
				t.Fatalf("%q -> %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func repeat(s string, n int) string {
	out := ""
	for range n {
		out += s
	}
	return out
}

func TestPathHasPrefix(t *testing.T) {
	cases := []struct {
		name, path, pattern string
		want                bool
	}{
		{"literal brackets and star", "state.containers[$PROJECT-web-1].networks[$PROJECT_default]", "state.containers[*].networks[*]", true},
		{"prefix covers deeper paths", "state.containers[$PROJECT-web-1].networks[n].ipv4", "state.containers[*].networks[*]", true},
		{"$ stops at the pattern's end", "state.containers[$PROJECT-web-1].networks[n].ipv4", "state.containers[*].networks[*]$", false},
		{"dotted label key stays one segment", "state.containers[c].labels[com.docker.compose.replace]", "state.containers[*].labels[com.docker.compose.replace]", true},
		{"other label", "state.containers[c].labels[com.docker.compose.service]", "state.containers[*].labels[com.docker.compose.replace]", false},
		{"longer pattern", "exit", "exit.code", false},
		{"a segment without its key matches no keyed one", "state.containers[c].mounts[/store]", "state.containers[c].mounts", false},
		{"mount by destination", "state.containers[c].mounts[/store]", "state.containers[*].mounts[/store]", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := pathHasPrefix(tc.path, tc.pattern); got != tc.want {
				t.Fatalf("pathHasPrefix(%q, %q) = %v", tc.path, tc.pattern, got)
			}
		})
	}
}

// Entries of differences.yaml written for a known divergence must match
// the path observe gives it (state.containers[NAME].mounts[DESTINATION]),
// or the suite fails on a divergence the file means to allow.
func TestDifferencesMatchTheirDivergences(t *testing.T) {
	ds, err := loadDifferences("differences.yaml")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		scenario string
		step     int
		path     string
	}{
		{"volumes-from-read-only", 1, "state.containers[$PROJECT-app-1].mounts[/store]"},
		{"volumes-from-read-only", 2, "stdout"},
		{"volume-named-anonymous-bind", 1, "state.containers[$PROJECT-app-1].mounts[/scratch]"},
	}
	for _, tc := range cases {
		t.Run(tc.scenario+" "+tc.path, func(t *testing.T) {
			if ds.allowed(tc.scenario, tc.step, tc.path) == nil {
				t.Fatalf("no entry of differences.yaml matches %s in %s", tc.path, tc.scenario)
			}
		})
	}
}

func TestCompareStatesCollapsesMissingResources(t *testing.T) {
	dc := state{
		"state.containers[web].state": "running",
		"state.containers[web].image": "busybox",
		"state.containers[db].state":  "running",
	}
	pc := state{
		"state.containers[web].state": "exited",
		"state.containers[web].image": "busybox",
	}
	got := compareStates(dc, pc)
	want := []divergence{
		{path: "state.containers[db]", dc: "present, running", pc: "<absent>"},
		{path: "state.containers[web].state", dc: "running", pc: "exited"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestCompareStepLinesAndMessages(t *testing.T) {
	st := step{Check: []string{"exit", "messages"}, Lines: []string{"is unhealthy"}}
	dc := result{exit: 1, stderr: []string{" Container x  Started", "dependency failed to start: container x is unhealthy"}}
	same := result{exit: 1, stderr: []string{"Container x Started", "dependency failed to start: container x is unhealthy"}}
	if d := compareStep(st, dc, same); len(d) != 0 {
		t.Fatalf("progress wording counted as a divergence: %+v", d)
	}
	other := result{exit: 1, stderr: []string{"container x failed"}}
	d := compareStep(st, dc, other)
	if len(d) != 2 || d[0].path != "messages" || d[1].path != "lines[is unhealthy]" {
		t.Fatalf("got %+v, want messages and lines divergences", d)
	}
	// lines compare from the match on, once per text.
	prefixed := result{exit: 1, stderr: []string{"Error: dependency failed to start: container x is unhealthy", "Service x  Error  container x is unhealthy"}}
	st = step{Check: []string{"exit"}, Lines: []string{"container x is unhealthy"}}
	if d := compareStep(st, dc, prefixed); len(d) != 0 {
		t.Fatalf("a prefix before the match counted: %+v", d)
	}
}

func TestLoadScenariosAndDifferences(t *testing.T) {
	scs, err := loadScenarios("scenarios")
	if err != nil {
		t.Fatal(err)
	}
	if len(scs) < 100 {
		t.Fatalf("%d scenarios, want at least 100", len(scs))
	}
	if _, err := loadDifferences("differences.yaml"); err != nil {
		t.Fatal(err)
	}
	day1, day2 := sample(scs, 10, "2026-01-01"), sample(scs, 10, "2026-01-02")
	if len(day1) != 10 || reflect.DeepEqual(names(day1), names(day2)) {
		t.Fatalf("sampling: %v / %v", names(day1), names(day2))
	}
	if !reflect.DeepEqual(names(day1), names(sample(scs, 10, "2026-01-01"))) {
		t.Fatal("one day's sample changes between runs")
	}
}

func names(scs []scenario) []string {
	var out []string
	for _, s := range scs {
		out = append(out, s.Name)
	}
	return out
}

// A ps Labels string compares as a set of docker compose's labels: the
// order docker compose prints is random, and each tool adds its own.
func TestCompareJSONLabels(t *testing.T) {
	dc := []string{`{"Labels":"com.docker.compose.service=web,org.x=1,com.docker.compose.config-hash=a,com.docker.compose.project=p"}`}
	same := []string{`{"Labels":"com.docker.compose.config-hash=b,com.docker.compose.project=p,org.x=1,com.docker.compose.service=web,io.perry.managed=1"}`}
	if d := compareJSON(nil, dc, same); len(d) != 0 {
		t.Fatalf("same labels in another order diverge: %+v", d)
	}
	for name, other := range map[string]string{
		"another service's labels": `{"Labels":"com.docker.compose.project=p,com.docker.compose.service=db,org.x=1"}`,
		"a user label lost":        `{"Labels":"com.docker.compose.project=p,com.docker.compose.service=web"}`,
	} {
		if d := compareJSON(nil, dc, []string{other}); len(d) != 1 || d[0].path != "json[0][Labels]" {
			t.Errorf("%s: %+v", name, d)
		}
	}
}
