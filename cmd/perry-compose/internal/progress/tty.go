package progress

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/perryts/perry-container/compose/engine"
)

// The tty renderer keeps one line per resource (network, volume, image,
// container, service wait) with its latest state and elapsed time, under a
// "[+] Running done/total" header. The block is redrawn in place at most
// every redrawInterval, each frame written with one Write (cursor up, then
// every line cleared and rewritten), with the cursor hidden: no flicker,
// and no scrollback spam. Warnings and log lines are printed above the
// block, which is then drawn again below them.

const (
	redrawInterval = 100 * time.Millisecond

	ansiHideCursor = "\x1b[?25l"
	ansiShowCursor = "\x1b[?25h"
	ansiClearLine  = "\x1b[2K"
	ansiClearDown  = "\x1b[J"
	ansiGreen      = "\x1b[32m"
	ansiRed        = "\x1b[31m"
	ansiYellow     = "\x1b[33m"
	ansiBlue       = "\x1b[34m"
	ansiReset      = "\x1b[0m"
)

var spinner = []string{"⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"}

type entry struct {
	id     string
	status engine.EventStatus
	text   string
	start  time.Time
	end    time.Time
	done   bool
}

type ttyRenderer struct {
	mu     sync.Mutex
	w      io.Writer
	title  string
	width  int
	height int
	now    func() time.Time

	entries []*entry
	byID    map[string]*entry
	drawn   int // lines of the block on screen
	frame   int
	dirty   bool
	closed  bool

	stop chan struct{}
	done chan struct{}
}

func newTTY(w io.Writer, o Options) *ttyRenderer {
	t := &ttyRenderer{w: w, title: o.Title, width: o.Width, height: o.Height, now: time.Now, byID: map[string]*entry{},
		stop: make(chan struct{}), done: make(chan struct{})}
	if o.now != nil {
		t.now = o.now
	}
	if t.title == "" {
		t.title = "Running"
	}
	if t.width <= 0 {
		t.width = 80
	}
	if o.noTicker {
		close(t.done)
	} else {
		go t.loop()
	}
	return t
}

func (t *ttyRenderer) loop() {
	defer close(t.done)
	tick := time.NewTicker(redrawInterval)
	defer tick.Stop()
	for {
		select {
		case <-t.stop:
			return
		case <-tick.C:
			t.mu.Lock()
			if !t.closed && (t.dirty || t.working()) {
				t.frame++
				t.drawLocked()
			}
			t.mu.Unlock()
		}
	}
}

func (t *ttyRenderer) working() bool {
	for _, e := range t.entries {
		if !e.done {
			return true
		}
	}
	return false
}

func (t *ttyRenderer) Event(ev engine.Event) {
	t.mu.Lock()
	defer t.mu.Unlock()
	id := ID(ev)
	if ev.Status == engine.StatusWarning {
		// Warnings are sentences: printed in full above the block.
		t.aboveLocked(t.w, ansiYellow+"! "+ansiReset+id+"  "+ev.Text+"\n")
		return
	}
	now := t.now()
	e := t.byID[id]
	if e == nil {
		e = &entry{id: id, start: now}
		t.byID[id] = e
		t.entries = append(t.entries, e)
	} else if e.done && !Done(ev.Status) {
		e.start = now // new work on a finished resource: time it afresh
	}
	e.status, e.text, e.done = ev.Status, ev.Text, Done(ev.Status)
	if e.done {
		e.end = now
	}
	t.dirty = true
	if t.closed {
		return
	}
	if t.drawn == 0 {
		t.drawLocked() // show the block at once
	}
}

func (t *ttyRenderer) Print(w io.Writer, text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.aboveLocked(w, text)
}

// aboveLocked prints text above the block: the block is erased, text
// written, and the block drawn again beneath it.
func (t *ttyRenderer) aboveLocked(w io.Writer, text string) {
	if t.closed || t.drawn == 0 {
		io.WriteString(w, text)
		return
	}
	io.WriteString(t.w, fmt.Sprintf("\x1b[%dA\r%s", t.drawn, ansiClearDown))
	t.drawn = 0
	io.WriteString(w, text)
	t.drawLocked()
}

func (t *ttyRenderer) Close() {
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return
	}
	t.closed = true
	if len(t.entries) > 0 {
		t.drawLocked()
		io.WriteString(t.w, ansiShowCursor)
	}
	t.mu.Unlock()
	select {
	case <-t.stop:
	default:
		close(t.stop)
	}
	<-t.done
}

// drawLocked writes one frame in a single Write.
func (t *ttyRenderer) drawLocked() {
	if len(t.entries) == 0 {
		return
	}
	var b strings.Builder
	if t.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", t.drawn)
	} else {
		b.WriteString(ansiHideCursor)
	}
	lines := t.linesLocked()
	for _, l := range lines {
		b.WriteString("\r")
		b.WriteString(ansiClearLine)
		b.WriteString(l)
		b.WriteString("\n")
	}
	io.WriteString(t.w, b.String())
	t.drawn = len(lines)
	t.dirty = false
}

// Frame returns the lines of the current block without ANSI sequences (for
// tests and for the final state).
func (t *ttyRenderer) linesLocked() []string {
	done := 0
	for _, e := range t.entries {
		if e.done {
			done++
		}
	}
	entries := t.entries
	if t.height > 2 && len(entries) > t.height-2 {
		entries = entries[len(entries)-(t.height-2):] // the cursor cannot move above the screen
	}
	idw := 0
	for _, e := range entries {
		idw = max(idw, utf8.RuneCountInString(e.id))
	}
	now := t.now()
	lines := []string{fmt.Sprintf("%s[+]%s %s %d/%d", ansiBlue, ansiReset, t.title, done, len(t.entries))}
	for _, e := range entries {
		sym, color := spinner[t.frame%len(spinner)], ansiBlue
		switch {
		case e.status == engine.StatusError:
			sym, color = "✘", ansiRed
		case e.done:
			sym, color = "✔", ansiGreen
		}
		end := now
		if e.done {
			end = e.end
		}
		elapsed := fmt.Sprintf("%.1fs", end.Sub(e.start).Seconds())
		plain := fmt.Sprintf(" %s %-*s  %-9s %6s", sym, idw, e.id, e.status, elapsed)
		if e.text != "" {
			plain += "  " + e.text
		}
		plain = truncate(plain, t.width-1)
		// Colour the symbol only, after truncation so no sequence is cut.
		lines = append(lines, " "+color+sym+ansiReset+strings.TrimPrefix(plain, " "+sym))
	}
	return lines
}

func truncate(s string, width int) string {
	if width <= 0 || utf8.RuneCountInString(s) <= width {
		return s
	}
	r := []rune(s)
	if width == 1 {
		return string(r[:1])
	}
	return string(r[:width-1]) + "…"
}
