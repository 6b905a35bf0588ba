package installer

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/internal/testenv"
)

// menuShown is a line of the darwin menu as drawn.
const menuShown = "orbstack — Fast macOS VM with Docker-compatible API"

// The arrow-key menu runs the real huh form under Bubble Tea, fed with the
// byte sequences a terminal sends (ESC [ B is the down arrow, CR is Enter).
func TestTUISelect(t *testing.T) {
	menu := Menu("darwin", "")
	const down, up, enter = "\x1b[B", "\x1b[A", "\r"
	cases := []struct {
		keys []string // one terminal read each, as a person types them
		want int
		quit bool
	}{
		{[]string{enter}, 0, false},
		{[]string{down, enter}, 1, false},
		{[]string{down, down, down, up, enter}, 2, false},
		{[]string{"j", "j", "j", "j", enter}, 4, false},
		{[]string{"j", "j", "k", enter}, 1, false},
		{[]string{down, down, down, down, down, down, enter}, 1, false}, // huh's select wraps around
		{[]string{"q"}, 0, true},
		{[]string{down, "q"}, 0, true},
		{[]string{"/", "q"}, 0, true}, // filtering is off, so q still quits
		{[]string{"\x1b"}, 0, true},   // Esc
		{[]string{"\x03"}, 0, true},   // Ctrl+C
	}
	for _, c := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var out testenv.Buffer
		got, err := selectTUI(ctx, &keyReader{keys: c.keys, screen: &out}, &out, menu)
		cancel()
		if c.quit {
			if !errors.Is(err, errQuit) {
				t.Errorf("keys %q: err = %v, want quit", c.keys, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("keys %q: got %d, %v; want %d", c.keys, got, err, c.want)
		}
		if !strings.Contains(out.String(), menuShown) {
			t.Errorf("keys %q: menu not rendered:\n%q", c.keys, out.String())
		}
	}
}

// keyReader returns one key per Read, as a terminal does when a person
// types (Bubble Tea merges runes that arrive in one read into one key). The
// first key waits until screen shows the menu: keys read earlier end the
// program before it ever draws.
type keyReader struct {
	keys   []string
	screen *testenv.Buffer
}

func (r *keyReader) Read(p []byte) (int, error) {
	if len(r.keys) == 0 {
		return 0, io.EOF
	}
	if r.screen != nil {
		// On a timeout the keys go anyway; the test then finds no menu.
		testenv.Poll(10*time.Second, func() bool { return strings.Contains(r.screen.String(), menuShown) })
		r.screen = nil
	}
	n := copy(p, r.keys[0])
	r.keys = r.keys[1:]
	return n, nil
}

func TestTUIFormDefaults(t *testing.T) {
	form, choice := newSelectForm(Menu("windows", ""))
	if form == nil || *choice != 0 {
		t.Fatalf("choice starts at %d", *choice)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := selectTUI(ctx, &keyReader{}, io.Discard, Menu("windows", "")); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: err = %v", err)
	}
}
