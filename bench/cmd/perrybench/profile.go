package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"time"

	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/compose/loader"
)

// runProfile profiles our engine in-process over the Engine API: a CPU
// profile per operation, the backend calls each operation makes, and the
// up's critical path (where time goes between a dependency's start and its
// dependent's create). Results go to -out; a summary is printed.
func runProfile(args []string) error {
	fs := flag.NewFlagSet("profile", flag.ExitOnError)
	out := fs.String("out", "build/bench/profile", "output directory")
	n := fs.Int("n", 5, "repetitions per operation")
	small := fs.Bool("small", false, "only the 10-service stack and ps/logs on Docker (quicker)")
	fakeOnly := fs.Bool("fake", false, "only the engine's own cost: call counts and CPU over the in-memory backend, and the config load (no Docker)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	ctx := context.Background()
	if err := profileFake(ctx, *out, *n); err != nil {
		return err
	}
	if *fakeOnly {
		return nil
	}
	c, err := newClient(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	// Only the profiler's own projects: a suite may be running.
	_, _, _ = cleanPrefix(ctx, c, prefix+"-prof")
	defer cleanPrefix(context.Background(), c, prefix+"-prof")

	var report strings.Builder
	stacks := []struct {
		name string
		st   stack
	}{{"up10", levelStack("prof10", 10, 3)}, {"up50", levelStack("prof50", 50, 3)}}
	if *small {
		stacks = stacks[:1]
	}
	for _, sc := range stacks {
		file, err := sc.st.write(*out)
		if err != nil {
			return err
		}
		project := prefix + "-" + sc.st.name
		p, err := loader.Load(ctx, loader.Options{Files: []string{file}, ProjectName: project})
		if err != nil {
			return err
		}
		prof, err := os.Create(filepath.Join(*out, "cpu-"+sc.name+".pprof"))
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(prof); err != nil {
			return err
		}
		var upCalls, downCalls []methodCount
		var gaps, creates, starts, upTimes, downTimes, preambles samples
		for i := 0; i < *n; i++ {
			b, err := newBackend("api")
			if err != nil {
				return err
			}
			cb := newCounting(b)
			e := engine.New(cb, p, engine.WithLabels(map[string]string{testLabel: "1"}))
			t0 := time.Now()
			if err := e.Up(ctx, engine.UpOptions{}); err != nil {
				pprof.StopCPUProfile()
				return err
			}
			upTimes = append(upTimes, ms(time.Since(t0)))
			upCalls = cb.counts()
			g, cr, st, pre := criticalPath(sc.st, project, cb.snapshot())
			gaps, creates, starts = append(gaps, g...), append(creates, cr...), append(starts, st...)
			preambles = append(preambles, pre)
			if i == 0 {
				writeTimeline(filepath.Join(*out, "timeline-"+sc.name+".txt"), cb.snapshot())
			}
			cb.reset()
			t0 = time.Now()
			if err := e.Down(ctx, engine.DownOptions{}); err != nil {
				pprof.StopCPUProfile()
				return err
			}
			downTimes = append(downTimes, ms(time.Since(t0)))
			downCalls = cb.counts()
			if i == 0 {
				writeTimeline(filepath.Join(*out, "timeline-down-"+sc.name+".txt"), cb.snapshot())
			}
		}
		pprof.StopCPUProfile()
		prof.Close()
		fmt.Fprintf(&report, "== %s (%d services): up median %.0f ms, down median %.0f ms (in-process, API)\n", sc.name, len(sc.st.services), upTimes.median(), downTimes.median())
		fmt.Fprintf(&report, "   up backend calls:   %s\n", fmtCounts(upCalls))
		fmt.Fprintf(&report, "   down backend calls: %s\n", fmtCounts(downCalls))
		fmt.Fprintf(&report, "   create call median %.1f ms, start call median %.1f ms; preamble before the first create %.1f ms; dependency Start end → dependent Start begin (the gate): median %.1f ms, max %.1f ms\n",
			creates.median(), starts.median(), preambles.median(), gaps.median(), gaps.max())
	}

	// ps and logs: the calls of one command on a running stack.
	for _, sc := range []struct {
		name, cmd string
		st        stack
	}{{"ps50", "ps", levelStack("profps", 50, 3)}, {"logs10", "logs", logStack("proflogs", 10)}} {
		file, err := sc.st.write(*out)
		if err != nil {
			return err
		}
		project := prefix + "-" + sc.st.name
		p, err := loader.Load(ctx, loader.Options{Files: []string{file}, ProjectName: project})
		if err != nil {
			return err
		}
		b, err := newBackend("api")
		if err != nil {
			return err
		}
		cb := newCounting(b)
		e := engine.New(cb, p, engine.WithLabels(map[string]string{testLabel: "1"}))
		if err := e.Up(ctx, engine.UpOptions{}); err != nil {
			return err
		}
		time.Sleep(time.Second)
		tail := 100
		op := func() error {
			if sc.cmd == "ps" {
				_, err := e.Ps(ctx, engine.PsOptions{})
				return err
			}
			return e.Logs(ctx, engine.LogsOptions{Tail: &tail}, func(_, _, _, _ string) {})
		}
		_ = op()
		prof, err := os.Create(filepath.Join(*out, "cpu-"+sc.name+".pprof"))
		if err != nil {
			return err
		}
		_ = pprof.StartCPUProfile(prof)
		var times samples
		var calls []methodCount
		for i := 0; i < 20**n; i++ {
			cb.reset()
			t0 := time.Now()
			if err := op(); err != nil {
				pprof.StopCPUProfile()
				return err
			}
			times = append(times, ms(time.Since(t0)))
			calls = cb.counts()
		}
		pprof.StopCPUProfile()
		prof.Close()
		fmt.Fprintf(&report, "== %s: median %.1f ms (warm engine, API); backend calls per command: %s\n", sc.name, times.median(), fmtCounts(calls))
		if err := e.Down(ctx, engine.DownOptions{}); err != nil {
			return err
		}
	}
	fmt.Print(report.String())
	fmt.Printf("CPU profiles and time lines in %s (go tool pprof -top %s/cpu-up50.pprof)\n", *out, *out)
	return os.WriteFile(filepath.Join(*out, "summary.txt"), []byte(report.String()), 0o644)
}

func fmtCounts(cs []methodCount) string {
	var parts []string
	for _, c := range cs {
		parts = append(parts, fmt.Sprintf("%s×%d (%.0f ms)", c.Method, c.N, ms(c.Total)))
	}
	return strings.Join(parts, ", ")
}

// criticalPath returns, for every depends_on edge, the gap between the end
// of the dependency's Start call and the begin of the dependent's Start
// call (the engine's gate: the raw path has none), the durations of the
// Create and Start calls, and the preamble: from the first backend call to
// the begin of the first create (network or container), which the raw path
// does not have either.
func criticalPath(st stack, project string, calls []call) (gaps, creates, starts []float64, preamble float64) {
	startBegin, startEnd := map[string]time.Duration{}, map[string]time.Duration{}
	idToSvc := map[string]string{}
	first, firstCreate := time.Duration(-1), time.Duration(-1)
	svcOf := func(name string) string { return strings.TrimSuffix(strings.TrimPrefix(name, project+"-"), "-1") }
	for _, c := range calls {
		if first < 0 || c.Start < first {
			first = c.Start
		}
		if c.Method == "Create" || c.Method == "CreateNetwork" {
			if firstCreate < 0 || c.Start < firstCreate {
				firstCreate = c.Start
			}
		}
		if c.Method == "Create" {
			creates = append(creates, ms(c.End-c.Start))
			idToSvc[c.ID] = svcOf(c.Arg)
		}
	}
	for _, c := range calls {
		if c.Method == "Start" {
			starts = append(starts, ms(c.End-c.Start))
			svc := idToSvc[c.Arg]
			if svc == "" {
				svc = svcOf(c.Arg)
			}
			startBegin[svc], startEnd[svc] = c.Start, c.End
		}
	}
	for _, s := range st.services {
		for _, d := range s.deps {
			sb, ok1 := startBegin[s.name]
			se, ok2 := startEnd[d]
			if ok1 && ok2 {
				gaps = append(gaps, ms(sb-se))
			}
		}
	}
	if first >= 0 && firstCreate >= 0 {
		preamble = ms(firstCreate - first)
	}
	return
}

func writeTimeline(path string, calls []call) {
	sort.Slice(calls, func(i, j int) bool { return calls[i].Start < calls[j].Start })
	var b strings.Builder
	for _, c := range calls {
		fmt.Fprintf(&b, "%8.1f %8.1f %6.1f  %-14s %s\n", c.StartMs, c.EndMs, c.EndMs-c.StartMs, c.Method, c.Arg)
	}
	_ = os.WriteFile(path, []byte(b.String()), 0o644)
}

// profileFake runs our engine over the in-memory backend: the backend calls
// each command makes (exact, whatever the runtime) and the engine's own CPU
// time, which no engine latency hides; plus the config load of 500 services.
func profileFake(ctx context.Context, out string, n int) error {
	var report strings.Builder
	prof, err := os.Create(filepath.Join(out, "cpu-fake.pprof"))
	if err != nil {
		return err
	}
	defer prof.Close()
	if err := pprof.StartCPUProfile(prof); err != nil {
		return err
	}
	defer pprof.StopCPUProfile()
	for _, sc := range []struct {
		name string
		st   stack
	}{{"10 svc", levelStack("fake10", 10, 3)}, {"50 svc", levelStack("fake50", 50, 3)}, {"health chain", healthChain("fakehealth", true)}} {
		file, err := sc.st.write(out)
		if err != nil {
			return err
		}
		p, err := loader.Load(ctx, loader.Options{Files: []string{file}, ProjectName: prefix + "-" + sc.st.name})
		if err != nil {
			return err
		}
		var upT, downT, psT samples
		var upC, downC, psC []methodCount
		for i := 0; i < 20*n; i++ {
			cb := newCounting(fake.New(image))
			e := engine.New(cb, p)
			t0 := time.Now()
			if err := e.Up(ctx, engine.UpOptions{}); err != nil {
				return err
			}
			upT = append(upT, ms(time.Since(t0)))
			upC = cb.counts()
			cb.reset()
			t0 = time.Now()
			if _, err := e.Ps(ctx, engine.PsOptions{}); err != nil {
				return err
			}
			psT = append(psT, ms(time.Since(t0)))
			psC = cb.counts()
			cb.reset()
			t0 = time.Now()
			if err := e.Down(ctx, engine.DownOptions{}); err != nil {
				return err
			}
			downT = append(downT, ms(time.Since(t0)))
			downC = cb.counts()
		}
		fmt.Fprintf(&report, "== fake backend, %s: engine-only time up %.2f ms, ps %.3f ms, down %.2f ms\n", sc.name, upT.median(), psT.median(), downT.median())
		fmt.Fprintf(&report, "   up calls:   %s\n   ps calls:   %s\n   down calls: %s\n", fmtCounts(upC), fmtCounts(psC), fmtCounts(downC))
	}
	file, err := configStack("fakeconfig500", 500).write(out)
	if err != nil {
		return err
	}
	var loadT, renderT samples
	for i := 0; i < n; i++ {
		t0 := time.Now()
		p, err := loader.Load(ctx, loader.Options{Files: []string{file}, ProjectName: prefix + "-config"})
		if err != nil {
			return err
		}
		t1 := time.Now()
		if _, err := loader.Config(p, loader.ConfigOptions{}); err != nil {
			return err
		}
		loadT, renderT = append(loadT, ms(t1.Sub(t0))), append(renderT, ms(time.Since(t1)))
	}
	fmt.Fprintf(&report, "== config, 500 services: load %.0f ms, render %.0f ms (median of %d)\n", loadT.median(), renderT.median(), n)
	fmt.Print(report.String())
	return os.WriteFile(filepath.Join(out, "summary-fake.txt"), []byte(report.String()), 0o644)
}
