// Package installer is perry-compose's interactive backend installer
// (docs/design.md, The installer): when detection finds no container runtime and a person is at
// the terminal, it shows the platform's supported runtimes in priority order,
// lets them pick one (arrow keys, or a numbered prompt on terminals without
// ANSI support), prints the exact installation command(s), runs them only
// after an explicit Yes, streams their output, and re-runs detection.
//
// Callers (backend detection, perry-compose) use it like this:
//
//	err := detector.Detect(ctx)
//	err = installer.MaybeOffer(ctx, installer.DefaultEnv(), err, func(ctx context.Context) error {
//		return detector.Detect(ctx) // keep the new backend in the closure
//	})
//
// The package depends only on core; the install table is data (Table) that
// tests and embedders may replace.
package installer

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"

	"golang.org/x/term"

	"github.com/perryts/perry-container/core"
)

// Runner runs one installation step: argv without a shell, its output
// streamed to stdout and stderr as it is produced. A non-zero exit is an
// error.
type Runner func(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error

// ExecRunner is the default Runner: os/exec, never a shell. The child gets
// stdin only when it is a real file (a terminal, so sudo or brew can ask for
// a password); any other reader is withheld, because exec would copy it in a
// goroutine that can outlive the child and swallow the program's input.
func ExecRunner(ctx context.Context, argv []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(argv) == 0 || argv[0] == "" {
		return errors.New("empty command")
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	if f, ok := stdin.(*os.File); ok {
		cmd.Stdin = f
	}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	return cmd.Run()
}

// Env is everything the installer touches, so tests can simulate any
// platform, terminal and outcome. Zero fields get defaults: Stdin an empty
// reader, Stdout and Stderr io.Discard, GOOS runtime.GOOS, OSRelease the
// contents of /etc/os-release (or /usr/lib/os-release), Getenv os.Getenv,
// Runner ExecRunner, Table DefaultTable().
type Env struct {
	// Stdin is where answers are read (the terminal).
	Stdin io.Reader
	// Stdout receives the install commands' standard output.
	Stdout io.Writer
	// Stderr receives the menu, prompts and messages, and the install
	// commands' standard error.
	Stderr io.Writer
	// StdinIsTTY enables the arrow-key menu (it needs a terminal to read keys
	// from); without it the numbered prompt reads lines from Stdin.
	StdinIsTTY bool
	// StderrIsTTY is the first condition: the installer is
	// offered only when stderr is a terminal (see ShouldPrompt).
	StderrIsTTY bool
	// GOOS picks the menu ("darwin", "ios", "linux", "windows", …).
	GOOS string
	// OSRelease returns /etc/os-release, read only on Linux to choose between
	// the Debian/Ubuntu and Fedora/RHEL commands.
	OSRelease func() (string, error)
	Getenv    func(string) string
	Runner    Runner
	Table     Table
}

// DefaultEnv is the process's own terminal: os.Stdin and os.Stderr, their
// TTY state, the real environment, os/exec. Install output goes to os.Stdout
// when it is a terminal and to os.Stderr otherwise, so a program whose stdout
// is piped does not get installer output mixed into its data.
func DefaultEnv() Env {
	out := io.Writer(os.Stdout)
	if !isTerminal(os.Stdout) {
		out = os.Stderr
	}
	return Env{
		Stdin:       os.Stdin,
		Stdout:      out,
		Stderr:      os.Stderr,
		StdinIsTTY:  isTerminal(os.Stdin),
		StderrIsTTY: isTerminal(os.Stderr),
		GOOS:        runtime.GOOS,
		OSRelease:   readOSRelease,
		Getenv:      os.Getenv,
		Runner:      ExecRunner,
		Table:       DefaultTable(),
	}
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

func readOSRelease() (string, error) {
	b, err := os.ReadFile("/etc/os-release")
	if err != nil {
		var err2 error
		if b, err2 = os.ReadFile("/usr/lib/os-release"); err2 != nil {
			return "", err
		}
	}
	return string(b), nil
}

func (e Env) withDefaults() Env {
	if e.Stdin == nil {
		e.Stdin = strings.NewReader("")
	}
	if e.Stdout == nil {
		e.Stdout = io.Discard
	}
	if e.Stderr == nil {
		e.Stderr = io.Discard
	}
	if e.GOOS == "" {
		e.GOOS = runtime.GOOS
	}
	if e.OSRelease == nil {
		e.OSRelease = readOSRelease
	}
	if e.Getenv == nil {
		e.Getenv = os.Getenv
	}
	if e.Runner == nil {
		e.Runner = ExecRunner
	}
	if e.Table == nil {
		e.Table = DefaultTable()
	}
	return e
}

// osRelease is the os-release text on Linux and "" elsewhere or when it
// cannot be read (which selects the generic Linux menu).
func (e Env) osRelease() string {
	if e.GOOS != "linux" {
		return ""
	}
	s, err := e.OSRelease()
	if err != nil {
		return ""
	}
	return s
}

// ShouldPrompt reports whether the interactive installer may be offered
// (a prompt nobody can answer would hang a script): stderr is a terminal, PERRY_NO_INSTALL_PROMPT
// is not "1", and the process is not running in CI (CI is unset, empty, "0" or
// "false").
func ShouldPrompt(env Env) bool {
	env = env.withDefaults()
	return env.StderrIsTTY && env.Getenv(EnvNoInstallPrompt) != "1" && !isCI(env.Getenv("CI"))
}

func isCI(v string) bool {
	v = strings.TrimSpace(v)
	return v != "" && v != "0" && !strings.EqualFold(v, "false")
}

// MaybeOffer is the hook for detection and perry-compose: when err is a
// NoBackendFound error and ShouldPrompt(env) holds, it runs Offer and returns
// its result (nil once a runtime is installed and redetect succeeded);
// otherwise it returns err unchanged.
func MaybeOffer(ctx context.Context, env Env, err error, redetect func(context.Context) error) error {
	if err == nil || core.KindOf(err) != core.KindNoBackendFound || !ShouldPrompt(env) {
		return err
	}
	return Offer(ctx, env, redetect)
}

// Offer runs the interactive installer. It does not
// check ShouldPrompt; callers do (or use MaybeOffer).
//
// It prints the platform's menu, lets the person choose (arrow keys with q to
// quit when the terminal is ANSI-capable and stdin is a terminal, a numbered
// prompt otherwise), prints the chosen backend's exact command(s) and asks
// "[Y]es / [N]o, show me the command". Only an explicit yes runs anything: the
// commands run in order through env.Runner with output streamed live, then
// redetect verifies that a runtime is now found (a nil redetect skips the
// check). Success prints a green line and returns nil, so the caller's
// original operation continues with the backend its redetect found.
//
// Quitting, declining, an entry with no automatic command, a failed command
// or a failed re-detection print the manual instructions and a red error, and
// return a core NoBackendFound error (wrapping the failure when there is
// one). A cancelled ctx returns a Cancelled or Timeout error.
func Offer(ctx context.Context, env Env, redetect func(context.Context) error) error {
	env = env.withDefaults()
	platform := DetectPlatform(env.GOOS, env.osRelease())
	menu := env.Table.Menu(platform)
	st := newStyle(ansiCapable(env))
	w := env.Stderr

	fmt.Fprintln(w, "Perry needs a container runtime to continue. No container runtime was found on this system.")
	fmt.Fprintln(w, silenceLine)
	if len(menu) == 0 {
		return fail(w, st, platform, nil, "no installable container runtime is known for "+platform.Label(), nil)
	}
	fmt.Fprintf(w, "Supported container runtimes for %s, in order of preference:\n\n", platform.Label())
	writeMenu(w, st, menu)

	var (
		idx   int
		err   error
		lines *lineReader
	)
	if st.ansi && env.StdinIsTTY {
		idx, err = selectTUI(ctx, env.Stdin, w, menu)
	} else {
		lines = newLineReader(env.Stdin)
		idx, err = selectNumbered(ctx, lines, w, len(menu))
	}
	if err != nil {
		if errors.Is(err, errQuit) {
			fmt.Fprintln(w, "No runtime selected.")
			fmt.Fprintln(w, env.Table.Hint(env.GOOS, env.osRelease()))
			return fail(w, st, platform, nil, "no container runtime installed: the installer was quit", nil)
		}
		return ctxError(ctx, err)
	}
	entry := menu[idx]
	fmt.Fprintf(w, "\nSelected: %s\n", st.bold(entry.Name))

	if !entry.Automatic() {
		fmt.Fprintf(w, "%s cannot be installed automatically on %s.\n", entry.Name, platform.Label())
		return fail(w, st, platform, &entry, "no container runtime installed: "+entry.Name+" needs a manual installation", nil)
	}

	fmt.Fprintln(w, "The installation runs:")
	for _, argv := range entry.Commands {
		fmt.Fprintf(w, "  $ %s\n", st.cyan(DisplayArgv(argv)))
	}
	if lines == nil {
		lines = newLineReader(env.Stdin) // after the TUI has released stdin
	}
	yes, err := confirm(ctx, lines, w)
	if err != nil {
		return ctxError(ctx, err)
	}
	if !yes {
		return fail(w, st, platform, &entry, "no container runtime installed: installation of "+entry.Name+" declined", nil)
	}

	for _, argv := range entry.Commands {
		fmt.Fprintf(w, "%s %s\n", st.bold("==>"), st.cyan(DisplayArgv(argv)))
		if err := env.Runner(ctx, argv, env.Stdin, env.Stdout, env.Stderr); err != nil {
			if ctx.Err() != nil {
				return ctxError(ctx, err)
			}
			return fail(w, st, platform, &entry, fmt.Sprintf("installing %s failed: `%s`", entry.Name, DisplayArgv(argv)), err)
		}
	}
	if redetect != nil {
		fmt.Fprintln(w, "Checking for the new container runtime…")
		if err := redetect(ctx); err != nil {
			if ctx.Err() != nil {
				return ctxError(ctx, err)
			}
			return fail(w, st, platform, &entry, fmt.Sprintf("%s was installed but no container runtime was detected (it may need to be started)", entry.Name), err)
		}
	}
	fmt.Fprintln(w, st.green("✓ "+entry.Name+" is installed and ready; continuing."))
	return nil
}

// fail prints the manual instructions for entry (when there is one) and a red
// error line, and returns the NoBackendFound error.
func fail(w io.Writer, st style, platform Platform, entry *Entry, msg string, cause error) error {
	if entry != nil {
		writeManual(w, st, *entry)
	}
	line := msg
	if cause != nil {
		line += ": " + firstLine(cause.Error())
	}
	fmt.Fprintln(w, st.red("Error: "+line))
	var e *core.Error
	if cause != nil {
		e = core.Errorf(core.KindNoBackendFound, "%s: %w", msg, cause)
	} else {
		e = core.Errorf(core.KindNoBackendFound, "%s", msg)
	}
	e = e.With("platform", string(platform))
	if entry != nil {
		e = e.With("backend", entry.Name).With("install", entry.Command()).With("docs", entry.DocsURL)
	}
	return e
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

func ctxError(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return core.AsError(ctx.Err())
	}
	return core.AsError(err)
}

func writeMenu(w io.Writer, st style, menu []Entry) {
	for i, e := range menu {
		fmt.Fprintf(w, "  %d. %s — %s\n", i+1, st.bold(e.Name), e.Description)
		cmd := e.Command()
		if e.Automatic() {
			cmd = st.cyan(cmd)
		}
		if e.Note != "" {
			cmd += " " + e.Note
		}
		fmt.Fprintf(w, "     Install: %s\n", cmd)
		fmt.Fprintf(w, "     Docs:    %s\n", e.DocsURL)
	}
	fmt.Fprintln(w)
}

func writeManual(w io.Writer, st style, e Entry) {
	fmt.Fprintf(w, "\nTo install %s yourself:\n", st.bold(e.Name))
	if e.Automatic() {
		for _, argv := range e.Commands {
			fmt.Fprintf(w, "  $ %s\n", st.cyan(DisplayArgv(argv)))
		}
		if e.Note != "" {
			fmt.Fprintf(w, "  (%s)\n", e.Note)
		}
	} else if e.Manual != "" {
		fmt.Fprintf(w, "  %s\n", e.Manual)
	}
	fmt.Fprintf(w, "Documentation: %s\n", e.DocsURL)
	fmt.Fprintln(w, "Then run your command again.")
}

// errQuit is the person quitting the menu (q, Esc, Ctrl+C, or end of input).
var errQuit = errors.New("installer quit")

// selectNumbered is the fallback menu for terminals without ANSI support: a
// number, or q.
func selectNumbered(ctx context.Context, lines *lineReader, w io.Writer, n int) (int, error) {
	for {
		fmt.Fprintf(w, "Select a runtime to install [1-%d], or q to quit: ", n)
		s, err := lines.readLine(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				fmt.Fprintln(w)
				return 0, errQuit
			}
			return 0, err
		}
		switch strings.ToLower(s) {
		case "q", "quit", "exit":
			return 0, errQuit
		}
		if i, err := strconv.Atoi(s); err == nil && i >= 1 && i <= n {
			return i - 1, nil
		}
		fmt.Fprintf(w, "Please enter a number between 1 and %d, or q.\n", n)
	}
}

// confirm asks before running anything on the person's machine. Only y or yes is a yes; n,
// no, q and the end of input are a no; anything else asks again.
func confirm(ctx context.Context, lines *lineReader, w io.Writer) (bool, error) {
	for {
		fmt.Fprint(w, "Run these commands now? [Y]es / [N]o, show me the command: ")
		s, err := lines.readLine(ctx)
		if err != nil {
			if errors.Is(err, io.EOF) {
				fmt.Fprintln(w)
				return false, nil
			}
			return false, err
		}
		switch strings.ToLower(s) {
		case "y", "yes":
			return true, nil
		case "n", "no", "q", "quit":
			return false, nil
		}
		fmt.Fprintln(w, "Please answer y (run the commands) or n (show them and stop).")
	}
}

// lineReader reads one line at a time, only when asked (so it never holds
// back input the program reads after the installer), and gives up when ctx is
// cancelled; the read then in progress is abandoned.
type lineReader struct{ r *bufio.Reader }

func newLineReader(r io.Reader) *lineReader { return &lineReader{r: bufio.NewReader(r)} }

func (l *lineReader) readLine(ctx context.Context) (string, error) {
	type result struct {
		s   string
		err error
	}
	ch := make(chan result, 1)
	go func() {
		s, err := l.r.ReadString('\n')
		ch <- result{s, err}
	}()
	select {
	case <-ctx.Done():
		return "", ctx.Err()
	case r := <-ch:
		if r.err != nil && r.s == "" {
			return "", r.err
		}
		return strings.TrimSpace(r.s), nil
	}
}
