package installer

import (
	"bytes"
	"context"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perryts/perry-container/core"
)

// Representative /etc/os-release files.
const (
	osUbuntu = `PRETTY_NAME="Ubuntu 24.04 LTS"
NAME="Ubuntu"
VERSION_ID="24.04"
ID=ubuntu
ID_LIKE=debian
`
	osDebian = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\n"
	osMint   = "NAME=\"Linux Mint\"\nID=linuxmint\nID_LIKE=\"ubuntu debian\"\n"
	osPopOS  = "ID=pop-custom\nID_LIKE=\"ubuntu debian\"\n"
	osFedora = "NAME=\"Fedora Linux\"\nID=fedora\nVERSION_ID=40\n"
	osRHEL   = "NAME=\"Red Hat Enterprise Linux\"\nID=\"rhel\"\nID_LIKE=\"fedora\"\n"
	osRocky  = "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\n"
	osArch   = "NAME=\"Arch Linux\"\nID=arch\n"
	osAlpine = "ID=alpine\n"
)

type row struct{ name, desc, cmd, docs string }

func rows(menu []Entry) []row {
	out := make([]row, len(menu))
	for i, e := range menu {
		out[i] = row{e.Name, e.Description, e.Command(), e.DocsURL}
	}
	return out
}

var (
	wantMacOS = []row{
		{"apple/container", "Apple's native container runtime (recommended)", "brew install container", "https://github.com/apple/container"},
		{"orbstack", "Fast macOS VM with Docker-compatible API", "brew install --cask orbstack", "https://orbstack.dev"},
		{"colima", "Lightweight macOS container runtime", "brew install colima", "https://github.com/abiosoft/colima"},
		{"podman", "Daemonless, rootless OCI runtime", "brew install podman && podman machine init && podman machine start", "https://podman.io"},
		{"docker", "Docker Desktop for Mac", "brew install --cask docker", "https://docs.docker.com/desktop/mac"},
	}
	linuxTail = []row{
		{"nerdctl", "containerd CLI wrapper", "brew install nerdctl", "https://github.com/containerd/nerdctl"},
		{"docker", "Docker Engine", "curl -fsSL https://get.docker.com | sh", "https://docs.docker.com/engine/install/"},
	}
	wantDebian = append([]row{
		{"podman", "Daemonless, rootless OCI runtime (recommended)", "sudo apt-get install -y podman", "https://podman.io/getting-started/installation"},
	}, linuxTail...)
	wantFedora = append([]row{
		{"podman", "Daemonless, rootless OCI runtime (recommended)", "sudo dnf install -y podman", "https://podman.io/getting-started/installation"},
	}, linuxTail...)
	wantLinux = append([]row{
		{"podman", "Daemonless, rootless OCI runtime (recommended)",
			"sudo apt-get install -y podman (Debian/Ubuntu) or sudo dnf install -y podman (Fedora/RHEL), or your distribution's package manager",
			"https://podman.io/getting-started/installation"},
	}, linuxTail...)
	wantWindows = []row{
		{"podman", "Daemonless, rootless OCI runtime (recommended)", "winget install RedHat.Podman", "https://podman.io/getting-started/installation"},
		{"docker", "Docker Desktop for Windows", "winget install Docker.DockerDesktop", "https://docs.docker.com/desktop/windows"},
	}
)

func TestMenuPerPlatform(t *testing.T) {
	cases := []struct {
		goos, osRelease string
		platform        Platform
		want            []row
	}{
		{"darwin", "", PlatformMacOS, wantMacOS},
		{"ios", "", PlatformMacOS, wantMacOS},
		{"darwin", osFedora, PlatformMacOS, wantMacOS}, // os-release is ignored off Linux
		{"linux", osUbuntu, PlatformDebian, wantDebian},
		{"linux", osDebian, PlatformDebian, wantDebian},
		{"linux", osMint, PlatformDebian, wantDebian},
		{"linux", osPopOS, PlatformDebian, wantDebian},
		{"linux", osFedora, PlatformFedora, wantFedora},
		{"linux", osRHEL, PlatformFedora, wantFedora},
		{"linux", osRocky, PlatformFedora, wantFedora},
		{"linux", osArch, PlatformLinux, wantLinux},
		{"linux", osAlpine, PlatformLinux, wantLinux},
		{"linux", "", PlatformLinux, wantLinux},
		{"freebsd", "", PlatformLinux, wantLinux},
		{"windows", "", PlatformWindows, wantWindows},
	}
	for _, c := range cases {
		if got := DetectPlatform(c.goos, c.osRelease); got != c.platform {
			t.Errorf("DetectPlatform(%s, %.20q) = %s, want %s", c.goos, c.osRelease, got, c.platform)
		}
		if got := rows(Menu(c.goos, c.osRelease)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("Menu(%s, %.20q):\n got %q\nwant %q", c.goos, c.osRelease, got, c.want)
		}
	}
}

func TestMenuArgvs(t *testing.T) {
	m := Menu("darwin", "")
	want := [][]string{{"brew", "install", "podman"}, {"podman", "machine", "init"}, {"podman", "machine", "start"}}
	if !reflect.DeepEqual(m[3].Commands, want) {
		t.Errorf("macOS podman steps = %q", m[3].Commands)
	}
	d := Menu("linux", osUbuntu)
	if want := [][]string{{"sh", "-c", "curl -fsSL https://get.docker.com | sh"}}; !reflect.DeepEqual(d[2].Commands, want) {
		t.Errorf("linux docker steps = %q", d[2].Commands)
	}
	if d[1].Note != "or see docs" {
		t.Errorf("nerdctl note = %q", d[1].Note)
	}
	if Menu("linux", osArch)[0].Automatic() {
		t.Error("podman on an unknown distribution must be manual-only")
	}
	// Menu returns copies: changing one does not change the table.
	d[0].Commands[0][0] = "rm"
	if Menu("linux", osUbuntu)[0].Commands[0][0] != "sudo" {
		t.Error("Menu shares its slices with the table")
	}
}

func TestParseOSRelease(t *testing.T) {
	got := ParseOSRelease("# c\nID=\"rhel\"\nNAME='X Y'\n\nVERSION=\"1 \\\"q\\\"\"\nBAD\nID_LIKE=fedora\n")
	want := map[string]string{"ID": "rhel", "NAME": "X Y", "VERSION": `1 "q"`, "ID_LIKE": "fedora"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q", got)
	}
}

func TestDisplayArgv(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want string
	}{
		{[]string{"brew", "install", "--cask", "orbstack"}, "brew install --cask orbstack"},
		{[]string{"sh", "-c", "curl -fsSL https://get.docker.com | sh"}, "curl -fsSL https://get.docker.com | sh"},
		{[]string{"echo", "a b", "it's", ""}, `echo 'a b' 'it'\''s' ''`},
	} {
		if got := DisplayArgv(c.argv); got != c.want {
			t.Errorf("DisplayArgv(%q) = %q, want %q", c.argv, got, c.want)
		}
	}
}

func TestHint(t *testing.T) {
	cases := []struct{ goos, osr, want string }{
		{"darwin", "", "Hint: Install apple/container for macOS: `brew install container`. See: https://github.com/apple/container"},
		{"ios", "", "Hint: Install apple/container for macOS: `brew install container`. See: https://github.com/apple/container"},
		{"linux", osUbuntu, "Hint: Install podman for Linux (Debian/Ubuntu): `sudo apt-get install -y podman`. See: https://podman.io/getting-started/installation"},
		{"linux", osFedora, "Hint: Install podman for Linux (Fedora/RHEL): `sudo dnf install -y podman`. See: https://podman.io/getting-started/installation"},
		{"linux", osArch, "Hint: Install podman for Linux: sudo apt-get install -y podman (Debian/Ubuntu) or sudo dnf install -y podman (Fedora/RHEL), or your distribution's package manager. See: https://podman.io/getting-started/installation"},
		{"windows", "", "Hint: Install podman for Windows: `winget install RedHat.Podman`. See: https://podman.io/getting-started/installation"},
	}
	for _, c := range cases {
		if got := Hint(c.goos, c.osr); got != c.want {
			t.Errorf("Hint(%s):\n got %q\nwant %q", c.goos, got, c.want)
		}
	}
	if got := (Table{}).Hint("windows", ""); !strings.HasPrefix(got, "Hint: install a container runtime") {
		t.Errorf("empty table hint = %q", got)
	}
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestShouldPrompt(t *testing.T) {
	cases := []struct {
		tty  bool
		env  map[string]string
		want bool
	}{
		{true, nil, true},
		{false, nil, false},
		{true, map[string]string{"PERRY_NO_INSTALL_PROMPT": "1"}, false},
		{false, map[string]string{"PERRY_NO_INSTALL_PROMPT": "1"}, false},
		{true, map[string]string{"PERRY_NO_INSTALL_PROMPT": "0"}, true},
		{true, map[string]string{"PERRY_NO_INSTALL_PROMPT": ""}, true},
		{true, map[string]string{"CI": "true"}, false},
		{true, map[string]string{"CI": "1"}, false},
		{true, map[string]string{"CI": "woodpecker"}, false},
		{true, map[string]string{"CI": "false"}, true},
		{true, map[string]string{"CI": "0"}, true},
		{true, map[string]string{"CI": ""}, true},
		{false, map[string]string{"CI": "true"}, false},
		{true, map[string]string{"CI": "true", "PERRY_NO_INSTALL_PROMPT": "1"}, false},
	}
	for _, c := range cases {
		env := Env{StderrIsTTY: c.tty, Getenv: envMap(c.env)}
		if got := ShouldPrompt(env); got != c.want {
			t.Errorf("ShouldPrompt(tty=%v, %v) = %v, want %v", c.tty, c.env, got, c.want)
		}
	}
}

func TestANSICapable(t *testing.T) {
	cases := []struct {
		tty  bool
		goos string
		env  map[string]string
		want bool
	}{
		{true, "linux", map[string]string{"TERM": "xterm-256color"}, true},
		{false, "linux", map[string]string{"TERM": "xterm-256color"}, false},
		{true, "linux", map[string]string{"TERM": "dumb"}, false},
		{true, "linux", map[string]string{}, false},
		{true, "windows", map[string]string{}, true},
		{true, "windows", map[string]string{"TERM": "dumb"}, false},
		{true, "linux", map[string]string{"TERM": "xterm", "NO_COLOR": "1"}, false},
	}
	for _, c := range cases {
		if got := ANSICapable(Env{StderrIsTTY: c.tty, GOOS: c.goos, Getenv: envMap(c.env)}); got != c.want {
			t.Errorf("ANSICapable(%v, %s, %v) = %v", c.tty, c.goos, c.env, got)
		}
	}
}

// fakeRunner records every argv and fails the ones listed in fail.
type fakeRunner struct {
	mu    sync.Mutex
	calls [][]string
	fail  map[string]error // DisplayArgv(argv) → error
	out   string           // written to stdout on each call
}

func (f *fakeRunner) run(_ context.Context, argv []string, _ io.Reader, stdout, stderr io.Writer) error {
	f.mu.Lock()
	f.calls = append(f.calls, append([]string(nil), argv...))
	f.mu.Unlock()
	if f.out != "" {
		io.WriteString(stdout, f.out)
	}
	if err := f.fail[DisplayArgv(argv)]; err != nil {
		io.WriteString(stderr, "E: boom\n")
		return err
	}
	return nil
}

func (f *fakeRunner) got() [][]string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

type harness struct {
	env       Env
	stdout    *bytes.Buffer
	stderr    *bytes.Buffer
	runner    *fakeRunner
	redetects int
	redetErr  error
}

// newHarness is a terminal at stderr whose stdin is not a terminal, so the
// numbered prompt reads input; term is the TERM value.
func newHarness(goos, osRelease, input, term string) *harness {
	h := &harness{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}, runner: &fakeRunner{}}
	h.env = Env{
		Stdin:       strings.NewReader(input),
		Stdout:      h.stdout,
		Stderr:      h.stderr,
		StderrIsTTY: true,
		GOOS:        goos,
		OSRelease:   func() (string, error) { return osRelease, nil },
		Getenv:      envMap(map[string]string{"TERM": term}),
		Runner:      h.runner.run,
	}
	return h
}

func (h *harness) offer(t *testing.T) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return Offer(ctx, h.env, func(context.Context) error {
		h.redetects++
		return h.redetErr
	})
}

func isNoBackendFound(err error) bool {
	return err != nil && core.KindOf(err) == core.KindNoBackendFound && errors.Is(err, core.ErrNoBackendFound)
}

func TestNumberedChooseSecondAndConfirm(t *testing.T) {
	h := newHarness("darwin", "", "2\ny\n", "dumb")
	h.runner.out = "==> Installing orbstack\n"
	if err := h.offer(t); err != nil {
		t.Fatalf("Offer: %v\n%s", err, h.stderr)
	}
	if want := [][]string{{"brew", "install", "--cask", "orbstack"}}; !reflect.DeepEqual(h.runner.got(), want) {
		t.Errorf("ran %q, want %q", h.runner.got(), want)
	}
	if h.redetects != 1 {
		t.Errorf("redetect called %d times", h.redetects)
	}
	out := h.stderr.String()
	for _, s := range []string{
		"Perry needs a container runtime to continue. No container runtime was found on this system.",
		"Set PERRY_NO_INSTALL_PROMPT=1 to silence the interactive installer prompt.",
		"Supported container runtimes for macOS, in order of preference:",
		"  1. apple/container — Apple's native container runtime (recommended)\n     Install: brew install container\n     Docs:    https://github.com/apple/container\n",
		"  2. orbstack — Fast macOS VM with Docker-compatible API\n     Install: brew install --cask orbstack\n     Docs:    https://orbstack.dev\n",
		"Select a runtime to install [1-5], or q to quit: ",
		"Selected: orbstack",
		"  $ brew install --cask orbstack\n",
		"[Y]es / [N]o, show me the command",
		"✓ orbstack is installed and ready; continuing.",
	} {
		if !strings.Contains(out, s) {
			t.Errorf("stderr lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Errorf("TERM=dumb output has escape codes:\n%q", out)
	}
	if h.stdout.String() != "==> Installing orbstack\n" {
		t.Errorf("install stdout = %q", h.stdout)
	}
	// The menu comes before the prompt, the commands before the question.
	if strings.Index(out, "5. docker") > strings.Index(out, "Select a runtime") ||
		strings.Index(out, "$ brew install --cask orbstack") > strings.Index(out, "[Y]es") {
		t.Errorf("output out of order:\n%s", out)
	}
}

func TestNumberedMultiStepAndRetries(t *testing.T) {
	h := newHarness("darwin", "", "9\nabc\n\n4\nmaybe\n\nYES\n", "dumb")
	if err := h.offer(t); err != nil {
		t.Fatalf("Offer: %v\n%s", err, h.stderr)
	}
	want := [][]string{{"brew", "install", "podman"}, {"podman", "machine", "init"}, {"podman", "machine", "start"}}
	if !reflect.DeepEqual(h.runner.got(), want) {
		t.Errorf("ran %q", h.runner.got())
	}
	out := h.stderr.String()
	if n := strings.Count(out, "Please enter a number between 1 and 5, or q."); n != 3 {
		t.Errorf("%d re-prompts for the number:\n%s", n, out)
	}
	if n := strings.Count(out, "Please answer y"); n != 2 {
		t.Errorf("%d re-prompts for the confirmation (empty is not yes):\n%s", n, out)
	}
}

func TestLinuxDistroCommandRun(t *testing.T) {
	for _, c := range []struct {
		osr, in string
		want    []string
	}{
		{osUbuntu, "1\ny\n", []string{"sudo", "apt-get", "install", "-y", "podman"}},
		{osFedora, "1\ny\n", []string{"sudo", "dnf", "install", "-y", "podman"}},
		{osDebian, "3\ny\n", []string{"sh", "-c", "curl -fsSL https://get.docker.com | sh"}},
	} {
		h := newHarness("linux", c.osr, c.in, "dumb")
		if err := h.offer(t); err != nil {
			t.Fatalf("Offer: %v", err)
		}
		if got := h.runner.got(); len(got) != 1 || !reflect.DeepEqual(got[0], c.want) {
			t.Errorf("ran %q, want %q", got, c.want)
		}
	}
	h := newHarness("windows", "", "2\ny\n", "dumb")
	if err := h.offer(t); err != nil {
		t.Fatal(err)
	}
	if want := [][]string{{"winget", "install", "Docker.DockerDesktop"}}; !reflect.DeepEqual(h.runner.got(), want) {
		t.Errorf("windows ran %q", h.runner.got())
	}
}

func TestDeclineShowsInstructions(t *testing.T) {
	for _, answer := range []string{"n\n", "No\n", "q\n", ""} { // "" is the end of input
		h := newHarness("linux", osUbuntu, "1\n"+answer, "dumb")
		err := h.offer(t)
		if !isNoBackendFound(err) {
			t.Fatalf("answer %q: err = %v, want NoBackendFound", answer, err)
		}
		if len(h.runner.got()) != 0 || h.redetects != 0 {
			t.Errorf("answer %q: ran %q, redetected %d times", answer, h.runner.got(), h.redetects)
		}
		out := h.stderr.String()
		for _, s := range []string{
			"To install podman yourself:\n  $ sudo apt-get install -y podman\nDocumentation: https://podman.io/getting-started/installation\n",
			"Error: no container runtime installed: installation of podman declined",
		} {
			if !strings.Contains(out, s) {
				t.Errorf("answer %q: stderr lacks %q:\n%s", answer, s, out)
			}
		}
		e := core.AsError(err)
		if e.Details["backend"] != "podman" || e.Details["install"] != "sudo apt-get install -y podman" {
			t.Errorf("details = %v", e.Details)
		}
		if e.Code() != 503 {
			t.Errorf("code = %d", e.Code())
		}
	}
}

func TestFailedInstall(t *testing.T) {
	h := newHarness("darwin", "", "4\ny\n", "xterm-256color")
	cause := errors.New("exit status 1")
	h.runner.fail = map[string]error{"podman machine init": cause}
	err := h.offer(t)
	if !isNoBackendFound(err) || !errors.Is(err, cause) {
		t.Fatalf("err = %v, want NoBackendFound wrapping the cause", err)
	}
	// The failing step stops the installation; nothing is re-detected.
	if want := [][]string{{"brew", "install", "podman"}, {"podman", "machine", "init"}}; !reflect.DeepEqual(h.runner.got(), want) {
		t.Errorf("ran %q", h.runner.got())
	}
	if h.redetects != 0 {
		t.Errorf("redetected after a failure")
	}
	out := h.stderr.String()
	if !strings.Contains(out, sgrRed+"Error: installing podman failed: `podman machine init`: exit status 1"+sgrReset) {
		t.Errorf("no red error:\n%q", out)
	}
	if !strings.Contains(out, "E: boom\n") {
		t.Errorf("command stderr not streamed:\n%q", out)
	}
	if !strings.Contains(out, "To install "+sgrBold+"podman"+sgrReset+" yourself:") {
		t.Errorf("no manual instructions:\n%q", out)
	}
}

func TestRedetectFails(t *testing.T) {
	h := newHarness("darwin", "", "5\ny\n", "dumb")
	h.redetErr = core.Errorf(core.KindNoBackendFound, "no container runtime found\n  - docker: not running")
	err := h.offer(t)
	if !isNoBackendFound(err) || !errors.Is(err, h.redetErr) {
		t.Fatalf("err = %v", err)
	}
	if h.redetects != 1 {
		t.Errorf("redetects = %d", h.redetects)
	}
	out := h.stderr.String()
	if !strings.Contains(out, "Error: docker was installed but no container runtime was detected (it may need to be started): no container runtime found\n") {
		t.Errorf("stderr:\n%s", out)
	}
	if strings.Contains(out, "✓") {
		t.Errorf("success printed after a failed re-detection")
	}
}

func TestQuit(t *testing.T) {
	for _, in := range []string{"q\n", "Q\n", ""} {
		h := newHarness("windows", "", in, "dumb")
		err := h.offer(t)
		if !isNoBackendFound(err) {
			t.Fatalf("input %q: err = %v", in, err)
		}
		if len(h.runner.got()) != 0 || h.redetects != 0 {
			t.Errorf("input %q: something ran", in)
		}
		out := h.stderr.String()
		if strings.Contains(out, "[Y]es") {
			t.Errorf("input %q: confirmation asked after quit", in)
		}
		if !strings.Contains(out, "Hint: Install podman for Windows: `winget install RedHat.Podman`") ||
			!strings.Contains(out, "Error: no container runtime installed: the installer was quit") {
			t.Errorf("input %q: stderr:\n%s", in, out)
		}
	}
}

func TestManualOnlyEntry(t *testing.T) {
	h := newHarness("linux", osArch, "1\n", "dumb")
	err := h.offer(t)
	if !isNoBackendFound(err) {
		t.Fatalf("err = %v", err)
	}
	if len(h.runner.got()) != 0 {
		t.Errorf("ran %q", h.runner.got())
	}
	out := h.stderr.String()
	if strings.Contains(out, "[Y]es") || !strings.Contains(out, "podman cannot be installed automatically on Linux.") ||
		!strings.Contains(out, "  sudo apt-get install -y podman (Debian/Ubuntu) or sudo dnf install -y podman (Fedora/RHEL)") {
		t.Errorf("stderr:\n%s", out)
	}
}

func TestColours(t *testing.T) {
	h := newHarness("linux", osUbuntu, "2\ny\n", "xterm-256color")
	if err := h.offer(t); err != nil {
		t.Fatal(err)
	}
	out := h.stderr.String()
	for _, s := range []string{
		"1. " + sgrBold + "podman" + sgrReset + " — Daemonless",
		"Install: " + sgrCyan + "sudo apt-get install -y podman" + sgrReset + "\n",
		"Install: " + sgrCyan + "brew install nerdctl" + sgrReset + " or see docs\n",
		"  $ " + sgrCyan + "brew install nerdctl" + sgrReset + "\n",
		sgrGreen + "✓ nerdctl is installed and ready; continuing." + sgrReset,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("coloured output lacks %q:\n%q", s, out)
		}
	}
	// No colour: TERM=dumb, NO_COLOR, stderr not a terminal.
	for _, mod := range []func(*harness){
		func(h *harness) { h.env.Getenv = envMap(map[string]string{"TERM": "dumb"}) },
		func(h *harness) { h.env.Getenv = envMap(map[string]string{"TERM": "xterm", "NO_COLOR": "1"}) },
		func(h *harness) { h.env.StderrIsTTY = false },
	} {
		h := newHarness("linux", osUbuntu, "2\nn\n", "xterm")
		mod(h)
		_ = h.offer(t)
		if strings.Contains(h.stderr.String(), "\x1b[") {
			t.Errorf("escape codes without ANSI support:\n%q", h.stderr)
		}
	}
}

func TestInjectedTableWithExecRunner(t *testing.T) {
	h := newHarness("linux", osFedora, "1\ny\n", "dumb")
	h.env.Runner = nil // the real ExecRunner
	h.env.Table = Table{PlatformFedora: {{
		Name: "fakeruntime", Description: "test runtime", DocsURL: "https://example.invalid",
		Commands: [][]string{{"sh", "-c", "echo installed fakeruntime; echo warn >&2"}, {"true"}},
	}}}
	if err := h.offer(t); err != nil {
		t.Fatalf("Offer: %v\n%s", err, h.stderr)
	}
	if h.stdout.String() != "installed fakeruntime\n" || !strings.Contains(h.stderr.String(), "warn\n") {
		t.Errorf("stdout %q stderr %q", h.stdout, h.stderr)
	}
	if h.redetects != 1 {
		t.Errorf("redetects = %d", h.redetects)
	}

	h = newHarness("linux", osFedora, "1\ny\n", "dumb")
	h.env.Runner = nil
	h.env.Table = Table{PlatformFedora: {{Name: "broken", DocsURL: "https://example.invalid",
		Commands: [][]string{{"sh", "-c", "exit 3"}, {"echo", "never"}}}}}
	err := h.offer(t)
	if !isNoBackendFound(err) || !strings.Contains(err.Error(), "exit status 3") {
		t.Fatalf("err = %v", err)
	}
	if strings.Contains(h.stdout.String(), "never") || h.redetects != 0 {
		t.Errorf("continued after a failed step")
	}

	h = newHarness("linux", osFedora, "", "dumb")
	h.env.Table = Table{}
	if err := h.offer(t); !isNoBackendFound(err) {
		t.Errorf("empty table: err = %v", err)
	}
}

func TestExecRunnerEmptyArgv(t *testing.T) {
	if err := ExecRunner(context.Background(), nil, nil, io.Discard, io.Discard); err == nil {
		t.Error("empty argv ran")
	}
}

func TestNilRedetect(t *testing.T) {
	h := newHarness("windows", "", "1\ny\n", "dumb")
	if err := Offer(context.Background(), h.env, nil); err != nil {
		t.Fatal(err)
	}
	if len(h.runner.got()) != 1 {
		t.Errorf("ran %q", h.runner.got())
	}
}

// firstRead closes reading when r is first read.
type firstRead struct {
	r       io.Reader
	once    sync.Once
	reading chan struct{}
}

func (f *firstRead) Read(p []byte) (int, error) {
	f.once.Do(func() { close(f.reading) })
	return f.r.Read(p)
}

func TestCancelledWhilePrompting(t *testing.T) {
	pr, pw := io.Pipe()
	defer pw.Close()
	h := newHarness("linux", osUbuntu, "", "dumb")
	// Cancelled once Offer reads the answer: it is then prompting.
	in := &firstRead{r: pr, reading: make(chan struct{})}
	h.env.Stdin = in
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- Offer(ctx, h.env, nil) }()
	select {
	case <-in.reading:
	case <-time.After(10 * time.Second):
		t.Fatal("Offer never read the answer")
	}
	cancel()
	select {
	case err := <-done:
		if core.KindOf(err) != core.KindCancelled {
			t.Errorf("err = %v (%s)", err, core.KindOf(err))
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Offer ignored cancellation")
	}
	if len(h.runner.got()) != 0 {
		t.Error("something ran")
	}
}

func TestMaybeOffer(t *testing.T) {
	other := core.Errorf(core.KindBackendNotAvailable, "podman not available")
	nbf := core.Errorf(core.KindNoBackendFound, "no container runtime found")

	h := newHarness("windows", "", "1\ny\n", "dumb")
	if err := MaybeOffer(context.Background(), h.env, nil, nil); err != nil {
		t.Errorf("nil err: %v", err)
	}
	if err := MaybeOffer(context.Background(), h.env, other, nil); err != other {
		t.Errorf("other kind: %v", err)
	}
	if len(h.runner.got()) != 0 || h.stderr.Len() != 0 {
		t.Error("offered for a non-NoBackendFound error")
	}

	for _, mod := range []func(*harness){
		func(h *harness) { h.env.StderrIsTTY = false },
		func(h *harness) { h.env.Getenv = envMap(map[string]string{"PERRY_NO_INSTALL_PROMPT": "1"}) },
		func(h *harness) { h.env.Getenv = envMap(map[string]string{"CI": "true"}) },
	} {
		h := newHarness("windows", "", "1\ny\n", "dumb")
		mod(h)
		if err := MaybeOffer(context.Background(), h.env, nbf, nil); err != nbf {
			t.Errorf("not prompting: err = %v", err)
		}
		if len(h.runner.got()) != 0 || h.stderr.Len() != 0 {
			t.Error("prompted although ShouldPrompt is false")
		}
	}

	h = newHarness("windows", "", "1\ny\n", "dumb")
	called := false
	if err := MaybeOffer(context.Background(), h.env, nbf, func(context.Context) error { called = true; return nil }); err != nil || !called {
		t.Errorf("prompting: err = %v, redetect called = %v", err, called)
	}
}
