package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/api"
	"github.com/perryts/perry-container/backend/cli"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/compose/loader"
)

// oursReport is what `perrybench compose` writes to -report: the time the
// library itself took (load + backend + engine command), without process
// start-up, and the engine's backend calls.
type oursReport struct {
	LoadNs  int64            `json:"loadNs"`
	OpNs    int64            `json:"opNs"`
	TotalNs int64            `json:"totalNs"`
	Calls   map[string]int   `json:"calls,omitempty"`
	Lines   int              `json:"lines,omitempty"`
	Events  []timedEvent     `json:"events,omitempty"`
	Extra   map[string]int64 `json:"extra,omitempty"`
}

type timedEvent struct {
	UnixNano int64        `json:"t"`
	Event    engine.Event `json:"ev"`
}

// newBackend builds our backend for a strategy: the Engine API over the
// local socket, or the docker CLI.
func newBackend(strategy string) (backend.Backend, error) {
	switch strategy {
	case "api":
		return api.New("", "docker")
	case "cli":
		return cli.Docker("docker", "docker"), nil
	}
	return nil, fmt.Errorf("unknown strategy %q (api | cli)", strategy)
}

// oursCompose is `perrybench compose`: a minimal compose CLI over our
// library, so that "ours" is timed as a process exactly like the peers.
// It is the benchmark's driver only; cmd/perry-compose is the product.
func oursCompose(args []string) error {
	fs := flag.NewFlagSet("compose", flag.ExitOnError)
	strategy := fs.String("strategy", "api", "api | cli")
	file := fs.String("f", "", "compose file")
	project := fs.String("p", "", "project name")
	parallel := fs.Int("parallel", 0, "bound on parallel engine calls (0: none)")
	tail := fs.Int("tail", 100, "logs: lines per container")
	report := fs.String("report", "", "write an oursReport (JSON) here")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile here")
	count := fs.Bool("count", false, "count backend calls")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: perrybench compose [flags] up|down|ps|logs|config")
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	rep, err := runOurs(context.Background(), oursArgs{strategy: *strategy, file: *file, project: *project,
		parallel: *parallel, tail: *tail, count: *count}, fs.Arg(0), bufio.NewWriter(os.Stdout))
	if *report != "" {
		if b, mErr := json.Marshal(rep); mErr == nil {
			_ = os.WriteFile(*report, b, 0o644)
		}
	}
	return err
}

type oursArgs struct {
	strategy, file, project string
	parallel, tail          int
	count                   bool
}

// runOurs loads the project, builds the backend and engine, and runs one
// command, timing the library.
func runOurs(ctx context.Context, a oursArgs, cmd string, out *bufio.Writer) (oursReport, error) {
	defer out.Flush()
	var rep oursReport
	t0 := time.Now()
	p, err := loader.Load(ctx, loader.Options{Files: []string{a.file}, ProjectName: a.project})
	if err != nil {
		return rep, err
	}
	t1 := time.Now()
	rep.LoadNs = int64(t1.Sub(t0))
	if cmd == "config" {
		b, err := loader.Config(p, loader.ConfigOptions{})
		if err != nil {
			return rep, err
		}
		_, _ = out.Write(b)
		rep.OpNs = int64(time.Since(t1))
		rep.TotalNs = int64(time.Since(t0))
		return rep, nil
	}
	b, err := newBackend(a.strategy)
	if err != nil {
		return rep, err
	}
	if c, ok := b.(io.Closer); ok {
		defer c.Close()
	}
	var cb *counting
	if a.count {
		cb = newCounting(b)
		b = cb
	}
	var mu sync.Mutex
	opts := []engine.Option{engine.WithLabels(map[string]string{testLabel: "1"}),
		engine.WithEvents(func(ev engine.Event) {
			mu.Lock()
			rep.Events = append(rep.Events, timedEvent{UnixNano: time.Now().UnixNano(), Event: ev})
			mu.Unlock()
		})}
	if a.parallel > 0 {
		opts = append(opts, engine.WithParallel(a.parallel))
	}
	e := engine.New(b, p, opts...)
	err = oursCommand(ctx, e, p, cmd, a, out, &rep)
	rep.OpNs = int64(time.Since(t1))
	rep.TotalNs = int64(time.Since(t0))
	if cb != nil {
		rep.Calls = map[string]int{}
		for _, c := range cb.counts() {
			rep.Calls[c.Method] = c.N
		}
	}
	return rep, err
}

func oursCommand(ctx context.Context, e *engine.Engine, p *types.Project, cmd string, a oursArgs, out *bufio.Writer, rep *oursReport) error {
	switch cmd {
	case "up":
		return e.Up(ctx, engine.UpOptions{})
	case "down":
		return e.Down(ctx, engine.DownOptions{RemoveOrphans: true})
	case "ps":
		cs, err := e.Ps(ctx, engine.PsOptions{})
		if err != nil {
			return err
		}
		for _, c := range cs {
			fmt.Fprintf(out, "%s\t%s\t%s\t%s\n", c.Name, c.Image, c.Service, c.Status)
		}
		rep.Lines = len(cs)
		return nil
	case "logs":
		tail := a.tail
		return e.Logs(ctx, engine.LogsOptions{Tail: &tail}, func(service, container, stream, line string) {
			rep.Lines++
			fmt.Fprintf(out, "%s  | %s\n", container, line)
		})
	}
	return fmt.Errorf("unknown command %q", cmd)
}
