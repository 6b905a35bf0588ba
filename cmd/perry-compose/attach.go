package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/cmd/perry-compose/internal/logprint"
	"github.com/perryts/perry-container/compose/engine"
)

// attacher follows the logs of an attached up's containers as they start,
// and reports each container's exit.
type attacher struct {
	ctx        context.Context
	b          backend.Backend
	project    string
	printer    *logprint.Printer
	services   map[string]bool // attach to these services only; nil: all
	timestamps bool
	since      string // output before the up began is not shown again

	mu       sync.Mutex
	seen     map[string]bool // container ids
	total    int             // containers followed
	inflight sync.WaitGroup  // attach calls still inspecting
	exits    chan exitEvent
}

type exitEvent struct {
	name       string // display name ("web-1")
	service    string
	code       int
	restarting bool // the runtime restarts it: it is still followed
	gone       bool // removed (a rollback): no exit code
}

func newAttacher(ctx context.Context, b backend.Backend, project string, printer *logprint.Printer, services []string, timestamps bool) *attacher {
	at := &attacher{ctx: ctx, b: b, project: project, printer: printer, timestamps: timestamps,
		seen: map[string]bool{}, exits: make(chan exitEvent, 256), since: time.Now().UTC().Format(time.RFC3339Nano)}
	if len(services) > 0 {
		at.services = map[string]bool{}
		for _, s := range services {
			at.services[s] = true
		}
	}
	return at
}

// started is the engine's event hook: a container was started. It must not
// block the engine, so the inspection runs apart.
func (at *attacher) started(ev engine.Event) {
	if ev.Resource != engine.ResourceContainer || ev.Status != engine.StatusStarted {
		return
	}
	at.inflight.Add(1)
	go func() {
		defer at.inflight.Done()
		info, err := at.b.Inspect(at.ctx, ev.ID)
		if err != nil {
			return // already removed (a rollback)
		}
		at.follow(info.ID, info.Name, info.Labels[engine.LabelService])
	}()
}

// sync waits for pending attachments, then attaches to the running
// containers of the project it does not follow yet (those an up found
// running).
func (at *attacher) sync(cs []engine.Container) {
	at.inflight.Wait()
	for _, c := range cs {
		if c.State == "running" {
			at.follow(c.ID, c.Name, c.Service)
		}
	}
}

// count is the number of containers followed so far.
func (at *attacher) count() int {
	at.mu.Lock()
	defer at.mu.Unlock()
	return at.total
}

func (at *attacher) follow(id, name, service string) {
	if at.services != nil && !at.services[service] {
		return
	}
	at.mu.Lock()
	if at.seen[id] {
		at.mu.Unlock()
		return
	}
	at.seen[id] = true
	at.total++
	at.mu.Unlock()
	display := logprint.Name(at.project, name)
	at.printer.Register(display)
	go at.stream(id, display, service)
}

// stream follows one container's output until it exits, then reports the
// exit; a container its restart policy brings back is followed again.
func (at *attacher) stream(id, display, service string) {
	since := at.since
	for {
		out := &lineSink{emit: func(l string) { at.printer.Line(display, l) }}
		err := at.b.FollowLogs(at.ctx, id, backend.LogsOptions{Since: since, Timestamps: at.timestamps}, out, out)
		out.flush()
		if at.ctx.Err() != nil {
			return
		}
		if err != nil {
			if _, ierr := at.b.Inspect(at.ctx, id); ierr != nil {
				at.exits <- exitEvent{name: display, service: service, gone: true}
				return
			}
		}
		code, err := at.b.Wait(at.ctx, id)
		if at.ctx.Err() != nil {
			return
		}
		info, ierr := at.b.Inspect(at.ctx, id)
		if err != nil || ierr != nil {
			at.exits <- exitEvent{name: display, service: service, gone: true}
			return
		}
		if info.ExitCode != nil {
			code = *info.ExitCode
		}
		restarting := info.State == "restarting" || info.State == "running"
		at.exits <- exitEvent{name: display, service: service, code: code, restarting: restarting}
		if !restarting {
			return
		}
		since = time.Now().UTC().Format(time.RFC3339Nano)
		for info.State == "restarting" {
			select {
			case <-at.ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
			if info, err = at.b.Inspect(at.ctx, id); err != nil {
				at.exits <- exitEvent{name: display, service: service, gone: true}
				return
			}
		}
	}
}

// lineSink cuts a stream into lines.
type lineSink struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	emit func(string)
}

func (s *lineSink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.buf.Write(p)
	for {
		i := bytes.IndexByte(s.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		line := string(s.buf.Next(i + 1))
		s.emit(strings.TrimRight(line, "\r\n"))
	}
}

func (s *lineSink) flush() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.buf.Len() > 0 {
		s.emit(strings.TrimRight(s.buf.String(), "\r\n"))
		s.buf.Reset()
	}
}
