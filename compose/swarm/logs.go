package swarm

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/moby/api/pkg/stdcopy"
	"golang.org/x/sync/errgroup"

	"github.com/perryts/perry-container/backend"
	bswarm "github.com/perryts/perry-container/backend/swarm"
	"github.com/perryts/perry-container/core"
)

// Logs writes the logs of the stack's services (all when services is
// empty) to w, each line prefixed by its task ("web.1@node | …", as docker
// service logs does), through the service logs API. With follow it streams
// until ctx ends or every service's stream closes.
func (t *Target) Logs(ctx context.Context, project string, services []string, follow bool, w io.Writer) error {
	return t.LogsWith(ctx, project, LogsOptions{Services: services, Follow: follow}, w)
}

// LogsOptions select what LogsWith writes.
type LogsOptions struct {
	Services []string // all when empty
	Follow   bool
	Tail     string // the last n lines of each task; "" or "all" for all
	NoPrefix bool   // lines without the "task | " prefix
}

// LogsWith is Logs with every option.
func (t *Target) LogsWith(ctx context.Context, project string, opts LogsOptions, w io.Writer) error {
	if opts.Tail != "" && opts.Tail != "all" {
		if n, err := strconv.Atoi(opts.Tail); err != nil || n < 0 {
			return core.InvalidArgument("tail", "%q: a number of lines or all", opts.Tail)
		}
	}
	services, follow := opts.Services, opts.Follow
	svcs, err := t.c.ListServices(ctx, map[string]string{LabelNamespace: project})
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, s := range services {
		want[s] = true
	}
	nodes, err := t.c.NodeNames(ctx)
	if err != nil {
		return err
	}
	found := map[string]bool{}
	sink := &lineSink{w: w, noPrefix: opts.NoPrefix}
	eg, gctx := errgroup.WithContext(ctx)
	for _, s := range svcs {
		name := serviceName(project, s)
		if len(want) > 0 && !want[name] {
			continue
		}
		found[name] = true
		id := s.ID
		eg.Go(func() error {
			rc, err := t.c.ServiceLogs(gctx, id, follow, opts.Tail)
			if err != nil {
				return err
			}
			defer rc.Close()
			p := &taskPrefixer{ctx: gctx, t: t, service: name, serviceID: id, nodes: nodes, sink: sink}
			out, errw := p.writer(), p.writer()
			_, err = stdcopy.StdCopy(out, errw, rc)
			_ = out.Close()
			_ = errw.Close()
			if err != nil && gctx.Err() != nil {
				return nil // ended by the caller
			}
			return err
		})
	}
	for s := range want {
		if !found[s] {
			return core.NotFound("service", s).With("project", project)
		}
	}
	return eg.Wait()
}

// lineSink serialises whole lines from concurrent streams.
type lineSink struct {
	mu       sync.Mutex
	w        io.Writer
	noPrefix bool
}

func (s *lineSink) line(prefix, msg string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.noPrefix {
		fmt.Fprintln(s.w, msg)
		return
	}
	fmt.Fprintf(s.w, "%s | %s\n", prefix, msg)
}

// taskPrefixer turns a service's detailed log lines
// ("com.docker.swarm.node.id=…,com.docker.swarm.service.id=…,com.docker.swarm.task.id=… msg")
// into "service.slot@node | msg".
type taskPrefixer struct {
	ctx       context.Context
	t         *Target
	service   string
	serviceID string
	nodes     map[string]string
	sink      *lineSink

	mu    sync.Mutex
	slots map[string]int // task id → slot
}

func (p *taskPrefixer) prefix(details string) string {
	var node, task string
	for _, kv := range strings.Split(details, ",") {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "com.docker.swarm.node.id":
			node = v
		case "com.docker.swarm.task.id":
			task = v
		}
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.slots[task]; !ok && task != "" {
		if p.slots == nil {
			p.slots = map[string]int{}
		}
		if tasks, err := p.t.c.ListTasks(p.ctx, bswarm.TaskFilter{Services: []string{p.serviceID}}); err == nil {
			for _, tk := range tasks {
				p.slots[tk.ID] = tk.Slot
			}
		}
	}
	name := p.service
	if slot := p.slots[task]; slot > 0 {
		name = fmt.Sprintf("%s.%d", p.service, slot)
	} else if len(task) >= 12 {
		name = p.service + "." + task[:12]
	}
	if n := p.nodes[node]; n != "" {
		name += "@" + n
	}
	return name
}

func (p *taskPrefixer) writer() *lineWriter {
	l := &lineWriter{p: p}
	l.LineWriter = backend.NewLineWriter(func(line string) { l.emit(strings.TrimSuffix(line, "\r")) })
	return l
}

// lineWriter splits a demultiplexed stream into lines and prefixes each
// with its task.
type lineWriter struct {
	*backend.LineWriter
	p *taskPrefixer
}

func (l *lineWriter) emit(line string) {
	details, msg, ok := strings.Cut(line, " ")
	if !ok || !strings.Contains(details, "com.docker.swarm.") {
		l.p.sink.line(l.p.service, line)
		return
	}
	l.p.sink.line(l.p.prefix(details), msg)
}
