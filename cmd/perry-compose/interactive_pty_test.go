//go:build linux

package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// In-process tests of the terminal handling on a pseudo-terminal: raw
// mode while a TTY session runs, and the settings from before on every way
// out.

// openPTY returns a new pseudo-terminal's controlling side and terminal.
func openPTY(t *testing.T) (ptmx, tty *os.File) {
	t.Helper()
	ptmx, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	var unlock int32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Fatalf("unlockpt: %v", e)
	}
	var n uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, ptmx.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&n))); e != 0 {
		t.Fatalf("ptsname: %v", e)
	}
	tty, err = os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ptmx.Close(); tty.Close() })
	return ptmx, tty
}

func termios(t *testing.T, f *os.File) syscall.Termios {
	var st syscall.Termios
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, f.Fd(), syscall.TCGETS, uintptr(unsafe.Pointer(&st))); e != 0 {
		t.Errorf("tcgetattr: %v", e)
	}
	return st
}

func raw(st syscall.Termios) bool { return st.Lflag&(syscall.ICANON|syscall.ECHO) == 0 }

// ptySession runs `exec web cat` on the fake with the pty as stdin, stdout
// and stderr; exits records the codes the signal handler exits with, and
// the terminal's settings at that moment.
type ptySession struct {
	tty   *os.File
	sigs  chan os.Signal
	done  chan int
	exits chan syscall.Termios
}

func startPTYSession(t *testing.T, c *cliEnv, tty *os.File, args ...string) *ptySession {
	t.Helper()
	return startPTYSessionOn(t, c, c.b, tty, args...)
}

// startPTYSessionOn is startPTYSession with b in place of c's fake.
func startPTYSessionOn(t *testing.T, c *cliEnv, b backend.Backend, tty *os.File, args ...string) *ptySession {
	t.Helper()
	s := &ptySession{tty: tty, sigs: make(chan os.Signal, 4), done: make(chan int, 1), exits: make(chan syscall.Termios, 4)}
	a := c.app(tty, tty, tty)
	a.newBackend = func(context.Context) (backend.Backend, error) { return b, nil }
	a.signals = s.sigs
	a.exit = func(int) { s.exits <- termios(t, tty) }
	full := c.argv(args...)
	go func() { s.done <- a.run(context.Background(), full) }()
	return s
}

func (s *ptySession) wait(t *testing.T) int {
	t.Helper()
	select {
	case code := <-s.done:
		return code
	case <-time.After(30 * time.Second):
		t.Fatal("perry-compose did not end")
		return 0
	}
}

// heldExec is the fake whose interactive exec outlives the cancel of the
// first signal until release is closed, as a runtime's may take its time
// to stop: the second signal then comes while the command still runs
// (with the fake's prompt exec, the command could end, and perry-compose
// stop listening, between the test's two signals). The exec also ends
// when testOver is closed (the test's end, should it fail before the
// release), so that neither it nor its watcher is left blocked.
type heldExec struct {
	*fake.Backend
	release  chan struct{}
	testOver <-chan struct{}
}

func (h heldExec) ExecInteractive(ctx context.Context, id string, opts backend.ExecOptions, iio backend.InteractiveIO) (int, error) {
	held, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	go func() {
		select {
		case <-h.release:
		case <-h.testOver:
		case <-held.Done(): // the exec ended by itself
		}
		cancel()
	}()
	code, err := h.Backend.ExecInteractive(held, id, opts, iio)
	if ctx.Err() != nil {
		return code, ctx.Err()
	}
	return code, err
}

// A TTY session: the fake gets a TTY, the terminal is raw while it runs,
// keys reach the process, and two signals (the second exits at once) leave
// the terminal as it was, also at the moment of the exit.
func TestPTYSessionRawAndRestoredOnSignals(t *testing.T) {
	c := newCLIEnv(t, oneService)
	c.must("up", "-d")
	ptmx, tty := openPTY(t)
	before := termios(t, tty)
	if raw(before) {
		t.Fatal("a new pseudo-terminal is raw already")
	}
	held := heldExec{Backend: c.b, release: make(chan struct{}), testOver: t.Context().Done()}
	s := startPTYSessionOn(t, c, held, tty, "exec", "web", "cat")
	testenv.Eventually(t, 10*time.Second, "the session to start", func() bool {
		call, ok := lastCall(c.b, "ExecInteractive")
		return ok && raw(termios(t, tty)) && call.Args[1] == "tty=true"
	})
	if _, err := ptmx.Write([]byte("typed\r")); err != nil {
		t.Fatal(err)
	}
	var echoed []byte
	buf := make([]byte, 64)
	for !strings.Contains(string(echoed), "typed") {
		_ = ptmx.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := ptmx.Read(buf)
		if err != nil {
			t.Fatalf("reading the terminal: %v (so far %q)", err, echoed)
		}
		echoed = append(echoed, buf[:n]...)
	}
	s.sigs <- syscall.SIGTERM
	s.sigs <- syscall.SIGTERM
	select {
	case st := <-s.exits:
		if st != before {
			t.Errorf("the second signal exits with the terminal still raw (%v)", raw(st))
		}
	case <-time.After(10 * time.Second):
		t.Error("the second signal did not exit")
	}
	close(held.release)
	if code := s.wait(t); code != exitInterrupted {
		t.Errorf("exit code %d, want %d", code, exitInterrupted)
	}
	if termios(t, tty) != before {
		t.Error("the terminal is not restored after the signals")
	}
}

// An error from the backend in a TTY session restores the terminal too.
func TestPTYSessionRestoredOnError(t *testing.T) {
	c := newCLIEnv(t, oneService)
	c.must("up", "-d")
	_, tty := openPTY(t)
	before := termios(t, tty)
	c.b.Inject(fake.Fault{Method: "ExecInteractive", Err: core.Errorf(core.KindBackendError, "the attach broke")})
	s := startPTYSession(t, c, tty, "exec", "web", "cat")
	if code := s.wait(t); code != exitError {
		t.Errorf("exit code %d, want %d", code, exitError)
	}
	if _, ok := lastCall(c.b, "ExecInteractive"); !ok {
		t.Fatal("the session never reached the backend")
	}
	if termios(t, tty) != before {
		t.Error("the terminal is not restored after the error")
	}
	if len(s.exits) != 0 {
		t.Error("an error is no exit by signal")
	}
}
