package installer

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// exampleEnv makes the test binary act as a small program that needs a
// container runtime (see exampleMain); the tmux test runs it in a real
// terminal.
const (
	exampleEnv     = "PERRY_INSTALLER_EXAMPLE"
	exampleFakeDir = "PERRY_INSTALLER_EXAMPLE_FAKE_DIR"
)

func TestMain(m *testing.M) {
	if os.Getenv(exampleEnv) == "1" {
		os.Exit(exampleMain())
	}
	os.Exit(m.Run())
}

// exampleMain is what detection and perry-compose do: detect, and on
// NoBackendFound offer the installer, then carry on with the original
// operation. "Detection" here looks for a fake runtime CLI on PATH. With
// PERRY_INSTALLER_EXAMPLE_FAKE_DIR set, the menu's second entry is replaced
// by an install command that puts that fake runtime into the directory.
func exampleMain() int {
	env := DefaultEnv()
	if dir := os.Getenv(exampleFakeDir); dir != "" {
		os.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
		p := DetectPlatform(env.GOOS, env.osRelease())
		// The directory is passed as "$1", not spliced into the script.
		env.Table[p][1].Commands = [][]string{{"sh", "-c",
			`echo "installing fakeruntime into $1"; mkdir -p "$1" && printf '#!/bin/sh\necho fakeruntime 1.0\n' > "$1/fakeruntime" && chmod +x "$1/fakeruntime" && echo done`,
			"sh", dir}}
	}
	detect := func(ctx context.Context) error {
		if _, err := exec.LookPath("fakeruntime"); err != nil {
			return core.Errorf(core.KindNoBackendFound, "no container runtime found\n%s", Hint(env.GOOS, env.osRelease()))
		}
		return nil
	}
	ctx := context.Background()
	if err := MaybeOffer(ctx, env, detect(ctx), detect); err != nil {
		fmt.Fprintln(os.Stderr, "perry:", err)
		return 1
	}
	out, _ := exec.Command("fakeruntime").Output()
	fmt.Printf("original command completed with %s", out)
	return 0
}

// tmuxSession is the example in a tmux terminal (see testenv.Tmux).
type tmuxSession struct{ *testenv.Tmux }

func (s *tmuxSession) tmux(args ...string) string { return s.Run(args...) }

// waitFor polls the pane (with escape sequences) until it contains want.
func (s *tmuxSession) waitFor(want string) string { return s.WaitFor(true, want) }

// moveDown presses Down and waits for the cursor to be on entry: Down and
// a next key sent at once can arrive in one terminal read, which Bubble Tea
// may take for one key.
func (s *tmuxSession) moveDown(entry string) {
	s.Send("Down")
	s.WaitFor(false, "> "+entry)
}

func startExample(t *testing.T, extraEnv ...string) *tmuxSession {
	t.Helper()
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "inst")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	// No runtime reachable: a PATH without container CLIs and a DOCKER_HOST
	// pointing at a closed socket; no CI, no opt-out.
	cmd := fmt.Sprintf("env -u CI -u PERRY_NO_INSTALL_PROMPT -u NO_COLOR TERM=xterm-256color PATH=/usr/bin:/bin DOCKER_HOST=unix://%s/closed.sock %s=1 %s %q; echo EXIT=$?; sleep 60",
		dir, exampleEnv, strings.Join(extraEnv, " "), bin)
	return &tmuxSession{testenv.StartTmux(t, 160, 60, cmd)}
}

// As a person would: the menu appears with colours, arrow down + Enter picks
// the second entry, N prints the command and the program exits non-zero.
func TestTmuxDecline(t *testing.T) {
	s := startExample(t)
	pane := s.waitFor("Choose a container runtime to install")
	menu := Menu(runtime.GOOS, DefaultEnv().osRelease())
	for _, want := range []string{
		"Perry needs a container runtime to continue.",
		"\x1b[1m" + menu[0].Name,                      // bold name
		"\x1b[36m" + DisplayArgv(menu[0].Commands[0]), // cyan command (tmux re-encodes SGR)
		menu[1].DocsURL,
	} {
		if !strings.Contains(pane, want) {
			t.Errorf("menu lacks %q:\n%q", want, pane)
		}
	}
	s.moveDown(menu[1].Name)
	s.tmux("send-keys", "-t", "t", "Enter")
	pane = s.waitFor("[Y]es / [N]o, show me the command")
	if !strings.Contains(pane, "Selected: \x1b[1m"+menu[1].Name) {
		t.Errorf("second entry not selected:\n%s", pane)
	}
	s.tmux("send-keys", "-t", "t", "n", "Enter")
	pane = s.waitFor("EXIT=")
	plain := s.tmux("capture-pane", "-p", "-J", "-t", "t")
	for _, want := range []string{
		"To install " + menu[1].Name + " yourself:",
		"$ " + menu[1].Command(),
		"Error: no container runtime installed: installation of " + menu[1].Name + " declined",
		"EXIT=1",
	} {
		if !strings.Contains(plain, want) {
			t.Errorf("pane lacks %q:\n%s", want, plain)
		}
	}
	if !strings.Contains(pane, "\x1b[31mError:") {
		t.Errorf("error line is not red:\n%q", pane)
	}
}

// A second run with an injected install command: Y streams its output,
// re-detection finds the fake runtime, the success line is green and the
// original command completes.
func TestTmuxInstall(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "bin")
	s := startExample(t, exampleFakeDir+"="+fake)
	s.waitFor("Choose a container runtime to install")
	s.moveDown(Menu(runtime.GOOS, DefaultEnv().osRelease())[1].Name)
	s.tmux("send-keys", "-t", "t", "Enter")
	s.waitFor("[Y]es / [N]o, show me the command")
	s.tmux("send-keys", "-t", "t", "y", "Enter")
	pane := s.waitFor("EXIT=")
	plain := s.tmux("capture-pane", "-p", "-J", "-t", "t")
	for _, want := range []string{
		"installing fakeruntime into " + fake,
		"done",
		"is installed and ready; continuing.",
		"original command completed with fakeruntime 1.0",
		"EXIT=0",
	} {
		if !strings.Contains(plain, want) {
			t.Errorf("pane lacks %q:\n%s", want, plain)
		}
	}
	if !strings.Contains(pane, "\x1b[32m✓") {
		t.Errorf("success line is not green:\n%q", pane)
	}
}

// The numbered fallback under TERM=dumb, in a real terminal.
func TestTmuxNumberedDumb(t *testing.T) {
	s := startExample(t, "TERM=dumb")
	pane := s.waitFor("or q to quit: ")
	if strings.Contains(pane, "\x1b[") {
		t.Errorf("escape codes under TERM=dumb:\n%q", pane)
	}
	s.tmux("send-keys", "-t", "t", "2", "Enter")
	s.waitFor("[Y]es / [N]o, show me the command")
	s.tmux("send-keys", "-t", "t", "n", "Enter")
	plain := s.waitFor("EXIT=")
	if !strings.Contains(plain, "EXIT=1") || !strings.Contains(plain, "declined") {
		t.Errorf("pane:\n%s", plain)
	}
}
