// Package logprint prints containers' log lines the way docker compose
// does: each line behind its container's name (without the project
// prefix), padded to the longest name seen so far, and coloured per
// container when colour is on ("web-1  | listening").
package logprint

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"unicode/utf8"
)

// docker compose's palette order: the normal colours, then the bright ones.
var palette = []string{
	"\x1b[36m", "\x1b[33m", "\x1b[32m", "\x1b[35m", "\x1b[34m",
	"\x1b[96m", "\x1b[93m", "\x1b[92m", "\x1b[95m", "\x1b[94m",
}

const reset = "\x1b[0m"

// Printer writes log lines. It is safe for concurrent use; each line is
// one Write.
type Printer struct {
	mu       sync.Mutex
	out      func(text string) // where lines go (through the progress renderer)
	color    bool
	noPrefix bool
	width    int
	colors   map[string]string
	next     int
}

// Options configure a Printer.
type Options struct {
	Color    bool
	NoPrefix bool
}

// New returns a printer writing to w.
func New(w io.Writer, o Options) *Printer {
	return NewFunc(func(s string) { io.WriteString(w, s) }, o)
}

// NewFunc returns a printer handing each chunk of text to out.
func NewFunc(out func(string), o Options) *Printer {
	return &Printer{out: out, color: o.Color, noPrefix: o.NoPrefix, colors: map[string]string{}}
}

// Name is the name docker compose shows for a container: its name without
// the "{project}-" prefix ("web-1").
func Name(project, container string) string {
	container = strings.TrimPrefix(container, "/")
	if p := project + "-"; strings.HasPrefix(container, p) && len(container) > len(p) {
		return container[len(p):]
	}
	return container
}

// Register makes name known, so that the padding fits it from now on, and
// gives it its colour.
func (p *Printer) Register(name string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.registerLocked(name)
}

func (p *Printer) registerLocked(name string) {
	if _, ok := p.colors[name]; ok {
		return
	}
	p.colors[name] = palette[p.next%len(palette)]
	p.next++
	if n := utf8.RuneCountInString(name); n+1 > p.width {
		p.width = n + 1
	}
}

// Line prints one log line of the container called name.
func (p *Printer) Line(name, line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.registerLocked(name)
	if p.noPrefix {
		p.out(line + "\n")
		return
	}
	p.out(p.prefixLocked(name) + " " + line + "\n")
}

// Status prints a message about a container ("web-1 exited with code 0").
func (p *Printer) Status(name, msg string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.registerLocked(name)
	text := name + " " + msg
	if p.color {
		text = p.colors[name] + text + reset
	}
	p.out(text + "\n")
}

// prefixLocked is the padded prefix of a container's lines (p.mu held).
func (p *Printer) prefixLocked(name string) string {
	s := fmt.Sprintf("%-*s|", p.width+1, name)
	if p.color {
		return p.colors[name] + s + reset
	}
	return s
}
