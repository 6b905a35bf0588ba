// Package progress renders the compose engine's events for perry-compose:
// a live, redrawn block on a terminal (tty), one line per state change
// (plain: CI and pipes), docker compose's NDJSON events (json), or nothing
// (quiet). The engine only emits events; everything printed is decided
// here.
package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/perryts/perry-container/compose/engine"
)

// Modes of --progress.
const (
	ModeAuto  = "auto"
	ModeTTY   = "tty"
	ModePlain = "plain"
	ModeJSON  = "json"
	ModeQuiet = "quiet"
)

// Modes lists the values --progress accepts.
var Modes = []string{ModeAuto, ModeTTY, ModePlain, ModeJSON, ModeQuiet}

// Renderer receives the engine's events. Event is safe for concurrent use.
// Close ends the rendering (the tty renderer draws its final frame) and may
// be called more than once.
type Renderer interface {
	Event(ev engine.Event)
	// Print writes text that is not progress (log lines of an attached up)
	// to w without breaking the live display.
	Print(w io.Writer, text string)
	Close()
}

// Options configure New.
type Options struct {
	// Mode is one of Modes; auto must be resolved by the caller (Resolve).
	Mode string
	// Title heads the tty block ("Running").
	Title string
	// Width and Height are the terminal's size for the tty renderer (0:
	// 80 columns, unbounded height).
	Width, Height int

	now      func() time.Time // tests: a fixed clock
	noTicker bool             // tests: frames only on events and Close
}

// Resolve turns --progress auto into tty or plain: tty only on a terminal
// that may take ANSI sequences, outside CI (progress spam in CI logs is the
// pain point the plain mode answers). A tty request without ANSI degrades to
// plain, as redrawing needs cursor movement.
func Resolve(mode string, terminal, ansi, ci bool) string {
	switch mode {
	case "", ModeAuto:
		if terminal && ansi && !ci {
			return ModeTTY
		}
		return ModePlain
	case ModeTTY:
		if !ansi {
			return ModePlain
		}
	}
	return mode
}

// New returns the renderer of o.Mode writing to w.
func New(w io.Writer, o Options) Renderer {
	switch o.Mode {
	case ModeTTY:
		return newTTY(w, o)
	case ModeJSON:
		return &jsonRenderer{w: w}
	case ModeQuiet:
		return &quietRenderer{}
	default:
		return &plainRenderer{w: w}
	}
}

// Kind is the display name of a resource kind, as docker compose prints it.
// ("Container", "Network", …: the kind capitalised; "Project" for none).
func Kind(r engine.ResourceKind) string {
	if r == "" {
		return "Project"
	}
	return strings.ToUpper(string(r[:1])) + string(r[1:])
}

// ID is docker compose's event id: "Container demo-web-1".
func ID(ev engine.Event) string { return Kind(ev.Resource) + " " + ev.ID }

// Done reports whether a status is final for its resource (a check mark on
// the tty), rather than work in progress (a spinner).
func Done(st engine.EventStatus) bool {
	switch st {
	case engine.StatusCreating, engine.StatusStarting, engine.StatusRestarting, engine.StatusWaiting, engine.StatusStopping, engine.StatusKilling,
		engine.StatusRemoving, engine.StatusPulling, engine.StatusPushing, engine.StatusBuilding, engine.StatusRecreate,
		engine.StatusCommitting, engine.StatusExporting:
		return false
	}
	return true
}

// plainRenderer prints one line per event: no spinner, no cursor movement,
// nothing repeated, so CI logs stay readable.
type plainRenderer struct {
	mu sync.Mutex
	w  io.Writer
}

// PlainLine is the plain rendering of one event.
func PlainLine(ev engine.Event) string {
	line := ID(ev) + "  " + string(ev.Status)
	if ev.Text != "" {
		line += "  " + ev.Text
	}
	return line
}

func (p *plainRenderer) Event(ev engine.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintln(p.w, PlainLine(ev))
}

func (p *plainRenderer) Print(w io.Writer, text string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	io.WriteString(w, text)
}

func (p *plainRenderer) Close() {}

// quietRenderer prints no progress: errors reach the user through the
// command's error.
type quietRenderer struct{ mu sync.Mutex }

func (q *quietRenderer) Event(engine.Event) {}

func (q *quietRenderer) Print(w io.Writer, text string) {
	q.mu.Lock()
	defer q.mu.Unlock()
	io.WriteString(w, text)
}

func (q *quietRenderer) Close() {}
