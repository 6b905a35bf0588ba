package progress

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perryts/perry-container/compose/engine"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// sample is what an up of a two-service project reports.
func sample() []engine.Event {
	c := engine.ResourceContainer
	return []engine.Event{
		{Resource: engine.ResourceNetwork, ID: "demo_default", Status: engine.StatusCreating},
		{Resource: engine.ResourceNetwork, ID: "demo_default", Status: engine.StatusCreated},
		{Resource: engine.ResourceVolume, ID: "demo_data", Status: engine.StatusCreating},
		{Resource: engine.ResourceVolume, ID: "demo_data", Status: engine.StatusCreated},
		{Resource: c, ID: "demo-db-1", Status: engine.StatusCreating},
		{Resource: c, ID: "demo-web-1", Status: engine.StatusCreating},
		{Resource: c, ID: "demo-db-1", Status: engine.StatusCreated},
		{Resource: c, ID: "demo-web-1", Status: engine.StatusCreated},
		{Resource: c, ID: "demo-db-1", Status: engine.StatusStarting},
		{Resource: c, ID: "demo-db-1", Status: engine.StatusStarted},
		{Resource: engine.ResourceService, ID: "db", Status: engine.StatusWaiting, Text: "service_healthy"},
		{Resource: engine.ResourceService, ID: "db", Status: engine.StatusHealthy},
		{Resource: c, ID: "demo-web-1", Status: engine.StatusStarting},
		{Resource: c, ID: "demo-web-1", Status: engine.StatusStarted},
		{Resource: c, ID: "demo-old-1", Status: engine.StatusWarning, Text: "orphan container demo-old-1: its service is not in the project; remove it with RemoveOrphans"},
	}
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s differs (go test -update rewrites it)\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func render(mode string) []byte {
	var buf bytes.Buffer
	r := New(&buf, Options{Mode: mode})
	for _, ev := range sample() {
		r.Event(ev)
	}
	r.Close()
	return buf.Bytes()
}

func TestPlainGolden(t *testing.T) {
	out := render(ModePlain)
	golden(t, "plain.golden", out)
	if bytes.Contains(out, []byte("\x1b")) || bytes.Contains(out, []byte("\r")) {
		t.Fatal("plain output has terminal control sequences")
	}
	if n := bytes.Count(out, []byte("\n")); n != len(sample()) {
		t.Fatalf("%d lines for %d events: plain prints one line per state change", n, len(sample()))
	}
}

func TestJSONGolden(t *testing.T) {
	out := render(ModeJSON)
	golden(t, "json.golden", out)
	for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		var keys map[string]any
		if err := json.Unmarshal([]byte(line), &keys); err != nil {
			t.Fatalf("line %d is not JSON: %v", i+1, err)
		}
		for k := range keys {
			switch k {
			case "id", "parent_id", "status", "text", "details", "current", "total", "percent":
			default:
				t.Fatalf("line %d has key %q, not in docker compose's event shape", i+1, k)
			}
		}
		if keys["id"] == nil || keys["status"] == nil {
			t.Fatalf("line %d lacks id or status: %s", i+1, line)
		}
	}
}

func TestQuietPrintsNothing(t *testing.T) {
	if out := render(ModeQuiet); len(out) != 0 {
		t.Fatalf("quiet printed %q", out)
	}
}

func TestResolve(t *testing.T) {
	cases := []struct {
		mode               string
		terminal, ansi, ci bool
		want               string
	}{
		{"auto", true, true, false, ModeTTY},
		{"auto", false, true, false, ModePlain}, // piped
		{"auto", true, true, true, ModePlain},   // CI
		{"auto", true, false, false, ModePlain}, // --ansi never
		{"", true, true, false, ModeTTY},
		{"tty", false, true, false, ModeTTY},   // forced
		{"tty", true, false, false, ModePlain}, // no ANSI: cannot redraw
		{"json", true, true, false, ModeJSON},
		{"quiet", true, true, false, ModeQuiet},
		{"plain", true, true, false, ModePlain},
	}
	for _, c := range cases {
		if got := Resolve(c.mode, c.terminal, c.ansi, c.ci); got != c.want {
			t.Errorf("Resolve(%q, terminal=%v, ansi=%v, ci=%v) = %q, want %q", c.mode, c.terminal, c.ansi, c.ci, got, c.want)
		}
	}
}

// screen is a minimal terminal: it applies the sequences the tty renderer
// writes and returns what a person would see.
type screen struct {
	lines []string
	row   int
}

var csi = regexp.MustCompile(`^\x1b\[(\??)([0-9]*)([A-Za-z])`)

func (s *screen) write(p string) {
	for len(p) > 0 {
		if m := csi.FindStringSubmatch(p); m != nil {
			n, _ := strconv.Atoi(m[2])
			switch {
			case m[1] == "?": // cursor show/hide
			case m[3] == "A":
				s.row = max(0, s.row-max(n, 1))
			case m[3] == "K":
				s.set("")
			case m[3] == "J":
				s.lines = s.lines[:min(len(s.lines), s.row)]
			case m[3] == "m": // colours
			}
			p = p[len(m[0]):]
			continue
		}
		switch p[0] {
		case '\r':
		case '\n':
			s.row++
		default:
			r := []rune(p)
			i := strings.IndexAny(p, "\x1b\r\n")
			if i < 0 {
				i = len(p)
			}
			_ = r
			s.set(s.get() + p[:i])
			p = p[i:]
			continue
		}
		p = p[1:]
	}
}

func (s *screen) get() string {
	if s.row < len(s.lines) {
		return s.lines[s.row]
	}
	return ""
}

func (s *screen) set(v string) {
	for len(s.lines) <= s.row {
		s.lines = append(s.lines, "")
	}
	s.lines[s.row] = v
}

func (s *screen) text() string { return strings.Join(s.lines, "\n") }

// recorder keeps every Write apart, to check one frame is one Write.
type recorder struct {
	mu     sync.Mutex
	writes []string
}

func (r *recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.writes = append(r.writes, string(p))
	return len(p), nil
}

func TestTTYFinalFrame(t *testing.T) {
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rec := &recorder{}
	logs := &recorder{}
	r := newTTY(rec, Options{Width: 72, now: func() time.Time { clock = clock.Add(100 * time.Millisecond); return clock }, noTicker: true})
	for i, ev := range sample() {
		r.Event(ev)
		if i == 9 {
			r.Print(logs, "db-1  | ready\n")
		}
	}
	r.Close()
	var sc screen
	for _, w := range rec.writes {
		sc.write(w)
	}
	got := sc.text() + "\n"
	golden(t, "tty.golden", []byte(got))
	for _, want := range []string{
		"[+] Running 5/5",
		" ✔ Network demo_default  ", " ✔ Container demo-web-1  ", "Started", " ✔ Service db  ", "Healthy",
		"! Container demo-old-1  orphan container demo-old-1",
	} {
		if !strings.Contains(got, want) {
			t.Fatalf("final screen lacks %q:\n%s", want, got)
		}
	}
	for _, line := range sc.lines {
		if strings.HasPrefix(line, "!") {
			continue // warnings scroll above the block and may wrap
		}
		if n := len([]rune(line)); n > 72 {
			t.Fatalf("line wider than the terminal (%d): %q", n, line)
		}
	}
	// Every frame is one Write: a frame starts by moving up over the
	// previous one and rewrites each line, so no half-drawn frame shows.
	frames := 0
	for _, w := range rec.writes {
		if strings.Contains(w, "[+]") {
			frames++
			if strings.Count(w, "\x1b[2K") < 2 {
				t.Fatalf("a frame was split over several writes: %q", w)
			}
		}
	}
	if frames < 2 {
		t.Fatalf("%d frames", frames)
	}
	if len(logs.writes) != 1 || logs.writes[0] != "db-1  | ready\n" {
		t.Fatalf("log text %q", logs.writes)
	}
}

func TestTTYTruncatesAndCapsHeight(t *testing.T) {
	var buf bytes.Buffer
	r := newTTY(&buf, Options{Width: 30, Height: 4, noTicker: true})
	for i := range 6 {
		r.Event(engine.Event{Resource: engine.ResourceContainer, ID: "a-very-long-container-name-" + strconv.Itoa(i), Status: engine.StatusStarted})
	}
	r.Close()
	var sc screen
	sc.write(buf.String())
	for _, l := range sc.lines {
		if len([]rune(l)) > 30 {
			t.Fatalf("line not truncated: %q", l)
		}
	}
	// header + 2 lines (height 4 - 2), redrawn in place: 3 lines on screen
	if len(sc.lines) != 3 || !strings.Contains(sc.lines[0], "6/6") {
		t.Fatalf("screen %q", sc.lines)
	}
}
