// Command perrybench is perry-container's performance suite:
// up -d/down against docker compose v5, docker-compose v1 and the engine's
// own critical path, a healthy-gated chain, ps, logs, config, detection,
// the FFI and library figures from the C benchmarks, and a health-gated
// stack on Docker Swarm against docker stack deploy. Every figure is
// the median of interleaved runs, printed as one table with ratios and
// written to bench/results.md. It measures; it asserts nothing.
//
//	perrybench [suite] [-runs 5] [-out bench/results.md]   the whole suite (bench/run.sh)
//	perrybench compose -strategy api|cli -f F -p P up|down|ps|logs|config
//	perrybench detect                                      one cold and one cached detection (JSON)
//	perrybench profile [-out build/bench/profile]          pprof + engine call counts of our up/down/ps
//	perrybench clean                                       remove everything the suite created
//
// Everything it creates is named perrybench-… and labelled perry.test=1,
// and is removed at the end, on failure and on Ctrl-C.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/perryts/perry-container/backend/detect"
)

func main() {
	args := os.Args[1:]
	cmd := "suite"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	var err error
	switch cmd {
	case "suite":
		err = runSuite(args)
	case "compose":
		err = oursCompose(args)
	case "detect":
		err = detectOnce()
	case "profile":
		err = runProfile(args)
	case "clean":
		ctx := context.Background()
		c, cErr := newClient(ctx)
		if cErr != nil {
			err = cErr
			break
		}
		nc, nn, cErr := clean(ctx, c)
		ns := cleanSwarm(ctx, c)
		fmt.Printf("removed %d containers, %d networks, %d swarm objects\n", nc, nn, ns)
		err = cErr
	default:
		err = fmt.Errorf("unknown command %q (suite | compose | detect | profile | clean)", cmd)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "perrybench:", err)
		os.Exit(1)
	}
}

type detectReport struct {
	ColdNs   int64  `json:"coldNs"`
	CachedNs int64  `json:"cachedNs"`
	Driver   string `json:"driver,omitempty"`
	Strategy string `json:"strategy,omitempty"`
	Host     string `json:"host,omitempty"`
	Error    string `json:"error,omitempty"`
}

// detectOnce times the first detection of a fresh process (cold) and a
// second one (cached), as the library does them.
func detectOnce() error {
	ctx := context.Background()
	d := detect.New(detect.OS())
	t0 := time.Now()
	rep, err := d.Detect(ctx)
	cold := time.Since(t0)
	t1 := time.Now()
	_, _ = d.Detect(ctx)
	cached := time.Since(t1)
	out := detectReport{ColdNs: int64(cold), CachedNs: int64(cached)}
	if err != nil {
		out.Error = err.Error()
	} else if rep.Selected != nil {
		out.Driver, out.Strategy, out.Host = rep.Selected.Driver, rep.Selected.Strategy, rep.Selected.Host
	}
	return json.NewEncoder(os.Stdout).Encode(out)
}

func runSuite(args []string) error {
	fs := flag.NewFlagSet("suite", flag.ExitOnError)
	runs := fs.Int("runs", 5, "runs per figure (≥ 5)")
	out := fs.String("out", "bench/results.md", "results file")
	root := fs.String("root", ".", "repository root")
	only := fs.String("only", "", "comma-separated scenarios (config,detect,ffi,up10,up50,up50p4,health,ps,logs,swarm); default all")
	verbose := fs.Bool("v", false, "log every run")
	full := fs.Bool("full", false, "also measure our CLI strategy and docker-compose v1 on the 50-service stacks")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *runs < 5 {
		return fmt.Errorf("-runs must be at least 5 (medians of fewer runs are noise)")
	}
	absRoot, err := filepath.Abs(*root)
	if err != nil {
		return err
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	e := &env{root: absRoot, self: self, runs: *runs, verbose: *verbose, full: *full,
		peer: filepath.Join(absRoot, "build", "peers", "docker-compose"),
		pc:   filepath.Join(absRoot, "build", "perry-compose"),
		work: filepath.Join(absRoot, "build", "bench")}
	if err := os.MkdirAll(e.work, 0o755); err != nil {
		return err
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c, err := newClient(ctx)
	if err != nil {
		return fmt.Errorf("the Docker Engine does not answer: %w", err)
	}
	defer c.Close()
	s := &suite{e: e, c: c, loadStart: loadAvg()}
	// Clean before (a killed earlier run) and after, whatever happens.
	_, _, _ = clean(ctx, c)
	defer func() {
		nc, nn, _ := clean(context.Background(), c)
		if nc+nn > 0 {
			s.logf("cleanup removed %d containers, %d networks", nc, nn)
		}
	}()

	want := map[string]bool{}
	for _, x := range strings.Split(*only, ",") {
		if x = strings.TrimSpace(x); x != "" {
			want[x] = true
		}
	}
	on := func(k string) bool { return len(want) == 0 || want[k] }
	began := time.Now()
	tablePath := filepath.Join(e.work, "table.json")
	scens := []string{"up10", "up50", "up50p4", "health", "ps", "logs", "config", "detect", "ffi", "swarm"}
	if len(want) > 0 {
		// A partial run keeps the other scenarios' figures of the last run.
		var prev savedTable
		if b, err := os.ReadFile(tablePath); err == nil && json.Unmarshal(b, &prev) == nil {
			s.t.restore(prev.Rows, func(sc string) bool { return !want[sc] })
			for _, n := range prev.Notes {
				if n.Scen != "tools" && !want[n.Scen] {
					s.notes = append(s.notes, n)
				}
			}
			s.logf("kept the figures of %s for the scenarios not run now", prev.Date)
			s.notes = append(s.notes, savedNote{Scen: "tools", Text: fmt.Sprintf("scenarios other than %s are from the run of %s (partial run, -only)", *only, prev.Date)})
		}
	}
	save := func() {
		b, _ := json.MarshalIndent(savedTable{Date: time.Now().UTC().Format(time.RFC3339), Runs: e.runs, Rows: s.t.saved(), Notes: s.notes}, "", " ")
		_ = os.WriteFile(tablePath, b, 0o644)
	}
	s.logf("probing tools")
	s.t.cur = "tools"
	s.setupTools(ctx)
	steps := []struct {
		key string
		fn  func() error
	}{
		{"up10", func() error {
			return s.upDown(ctx, "up10", "10 svc / 3 levels", levelStack("up10", 10, 3), 0, true, false)
		}},
		{"health", func() error { return s.healthChain(ctx) }},
		{"ps", func() error { return s.readCmd(ctx, "ps", "ps50", "50 containers", levelStack("ps50", 50, 3), 50) }},
		{"logs", func() error {
			return s.readCmd(ctx, "logs", "logs10", "--tail 100, 10 svc", logStack("logs10", 10), 1000)
		}},
		{"config", func() error { return s.config(ctx, 500) }},
		{"detect", func() error { s.detection(ctx); return nil }},
		{"ffi", func() error { s.ffi(ctx); return nil }},
		{"up50", func() error {
			return s.upDown(ctx, "up50", "50 svc / 3 levels", levelStack("up50", 50, 3), 0, false, true)
		}},
		{"up50p4", func() error {
			return s.upDown(ctx, "up50p4", "50 svc / 3 levels, --parallel 4", levelStack("up50p4", 50, 3), 4, false, true)
		}},
		{"swarm", func() error { return s.swarmScenario(ctx) }},
	}
	// render writes bench/results.md (after every scenario, so an
	// interrupted run leaves its figures so far) and returns it.
	render := func() (string, error) {
		// The table follows the scenarios' order, whichever run measured them.
		order := map[string]int{}
		for i, k := range scens {
			order[k] = i
		}
		sort.SliceStable(s.t.rows, func(i, j int) bool { return order[s.t.rows[i].scen] < order[s.t.rows[j].scen] })
		s.goals()
		var b strings.Builder
		b.WriteString("# perry-container benchmark results\n\nGenerated by `make bench` (bench/run.sh → bench/cmd/perrybench); do not edit by hand.\n\n")
		b.WriteString(s.machine(context.Background()))
		fmt.Fprintf(&b, "- suite wall time: %s\n\n", time.Since(began).Round(time.Second))
		b.WriteString(s.t.markdown())
		if len(s.notes)+len(s.t.failures()) > 0 {
			b.WriteString("\nNotes:\n")
			for _, n := range s.notes {
				fmt.Fprintf(&b, "- %s\n", n.Text)
			}
			for _, f := range s.t.failures() {
				fmt.Fprintf(&b, "- ⚠ %s\n", f)
			}
		}
		b.WriteString(legend)
		return b.String(), os.WriteFile(filepath.Join(absRoot, *out), []byte(b.String()), 0o644)
	}
	for _, st := range steps {
		if !on(st.key) {
			continue
		}
		if ctx.Err() != nil {
			s.t.cur = "tools"
			s.note("interrupted before %s: the scenarios from %s on were not measured", st.key, st.key)
			break
		}
		t0 := time.Now()
		s.logf("%s …", st.key)
		s.t.cur = st.key
		if err := st.fn(); err != nil {
			s.logf("%s failed: %v", st.key, err)
			s.note("%s did not complete: %v", st.key, firstLine(err.Error()))
			_, _, _ = clean(ctx, c)
		}
		save()
		if _, err := render(); err != nil {
			s.logf("writing %s: %v", *out, err)
		}
		s.logf("%s done in %s", st.key, time.Since(t0).Round(time.Second))
	}
	final, err := render()
	fmt.Println(final)
	if err != nil {
		return err
	}
	s.logf("written to %s", *out)
	return nil
}

const legend = `
Legend: "process" rows are wall time from fork to exit of a compose command
(the way a user runs docker compose); "library" rows are the time inside our
process (project load, connect, engine command), what a host calling the FFI
sees. "raw" creates and starts the same containers with direct moby client
calls, each dependency level in parallel, levels in sequence (down: stop +
remove, dependents' level first). The up/down goals use library ÷ raw and
process ÷ docker compose (like for like). ⚠ marks a variant that failed at
least once (see Notes).
`
