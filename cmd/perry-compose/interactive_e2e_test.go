package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/internal/testenv"
)

// exec and run attached on Docker, through the Engine API and through the
// docker CLI.

const interactiveStack = `
services:
  web:
    image: perry-test/busybox:latest
    command: [sleep, "3600"]
    stop_grace_period: 1s
    labels:
      perry.test: "1"
  # Two networks: engines before API 1.44 connect the second one after the
  # create, so run attaches to a created container.
  multi:
    image: perry-test/busybox:latest
    command: [sleep, "3600"]
    networks: [a, b]
    labels:
      perry.test: "1"
networks:
  a:
    labels: {perry.test: "1"}
  b:
    labels: {perry.test: "1"}
`

var dockerStrategies = []string{"api", "cli"}

// runIn runs perry-compose with stdin as its input.
func (s *stack) runIn(env map[string]string, stdin string, args ...string) result {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := s.command(ctx, env, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		s.t.Fatalf("perry-compose %v: %v", args, err)
	}
	return result{stdout: out.String(), stderr: errb.String(), code: code}
}

// oneOffs are the stack's one-off containers.
func (s *stack) oneOffs() int {
	s.t.Helper()
	cs, err := s.b.List(context.Background(), backend.ListOptions{All: true,
		Labels: map[string]string{engine.LabelProject: s.name, engine.LabelOneoff: "True"}})
	if err != nil {
		s.t.Fatal(err)
	}
	return len(cs)
}

func TestE2EInteractivePiped(t *testing.T) {
	for _, strategy := range dockerStrategies {
		t.Run(strategy, func(t *testing.T) {
			t.Parallel()
			s := newStack(t, "it", "", interactiveStack)
			env := map[string]string{"PERRY_CONTAINER_STRATEGY": strategy}
			if r := s.runEnv(env, "up", "-d"); r.code != 0 {
				t.Fatalf("up: %+v", r)
			}
			if r := s.runIn(env, "hello\n", "exec", "-T", "web", "cat"); r.code != 0 || r.stdout != "hello\n" {
				t.Errorf("echo hello | exec -T web cat: %+v", r)
			}
			if r := s.runIn(env, "", "exec", "web", "sh", "-c", "echo out; echo err >&2; exit 7"); r.code != 7 || r.stdout != "out\n" || r.stderr != "err\n" {
				t.Errorf("exec exit 7: %+v", r)
			}
			if r := s.runIn(env, "to the one-off\n", "run", "--rm", "-T", "web", "cat"); r.code != 0 || r.stdout != "to the one-off\n" {
				t.Errorf("echo … | run --rm -T web cat: %+v", r)
			}
			if r := s.runIn(env, "", "run", "--rm", "-T", "web", "sh", "-c", "exit 4"); r.code != 4 {
				t.Errorf("run exit 4: %+v", r)
			}
			if r := s.runIn(env, "two networks\n", "run", "--rm", "-T", "multi", "sh", "-c", "cat; exit 3"); r.code != 3 || r.stdout != "two networks\n" {
				t.Errorf("echo … | run --rm -T multi: %+v", r)
			}
			if n := s.oneOffs(); n != 0 {
				t.Errorf("run --rm left %d one-off containers", n)
			}
		})
	}
}

// termSession is perry-compose in a real terminal (tmux), as a person
// runs it: the command line, then EXIT=<code> and whether the terminal's
// settings are those from before.
func (s *stack) termSession(strategy string, args ...string) *testenv.Tmux {
	s.t.Helper()
	saved := filepath.Join(s.dir, "stty-before")
	var quoted []string
	for _, a := range append([]string{s.bin, "-p", s.name}, args...) {
		quoted = append(quoted, shellQuote(a))
	}
	// PID=<pid> is perry-compose's (the shell execs it).
	line := fmt.Sprintf("cd %s && stty -g > %s && env PERRY_CONTAINER_BACKEND=docker PERRY_CONTAINER_STRATEGY=%s PERRY_NO_INSTALL_PROMPT=1 TERM=xterm sh -c 'echo PID=$$; exec \"$@\"' sh %s; "+
		`echo EXIT=$?; if [ "$(stty -g)" = "$(cat %s)" ]; then echo TERMINAL=restored; else echo TERMINAL=changed; fi; sleep 600`,
		shellQuote(s.dir), shellQuote(saved), strategy, strings.Join(quoted, " "), shellQuote(saved))
	return testenv.StartTmux(s.t, 100, 30, line)
}

func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// A shell in the container, as a person uses it: the prompt, arithmetic,
// the window's size at the start and after a resize, Ctrl-D ends it with
// 0 and the terminal as it was.
func TestE2EInteractiveTerminal(t *testing.T) {
	for _, strategy := range dockerStrategies {
		for _, command := range [][]string{{"exec", "web", "sh"}, {"run", "--rm", "web", "sh"}} {
			t.Run(strategy+"/"+command[0], func(t *testing.T) {
				s := newStack(t, "tty", "", interactiveStack)
				if r := s.runEnv(map[string]string{"PERRY_CONTAINER_STRATEGY": strategy}, "up", "-d"); r.code != 0 {
					t.Fatalf("up: %+v", r)
				}
				term := s.termSession(strategy, command...)
				term.WaitFor(false, "/ # ")
				term.Send("echo $((6*7))", "Enter")
				term.WaitFor(false, "\n42\n")
				sizeShows(t, term, "\n30 100\n")
				term.Resize(90, 25)
				sizeShows(t, term, "\n25 90\n")
				term.Send("C-d")
				pane := term.WaitFor(false, "TERMINAL=")
				if !strings.Contains(pane, "EXIT=0\nTERMINAL=restored") {
					t.Errorf("after Ctrl-D:\n%s", pane)
				}
				if command[0] == "run" {
					testenv.Eventually(t, 30*time.Second, "run --rm to remove the one-off container", func() bool { return s.oneOffs() == 0 })
				}
			})
		}
	}
}

// sizeShows types `stty size` until the shell reports want: a resize
// reaches the container's TTY through perry-compose and the engine, and
// keys typed right after it can overtake it.
func sizeShows(t *testing.T, term *testenv.Tmux, want string) {
	t.Helper()
	for range 10 {
		term.Send("stty size", "Enter")
		if testenv.Poll(3*time.Second, func() bool { return strings.Contains(term.Pane(false), want) }) {
			return
		}
	}
	t.Fatalf("stty size never showed %q:\n%s", want, term.Pane(false))
}

// The detach keys leave the shell running in the container; perry-compose
// exits with 0 and restores the terminal.
func TestE2EInteractiveDetach(t *testing.T) {
	for _, strategy := range dockerStrategies {
		t.Run(strategy, func(t *testing.T) {
			s := newStack(t, "det", "", interactiveStack)
			env := map[string]string{"PERRY_CONTAINER_STRATEGY": strategy}
			if r := s.runEnv(env, "up", "-d"); r.code != 0 {
				t.Fatalf("up: %+v", r)
			}
			term := s.termSession(strategy, "exec", "--detach-keys", "ctrl-x,d", "web", "sh", "-c", "echo ready; exec sleep 4242")
			term.WaitFor(false, "ready")
			term.Send("C-x", "d")
			pane := term.WaitFor(false, "TERMINAL=")
			if !strings.Contains(pane, "EXIT=0\nTERMINAL=restored") {
				t.Errorf("after the detach keys:\n%s", pane)
			}
			if r := s.runIn(env, "", "exec", "-T", "web", "ps"); !strings.Contains(r.stdout, "sleep 4242") {
				t.Errorf("the detached command does not run any more: %+v", r)
			}
		})
	}
}

// SIGTERM in the middle of a TTY session: perry-compose ends (130) and the
// terminal's settings are back as before.
func TestE2EInteractiveSignalRestoresTerminal(t *testing.T) {
	for _, strategy := range dockerStrategies {
		t.Run(strategy, func(t *testing.T) {
			s := newStack(t, "sig", "", interactiveStack)
			if r := s.runEnv(map[string]string{"PERRY_CONTAINER_STRATEGY": strategy}, "up", "-d"); r.code != 0 {
				t.Fatalf("up: %+v", r)
			}
			term := s.termSession(strategy, "exec", "web", "sh")
			term.WaitFor(false, "/ # ")
			m := regexp.MustCompile(`PID=(\d+)`).FindStringSubmatch(term.Pane(false))
			if m == nil {
				t.Fatalf("no PID in:\n%s", term.Pane(false))
			}
			pid, _ := strconv.Atoi(m[1])
			if err := syscall.Kill(pid, syscall.SIGTERM); err != nil {
				t.Fatal(err)
			}
			pane := term.WaitFor(false, "TERMINAL=")
			if !strings.Contains(pane, "EXIT=130\r\nTERMINAL=restored") && !strings.Contains(pane, "EXIT=130\nTERMINAL=restored") {
				t.Errorf("after SIGTERM:\n%s", pane)
			}
		})
	}
}
