package main

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perryts/perry-container/compose/loader"
)

// No timing here: these check the instrument (stack shapes, statistics,
// names), never a figure.

func TestStacksLoadWithTheirShape(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		st       stack
		services int
		levels   int
	}{
		{levelStack("up10", 10, 3), 10, 3},
		{levelStack("up50", 50, 3), 50, 3},
		{healthChain("health", true), 4, 4},
		{healthChain("health-nosi", false), 4, 4},
		{logStack("logs10", 10), 10, 1},
		{configStack("config500", 500), 500, 10},
	} {
		file, err := tc.st.write(dir)
		if err != nil {
			t.Fatal(err)
		}
		p, err := loader.Load(context.Background(), loader.Options{Files: []string{file}, ProjectName: prefix + "-test",
			Environment: map[string]string{}})
		if err != nil {
			t.Fatalf("%s does not load: %v", tc.st.name, err)
		}
		if len(p.Services) != tc.services {
			t.Fatalf("%s: %d services, want %d", tc.st.name, len(p.Services), tc.services)
		}
		if got := len(tc.st.levels()); got != tc.levels {
			t.Fatalf("%s: %d levels, want %d", tc.st.name, got, tc.levels)
		}
		for name, s := range p.Services {
			if s.Labels[testLabel] != "1" || s.Image != image {
				t.Fatalf("%s/%s: label %q image %q", tc.st.name, name, s.Labels[testLabel], s.Image)
			}
		}
		if p.Networks["default"].Labels[testLabel] != "1" {
			t.Fatalf("%s: the default network is not labelled", tc.st.name)
		}
	}
}

func TestLevelStackChainsEveryLevel(t *testing.T) {
	st := levelStack("x", 10, 3)
	level := map[string]int{}
	for _, s := range st.services {
		level[s.name] = s.level
	}
	for _, s := range st.services {
		if s.level == 0 && len(s.deps) != 0 || s.level > 0 && len(s.deps) != 1 {
			t.Fatalf("%s at level %d has deps %v", s.name, s.level, s.deps)
		}
		for _, d := range s.deps {
			if level[d] != s.level-1 {
				t.Fatalf("%s (level %d) depends on %s (level %d)", s.name, s.level, d, level[d])
			}
		}
	}
}

func TestHealthChainWithoutStartIntervalForV1(t *testing.T) {
	if y := healthChain("h", false).yaml(); strings.Contains(y, "start_interval") {
		t.Fatal("docker-compose v1's schema rejects start_interval")
	}
	if y := healthChain("h", true).yaml(); !strings.Contains(y, "start_interval: 100ms") || !strings.Contains(y, "condition: service_healthy") {
		t.Fatal("the chain needs start_interval and service_healthy gates")
	}
}

func TestStats(t *testing.T) {
	s := samples{5, 1, 4, 2, 3}
	if s.median() != 3 || s.min() != 1 || s.max() != 5 {
		t.Fatalf("median %v min %v max %v", s.median(), s.min(), s.max())
	}
	if m := (samples{4, 1, 3, 2}).median(); m != 2.5 {
		t.Fatalf("even median %v", m)
	}
	if !math.IsNaN(samples{}.median()) {
		t.Fatal("empty median must be NaN")
	}
	p := make(samples, 100)
	for i := range p {
		p[i] = float64(100 - i)
	}
	if q := p.quantile(0.99); q != 99 {
		t.Fatalf("p99 %v", q)
	}
	if r := rotate([]int{1, 2, 3}, 4); r[0] != 2 || r[2] != 1 {
		t.Fatalf("rotate %v", r)
	}
}

func TestTableRatiosAndGoals(t *testing.T) {
	s := &suite{}
	g := "up -d, 10 svc / 3 levels"
	s.t.add(g, "raw", "raw", "ms").s = samples{100, 100, 100, 100, 100}
	s.t.add(g, "ours-api-lib", "lib", "ms").s = samples{110, 110, 110, 110, 110}
	s.t.add(g, "ours-api", "proc", "ms").s = samples{120, 120, 120, 120, 120}
	s.t.add(g, "compose-v5", "peer", "ms").s = samples{200, 200, 200, 200, 200}
	s.goals()
	if r := s.t.ratio(g, "ours-api-lib", "raw"); math.Abs(r-1.1) > 1e-9 {
		t.Fatalf("ratio %v", r)
	}
	if !strings.HasPrefix(s.t.get(g, "ours-api-lib").goal, "≤ 1.15 × raw: met") {
		t.Fatalf("goal %q", s.t.get(g, "ours-api-lib").goal)
	}
	if !strings.Contains(s.t.get(g, "ours-api").goal, "met (0.60)") {
		t.Fatalf("goal %q", s.t.get(g, "ours-api").goal)
	}
	md := s.t.markdown()
	if strings.Count(md, "\n") != 6 || !strings.Contains(md, "| 1.10 |") {
		t.Fatalf("table:\n%s", md)
	}
}

func TestEverythingIsPrefixed(t *testing.T) {
	dir := t.TempDir()
	file, _ := levelStack("x", 3, 3).write(dir)
	b, _ := os.ReadFile(file)
	if !strings.Contains(string(b), testLabel+`: "1"`) {
		t.Fatal("services must carry perry.test=1")
	}
	r := raw{project: prefix + "-x"}
	if !strings.HasPrefix(r.netName(), prefix) || r.labels("s")[testLabel] != "1" {
		t.Fatal("raw resources must be prefixed and labelled")
	}
	if filepath.Base(file) != "x.yaml" {
		t.Fatal(file)
	}
}
