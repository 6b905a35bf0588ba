package backend_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/api"
	"github.com/perryts/perry-container/backend/cli"
	"github.com/perryts/perry-container/backend/detect"
	"github.com/perryts/perry-container/core"
)

// TestLatencyTable measures per-operation latency of the CLI and API
// strategies on the real engine, interleaved in one run, and prints medians
// and the API÷CLI ratio. It is a measurement, not a test: it asserts nothing
// about time and runs only with PERRY_BENCH=1 (make bench).
func TestLatencyTable(t *testing.T) {
	if os.Getenv("PERRY_BENCH") != "1" {
		t.Skip("a measurement, not a test: set PERRY_BENCH=1 to run it (make bench does)")
	}
	ctx := context.Background()
	apiB, err := api.New("", "docker")
	if err != nil {
		t.Fatal(err)
	}
	strategies := []struct {
		name string
		b    backend.Backend
	}{{"cli", cli.Docker("docker", "docker")}, {"api", apiB}}
	const rounds = 7
	ops := []string{"create", "start", "inspect", "list50", "stop", "remove"}
	samples := map[string]map[string][]time.Duration{}
	for _, s := range strategies {
		samples[s.name] = map[string][]time.Duration{}
	}
	run := randHex()
	labels := map[string]string{"perry.test": "1", "perry.bench": run}
	t.Cleanup(func() { sweep(t, apiB, labels) })

	// 50 containers carrying the label for the list measurement.
	for i := 0; i < 50; i++ {
		if _, err := apiB.Create(ctx, &core.ContainerSpec{Image: "perry-test/busybox:latest", Name: fmt.Sprintf("perrybench-%s-%d", run, i),
			Cmd: []string{"sleep", "600"}, Labels: labels}); err != nil {
			t.Fatal(err)
		}
	}
	for r := 0; r < rounds; r++ {
		for _, s := range strategies {
			spec := &core.ContainerSpec{Image: "perry-test/busybox:latest", Name: fmt.Sprintf("perrybench-%s-%s-%d", run, s.name, r),
				Cmd: []string{"sh", "-c", "trap 'exit 0' TERM; sleep 600 & wait"}, Labels: labels}
			m := samples[s.name]
			timeIt := func(op string, fn func() error) {
				t0 := time.Now()
				if err := fn(); err != nil {
					t.Fatalf("%s %s: %v", s.name, op, err)
				}
				m[op] = append(m[op], time.Since(t0))
			}
			var id string
			timeIt("create", func() error { h, err := s.b.Create(ctx, spec); id = h.ID; return err })
			timeIt("start", func() error { return s.b.Start(ctx, id) })
			timeIt("inspect", func() error { _, err := s.b.Inspect(ctx, id); return err })
			timeIt("list50", func() error {
				l, err := s.b.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{"perry.bench": run}})
				if err == nil && len(l) < 50 {
					err = fmt.Errorf("listed %d containers, want ≥ 50", len(l))
				}
				return err
			})
			timeIt("stop", func() error { zero := 1; return s.b.Stop(ctx, id, &zero) })
			timeIt("remove", func() error { return s.b.Remove(ctx, id, true) })
		}
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "\n| operation | CLI median | API median | API ÷ CLI |\n|---|---|---|---|\n")
	for _, op := range ops {
		c, a := median(samples["cli"][op]), median(samples["api"][op])
		fmt.Fprintf(&sb, "| %s | %.1f ms | %.1f ms | %.2f |\n", op, ms(c), ms(a), float64(a)/float64(c))
	}
	// Detection with the Docker socket present: cold (a new Detector) and cached.
	var cold, cached []time.Duration
	for r := 0; r < rounds; r++ {
		d := detect.New(detect.OS())
		t0 := time.Now()
		if _, err := d.Detect(ctx); err != nil {
			t.Fatal(err)
		}
		cold = append(cold, time.Since(t0))
		t0 = time.Now()
		_, _ = d.Detect(ctx)
		cached = append(cached, time.Since(t0))
	}
	fmt.Fprintf(&sb, "| detection (cold) | | %.1f ms | |\n| detection (cached) | | %.3f ms | |\n", ms(median(cold)), ms(median(cached)))
	t.Log(sb.String())
	if out := os.Getenv("PERRY_BENCH_OUT"); out != "" {
		_ = os.WriteFile(out, []byte(sb.String()), 0o644)
	}
}

func median(d []time.Duration) time.Duration {
	s := append([]time.Duration(nil), d...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

func randHex() string {
	var b [4]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func sweep(t *testing.T, b backend.Backend, labels map[string]string) {
	ctx := context.Background()
	l, _ := b.List(ctx, backend.ListOptions{All: true, Labels: labels})
	for _, c := range l {
		if err := b.Remove(ctx, c.ID, true); err != nil {
			t.Errorf("cleanup %s: %v", c.Name, err)
		}
	}
}
