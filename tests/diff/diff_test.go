// Package diff is the differential suite: every scenario in scenarios/ runs
// with docker compose (the peer, built by bench/build-peer.sh) and with
// perry-compose on the same engine, each under its own project name, and
// what a user observes is compared after normalising names, ids and times.
// A divergence fails the suite unless differences.yaml lists it with its
// reason.
//
// By default a sample of 20 scenarios runs, a different one each day (so
// that `go test ./...` and `make test` stay within minutes); DIFF_SAMPLE=N
// changes the size and DIFF_SAMPLE=all runs every scenario (`make
// test-diff`).
// DIFF_PEER names another docker compose binary. Without the peer the
// suite is skipped, saying how to build it, unless DIFF_REQUIRE_PEER=1.
package diff

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mattn/go-shellwords"
	"github.com/moby/moby/client"
)

// defaultSample is how many scenarios a run without DIFF_SAMPLE takes.
const defaultSample = 20

const (
	toolPeer  = "dc" // docker compose
	toolPerry = "pc" // perry-compose
)

var (
	repoRoot  string
	perryBin  string
	peerBin   string
	setupErr  error
	engine    *client.Client
	buildOnce sync.Once
	tmpRoot   string
)

func TestMain(m *testing.M) {
	flag.Parse()
	// Scenarios mostly wait on the engine: run more at once than there are
	// cores, unless -parallel was given. Not many more: Docker 20.10's
	// daemon crashed (a nil dereference in a health probe's exec) with six
	// at once, healthchecks probing every second while projects went down.
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		_ = flag.Set("test.parallel", "3")
	}
	code := m.Run()
	if tmpRoot != "" {
		_ = os.RemoveAll(tmpRoot)
	}
	os.Exit(code)
}

// setup builds perry-compose and finds the peer, once.
func setup(t *testing.T) {
	t.Helper()
	if os.Getenv("PERRY_SKIP_ENGINE_TESTS") == "1" {
		t.Skip("PERRY_SKIP_ENGINE_TESTS=1: the differential suite needs the Docker Engine")
	}
	buildOnce.Do(func() {
		_, file, _, _ := runtime.Caller(0)
		repoRoot = filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
		peerBin = os.Getenv("DIFF_PEER")
		if peerBin == "" {
			peerBin = filepath.Join(repoRoot, "build", "peers", "docker-compose")
		}
		if tmpRoot, setupErr = os.MkdirTemp("", "perry-diff-"); setupErr != nil {
			return
		}
		perryBin = filepath.Join(tmpRoot, "perry-compose")
		cmd := exec.Command("go", "build", "-o", perryBin, "./cmd/perry-compose")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			setupErr = fmt.Errorf("building perry-compose: %v\n%s", err, out)
			return
		}
		engine, setupErr = client.New(client.FromEnv)
	})
	if setupErr != nil {
		t.Fatal(setupErr)
	}
	if _, err := os.Stat(peerBin); err != nil {
		if os.Getenv("DIFF_REQUIRE_PEER") == "1" {
			t.Fatalf("docker compose peer %s missing: run `bash bench/build-peer.sh` (≈10 min, once)", peerBin)
		}
		t.Skipf("docker compose peer %s missing: run `bash bench/build-peer.sh` (≈10 min, once) to run the differential suite", peerBin)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := engine.Ping(ctx, client.PingOptions{}); err != nil {
		t.Fatalf("the Docker Engine does not answer (%v): start it, or set PERRY_SKIP_ENGINE_TESTS=1", err)
	}
}

func TestDiff(t *testing.T) {
	setup(t)
	scenarios, err := loadScenarios("scenarios")
	if err != nil {
		t.Fatal(err)
	}
	conf, err := conformanceScenarios(filepath.Join("..", "testdata", "conformance"))
	if err != nil {
		t.Fatal(err)
	}
	scenarios = append(scenarios, conf...)
	diffs, err := loadDifferences("differences.yaml")
	if err != nil {
		t.Fatal(err)
	}
	full := true
	if v := os.Getenv("DIFF_SAMPLE"); v != "all" {
		n := defaultSample
		if v != "" {
			var err error
			if n, err = strconv.Atoi(v); err != nil || n <= 0 {
				t.Fatalf("DIFF_SAMPLE=%q: give a positive number of scenarios, or all", v)
			}
		}
		scenarios = sample(scenarios, n, time.Now().UTC().Format("2006-01-02"))
		full = false
	}
	if f := flag.Lookup("test.run"); f != nil && strings.Contains(f.Value.String(), "/") {
		full = false
	}
	t.Logf("%d scenarios (peer %s)", len(scenarios), peerBin)
	t.Run("scenarios", func(t *testing.T) {
		for _, sc := range scenarios {
			t.Run(sc.Name, func(t *testing.T) {
				t.Parallel()
				runScenario(t, sc, diffs)
			})
		}
	})
	if full && !t.Failed() {
		for _, d := range diffs.unused() {
			t.Errorf("differences.yaml: entry %s step %d %s matched no divergence: remove it (fixed?)", d.Scenario, d.Step, d.Path)
		}
	}
}

// sample picks n scenarios, a different set each day, always the same on
// one day (a failure can be rerun).
func sample(all []scenario, n int, day string) []scenario {
	if n >= len(all) {
		return all
	}
	key := func(s scenario) uint64 {
		h := sha256.Sum256([]byte(day + "/" + s.Name))
		return binary.BigEndian.Uint64(h[:8])
	}
	out := append([]scenario(nil), all...)
	sort.Slice(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out[:n]
}

// result is what one tool's step showed.
type result struct {
	exit           int
	stdout, stderr []string // normalised lines
	state          state
}

type divergence struct {
	path   string
	dc, pc string
}

// run is one tool's run of a scenario.
type run struct {
	tool    string
	bin     string
	project string
	dir     string
	norm    normalizer
	ids     map[string]string
	// before is the engine's containers before the run, files the
	// scenario's files with every step's rewrites: cleanup finds the
	// run's build leftovers by them (see leftovers_test.go).
	before map[string]bool
	files  []map[string]string
	// prevStart and curStart are when the previous and the current step
	// began: @PREV@ and @NOW@ in a command (events --since/--until).
	prevStart, curStart time.Time
}

func runScenario(t *testing.T, sc scenario, diffs *differences) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	var results [2][]result
	for i, tool := range []string{toolPeer, toolPerry} {
		bin := peerBin
		if tool == toolPerry {
			bin = perryBin
		}
		r := newRun(t, sc, tool, bin)
		results[i] = r.steps(ctx, t, sc)
		// The peer's project is removed before perry-compose starts, so
		// that fixed host ports are free again and the engine's load is
		// the same for both.
		if !sc.configOnly {
			r.cleanup()
		}
	}
	for i, st := range sc.Steps {
		if i >= len(results[0]) || i >= len(results[1]) {
			break
		}
		for _, d := range compareStep(st, results[0][i], results[1][i]) {
			if e := diffs.allowed(sc.Name, i+1, d.path); e != nil {
				t.Logf("%s: %s: listed difference: dc=%q pc=%q (%s)", st.label(i), d.path, d.dc, d.pc, firstLine(e.Reason))
				continue
			}
			t.Errorf("%s: %s diverges:\n  docker compose: %s\n  perry-compose:  %s", st.label(i), d.path, indent(d.dc), indent(d.pc))
		}
	}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func indent(s string) string { return strings.ReplaceAll(s, "\n", "\n                  ") }

// newRun prepares a private directory named after the tool's project (the
// project name then comes from the directory, as for a user) holding the
// scenario's files, and registers the cleanup.
func newRun(t *testing.T, sc scenario, tool, bin string) *run {
	project := "diff-" + sc.Name + "-" + tool
	parent, err := os.MkdirTemp(tmpRoot, "s-") // 0700, unpredictable
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(parent, project)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	r := &run{tool: tool, bin: bin, project: project, dir: dir, norm: normalizer{dir: dir, project: project}, ids: map[string]string{}}
	r.files = append(r.files, sc.Files)
	for _, st := range sc.Steps {
		r.files = append(r.files, st.Write)
	}
	if !sc.configOnly {
		r.cleanup() // leftovers of an interrupted earlier run
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		r.before, err = snapshotContainers(ctx)
		cancel()
		if err != nil {
			t.Fatalf("listing the engine's containers: %v", err)
		}
		t.Cleanup(r.cleanup)
	}
	if err := r.write(sc.Files); err != nil {
		t.Fatal(err)
	}
	return r
}

func (r *run) subst(s string) string { return strings.ReplaceAll(s, "@PROJECT@", r.project) }

func (r *run) write(files map[string]string) error {
	for name, content := range files {
		p := filepath.Join(r.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			return err
		}
		if err := os.WriteFile(p, []byte(r.subst(content)), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// env is the tools' environment: only what they need, so that the
// caller's COMPOSE_* or DOCKER_HOST settings change nothing.
func (r *run) env(extra ...map[string]string) []string {
	env := []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + os.Getenv("HOME"),
		"PERRY_CONTAINER_BACKEND=docker",
		"PERRY_NO_INSTALL_PROMPT=1",
	}
	for _, m := range extra {
		for k, v := range m {
			env = append(env, k+"="+r.subst(v))
		}
	}
	return env
}

// cleanup removes everything of the project: down through the peer, then
// whatever carries its label or, for resources a docker step created,
// its name, and the images built for it (named after the project).
func (r *run) cleanup() {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	anonymous := r.anonymousVolumes(ctx)
	// The tool's own down first (perry-compose also removes its private
	// files for configs and secrets), then the peer's.
	for _, bin := range []string{r.bin, peerBin} {
		cmd := exec.CommandContext(ctx, bin, "-p", r.project, "down", "-v", "--remove-orphans", "-t", "0")
		cmd.Dir = r.dir
		cmd.Env = r.env()
		_ = cmd.Run()
		if bin == peerBin {
			break
		}
	}
	if engine == nil {
		return
	}
	r.removeBuildLeftovers(ctx)
	byLabel := client.Filters{}.Add("label", labelProject+"="+r.project)
	byName := client.Filters{}.Add("name", r.project)
	for _, f := range []client.Filters{byLabel, byName} {
		if cs, err := engine.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f}); err == nil {
			for _, c := range cs.Items {
				_, _ = engine.ContainerRemove(ctx, c.ID, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
			}
		}
	}
	for _, f := range []client.Filters{byLabel, byName} {
		if ns, err := engine.NetworkList(ctx, client.NetworkListOptions{Filters: f}); err == nil {
			for _, n := range ns.Items {
				_, _ = engine.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{})
			}
		}
		if vs, err := engine.VolumeList(ctx, client.VolumeListOptions{Filters: f}); err == nil {
			for _, v := range vs.Items {
				_, _ = engine.VolumeRemove(ctx, v.Name, client.VolumeRemoveOptions{Force: true})
			}
		}
	}
	// Anonymous volumes the project's containers held and a down left:
	// docker compose v5.6.0's `down -v` leaves a volumes_from source's
	// anonymous volume, which the dependent still held when the source went.
	for _, v := range anonymous {
		_, _ = engine.VolumeRemove(ctx, v, client.VolumeRemoveOptions{Force: true})
	}
	// By tag, never by id: a build that changes nothing has the id of its
	// base image (perry-test/busybox), which must survive.
	images := client.Filters{}.Add("reference", r.project+"*", r.project+"*:*")
	if is, err := engine.ImageList(ctx, client.ImageListOptions{Filters: images}); err == nil {
		for _, i := range is.Items {
			for _, tag := range i.RepoTags {
				if strings.HasPrefix(tag, r.project) {
					_, _ = engine.ImageRemove(ctx, tag, client.ImageRemoveOptions{PruneChildren: true})
				}
			}
		}
	}
}

// anonymousVolumes lists the anonymous volumes (named by 64 hex digits,
// as the engine names them) mounted by the project's containers.
func (r *run) anonymousVolumes(ctx context.Context) []string {
	if engine == nil {
		return nil
	}
	cs, err := engine.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: client.Filters{}.Add("label", labelProject+"="+r.project)})
	if err != nil {
		return nil
	}
	var out []string
	for _, c := range cs.Items {
		for _, m := range c.Mounts {
			if m.Type == "volume" && anonymousName.MatchString(m.Name) {
				out = append(out, m.Name)
			}
		}
	}
	return out
}

var anonymousName = regexp.MustCompile(`^[0-9a-f]{64}$`)

// steps runs the scenario's steps; a step that cannot run (not a tool's
// failure, the harness's) ends the test.
func (r *run) steps(ctx context.Context, t *testing.T, sc scenario) []result {
	var out []result
	for i, st := range sc.Steps {
		r.prevStart, r.curStart = r.curStart, time.Now()
		if err := r.write(st.Write); err != nil {
			t.Fatalf("%s: %v", st.label(i), err)
		}
		for _, f := range st.Remove {
			if err := os.Remove(filepath.Join(r.dir, filepath.FromSlash(f))); err != nil {
				t.Fatalf("%s: %v", st.label(i), err)
			}
		}
		var res result
		switch {
		case st.Cmd != "":
			res = r.command(ctx, t, sc, st, i)
		case st.Docker != "":
			args, err := shellwords.Parse(r.subst(st.Docker))
			if err != nil {
				t.Fatalf("%s: %v", st.label(i), err)
			}
			cmd := exec.CommandContext(ctx, "docker", args...)
			cmd.Env = r.env()
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%s (%s): %v\n%s", st.label(i), r.tool, err, out)
			}
		case st.Wait != nil:
			res.exit = 0
			if err := r.waitFor(ctx, st.Wait); err != nil {
				res.exit = 1
				res.stderr = []string{err.Error()}
			}
		}
		if hasCheck(st, "state") {
			s, ids, err := observe(ctx, engine, r.norm, r.ids)
			if err != nil {
				t.Fatalf("%s: observing the engine: %v", st.label(i), err)
			}
			res.state, r.ids = s, ids
		}
		out = append(out, res)
	}
	return out
}

func hasCheck(st step, name string) bool {
	for _, c := range st.checks() {
		if c == name {
			return true
		}
	}
	return false
}

func (r *run) command(ctx context.Context, t *testing.T, sc scenario, st step, i int) result {
	unix := func(t time.Time) string { return fmt.Sprintf("%d.%09d", t.Unix(), t.Nanosecond()) }
	line := strings.NewReplacer("@PREV@", unix(r.prevStart), "@NOW@", unix(time.Now())).Replace(r.subst(st.Cmd))
	args, err := shellwords.Parse(line)
	if err != nil {
		t.Fatalf("%s: %v", st.label(i), err)
	}
	timeout := time.Duration(st.Timeout) * time.Second
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	cctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(cctx, r.bin, args...)
	cmd.Dir = r.dir
	cmd.Env = r.env(sc.Env, st.Env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	res := result{stdout: r.lines(stdout.String()), stderr: r.lines(stderr.String())}
	var ee *exec.ExitError
	switch {
	case cctx.Err() != nil:
		res.exit = -1
		res.stderr = append(res.stderr, fmt.Sprintf("timed out after %s", timeout))
	case errors.As(err, &ee):
		res.exit = ee.ExitCode()
	case err != nil:
		t.Fatalf("%s: running %s: %v", st.label(i), r.bin, err)
	}
	if testing.Verbose() {
		t.Logf("%s %s: exit %d\nstdout:\n%s\nstderr:\n%s", r.tool, st.label(i), res.exit, stdout.String(), stderr.String())
	}
	return res
}

func (r *run) lines(s string) []string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return nil
	}
	var out []string
	for _, l := range strings.Split(s, "\n") {
		// Table columns are as wide as their longest cell, which a
		// normalised time no longer shows: compare cells, not padding.
		// Terminal control sequences (docker compose erases the line before
		// a status line, even when not on a terminal) are not text.
		l = ansi.ReplaceAllString(strings.ReplaceAll(l, "\r", ""), "")
		l = columnGap.ReplaceAllString(r.norm.s(l), "  ")
		out = append(out, strings.TrimRight(l, " \r"))
	}
	return out
}

var (
	columnGap = regexp.MustCompile(` {2,}`)
	ansi      = regexp.MustCompile("\x1b\\[[0-9;?]*[A-Za-z]")
)

// waitFor polls the engine until a container of the service reaches the
// state, or the timeout.
func (r *run) waitFor(ctx context.Context, w *wait) error {
	timeout := time.Duration(w.Timeout) * time.Second
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	f := client.Filters{}.Add("label", labelProject+"="+r.project, labelService+"="+w.Service)
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		list, err := engine.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
		if err == nil {
			for _, c := range list.Items {
				res, err := engine.ContainerInspect(ctx, c.ID, client.ContainerInspectOptions{})
				if err != nil || res.Container.State == nil {
					continue
				}
				s := res.Container.State
				if string(s.Status) == w.State || (s.Health != nil && string(s.Health.Status) == w.State) {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("service %s did not become %s within %s", w.Service, w.State, timeout)
		case <-tick.C:
		}
	}
}

// compareStep lists the divergences of one step.
func compareStep(st step, dc, pc result) []divergence {
	var out []divergence
	for _, c := range st.checks() {
		switch c {
		case "exit":
			if dc.exit != pc.exit {
				out = append(out, divergence{path: "exit", dc: fmt.Sprintf("%d (stderr: %s)", dc.exit, tail(dc.stderr)), pc: fmt.Sprintf("%d (stderr: %s)", pc.exit, tail(pc.stderr))})
			}
		case "stdout":
			out = append(out, compareLines("stdout", dc.stdout, pc.stdout)...)
		case "stdout_sorted":
			out = append(out, compareLines("stdout", sorted(dc.stdout), sorted(pc.stdout))...)
		case "messages":
			out = append(out, compareLines("messages", messages(dc.stderr), messages(pc.stderr))...)
		case "json":
			out = append(out, compareJSON(st.Keys, dc.stdout, pc.stdout)...)
		case "state":
			out = append(out, compareStates(dc.state, pc.state)...)
		}
	}
	for _, pat := range st.Lines {
		re := regexp.MustCompile(pat)
		// What a script's grep sees: each matching line from the match to
		// its end (what precedes it, a progress decoration or an "Error: "
		// prefix, is each tool's own), once.
		pick := func(r result) []string {
			seen := map[string]bool{}
			var l []string
			for _, s := range append(append([]string{}, r.stdout...), r.stderr...) {
				if loc := re.FindStringIndex(s); loc != nil {
					tail := strings.TrimSpace(s[loc[0]:])
					if !seen[tail] {
						seen[tail] = true
						l = append(l, tail)
					}
				}
			}
			sort.Strings(l)
			return l
		}
		out = append(out, compareLines("lines["+pat+"]", pick(dc), pick(pc))...)
	}
	return out
}

func tail(lines []string) string {
	if len(lines) == 0 {
		return "(none)"
	}
	return lines[len(lines)-1]
}

func sorted(l []string) []string {
	l = append([]string(nil), l...)
	sort.Strings(l)
	return l
}

func compareLines(path string, dc, pc []string) []divergence {
	if strings.Join(dc, "\n") == strings.Join(pc, "\n") {
		return nil
	}
	return []divergence{{path: path, dc: strings.Join(dc, "\n"), pc: strings.Join(pc, "\n")}}
}

// progressLine matches the progress display's lines (resources and their
// status, build output), which each tool words its own way; the other
// lines of stderr are the messages users read.
var progressLine = regexp.MustCompile(`^\s*(\[\+\]|#\d+|[✔✘⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]|(Container|Network|Volume|Image|Service)\s+\S+\s+(Creat|Start|Stop|Remov|Recreat|Runn|Wait|Health|Kill|Restart|Pull|Built|Build|Exit|Skipp|Error|Warn|Found|Delet|Renam|Interrupt|Conflict|Unhealthy|Healthy|Wait)\w*)`)

func messages(stderr []string) []string {
	var out []string
	for _, l := range stderr {
		if progressLine.MatchString(l) || strings.TrimSpace(l) == "" {
			continue
		}
		out = append(out, strings.TrimSpace(l))
	}
	return out
}
