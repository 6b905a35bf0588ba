package loader

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perryts/perry-container/compose/graph"
)

// bigCompose writes a compose file of n services in three dependency levels
// (a fifth with no dependencies, then two fifths on them, then two fifths on
// the middle level), with ${...} interpolation in every service's image,
// command, environment, labels and ports.
func bigCompose(n int) string {
	var b strings.Builder
	b.WriteString("name: ${PROJECT:-bench}\nservices:\n")
	l0, l1 := n/5, n/5+2*n/5
	for i := range n {
		fmt.Fprintf(&b, "  svc%03d:\n", i)
		fmt.Fprintf(&b, "    image: ${REGISTRY:-docker.io}/team/svc%03d:${TAG:-latest}\n", i)
		b.WriteString("    command: [\"${CMD:-sleep}\", \"${DURATION:-infinity}\"]\n")
		b.WriteString("    environment:\n")
		b.WriteString("      DB_URL: postgres://${DB_USER:-app}:${DB_PASSWORD}@${DB_HOST:-db}:${DB_PORT:-5432}/app\n")
		fmt.Fprintf(&b, "      SERVICE_INDEX: \"%d\"\n", i)
		b.WriteString("      LOG_LEVEL: ${LOG_LEVEL:-info}\n")
		b.WriteString("      PRICE: \"$$5\"\n")
		b.WriteString("    labels:\n")
		b.WriteString("      team: ${TEAM}\n")
		b.WriteString("      tier: ${TIER:-backend}\n")
		fmt.Fprintf(&b, "    ports: [\"${BIND:-127.0.0.1}:%d:${CONTAINER_PORT:-80}\"]\n", 20000+i)
		var deps []int
		switch {
		case i >= l1: // level 2 depends on level 1
			deps = []int{l0 + (i-l1)%(l1-l0), l0 + (i*7)%(l1-l0)}
		case i >= l0: // level 1 depends on level 0
			deps = []int{(i - l0) % l0, (i * 3) % l0}
		}
		if len(deps) > 0 {
			b.WriteString("    depends_on:\n")
			seen := map[int]bool{}
			for _, d := range deps {
				if seen[d] {
					continue
				}
				seen[d] = true
				fmt.Fprintf(&b, "      svc%03d:\n        condition: ${COND:-service_started}\n", d)
			}
		}
	}
	return b.String()
}

// BenchmarkConfig500 is `docker compose config` on a 500-service file:
// load (parse, interpolate, validate, normalize, our checks) and render YAML.
func BenchmarkConfig500(b *testing.B) {
	dir := b.TempDir()
	file := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(file, []byte(bigCompose(500)), 0o600); err != nil {
		b.Fatal(err)
	}
	env := map[string]string{"TAG": "1.2.3", "DB_PASSWORD": "secret", "TEAM": "core", "LOG_LEVEL": "debug"}
	opts := Options{Files: []string{file}, Environment: env, WorkingDir: dir}

	b.ReportAllocs()
	for b.Loop() {
		p, err := Load(b.Context(), opts)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Services) != 500 {
			b.Fatalf("%d services", len(p.Services))
		}
		out, err := Config(p, ConfigOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if len(out) == 0 {
			b.Fatal("empty config")
		}
	}
}

func TestBigComposeLevels(t *testing.T) {
	// The benchmark's file is what it claims: 500 services, 3 levels.
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{"compose.yaml": bigCompose(500)})
	p := mustLoad(t, Options{WorkingDir: dir, Environment: map[string]string{"DB_PASSWORD": "x", "TEAM": "t"}})
	if len(p.Services) != 500 || p.Name != "bench" {
		t.Fatalf("%d services, name %q", len(p.Services), p.Name)
	}
	if img := p.Services["svc000"].Image; img != "docker.io/team/svc000:latest" {
		t.Errorf("image = %q", img)
	}
	g, err := graph.Build(p)
	if err != nil {
		t.Fatal(err)
	}
	levels := graph.Levels(g)
	if len(levels) != 3 || len(levels[0]) != 100 || len(levels[1]) != 200 || len(levels[2]) != 200 {
		t.Errorf("levels: %d (want 3 of 100, 200, 200)", len(levels))
	}
}
