package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// Tmux is a real terminal driven as a person would: a tmux server of its
// own (private socket) running one command in window "t", keys sent to it,
// and its screen read back.
type Tmux struct {
	t    testing.TB
	sock string
}

// StartTmux runs command (a shell command line) in a width×height tmux
// window. The test is skipped under -short, off Linux and macOS, and
// without tmux; the server is killed when the test ends.
func StartTmux(t testing.TB, width, height int, command string) *Tmux {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the tmux tests drive a real terminal for seconds each")
	}
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("tmux runs on Linux and macOS only, not on " + runtime.GOOS)
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed (make test installs it through tests/deps.sh)")
	}
	dir, err := os.MkdirTemp("", "tmux")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s := &Tmux{t: t, sock: filepath.Join(dir, "sock")}
	s.Run("-f", "/dev/null", "new-session", "-d", "-s", "t", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height), command)
	t.Cleanup(func() { exec.Command("tmux", "-S", s.sock, "kill-server").Run() })
	return s
}

// Run runs a tmux command against the server and returns its output.
func (s *Tmux) Run(args ...string) string {
	s.t.Helper()
	out, err := exec.Command("tmux", append([]string{"-S", s.sock}, args...)...).CombinedOutput()
	if err != nil {
		s.t.Fatalf("tmux %q: %v\n%s", args, err, out)
	}
	return string(out)
}

// Send types keys into the window (tmux send-keys names: "Enter", "C-d").
func (s *Tmux) Send(keys ...string) {
	s.t.Helper()
	s.Run(append([]string{"send-keys", "-t", "t"}, keys...)...)
}

// Resize sets the window's size, as a person resizing the terminal.
func (s *Tmux) Resize(width, height int) {
	s.t.Helper()
	s.Run("resize-window", "-t", "t", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height))
}

// Pane is the screen's text, with its escape sequences when escapes.
func (s *Tmux) Pane(escapes bool) string {
	s.t.Helper()
	args := []string{"capture-pane", "-p", "-J", "-t", "t"}
	if escapes {
		args = append(args, "-e")
	}
	return s.Run(args...)
}

// WaitFor polls the screen, with or without its escape sequences, until it
// contains want, and returns it.
func (s *Tmux) WaitFor(escapes bool, want string) string {
	s.t.Helper()
	var pane string
	if !Poll(60*time.Second, func() bool {
		pane = s.Pane(escapes)
		return strings.Contains(pane, want)
	}) {
		s.t.Fatalf("timed out waiting for the pane to show %q; it shows:\n%s", want, pane)
	}
	return pane
}
