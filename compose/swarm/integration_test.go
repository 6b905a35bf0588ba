package swarm

// Integration tests on a real single-node swarm (internal/testenv
// RequireSwarm). Measured on the machines these run on: services, health,
// secrets, attachable overlay networks and DNS work, but a service's VIP
// does not route (no ip_vs kernel module) and neither does the ingress
// routing mesh. The code supports both VIP and dnsrr; connectivity is
// tested with endpoint_mode: dnsrr / tasks.<service> and mode: host ports.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/swarm"

	"github.com/perryts/perry-container/backend"
	bswarm "github.com/perryts/perry-container/backend/swarm"
	"github.com/perryts/perry-container/compose/loader"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

func randSuffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// env is one test's target and project name; everything of the project is
// removed when the test ends.
type env struct {
	t       *testing.T
	c       *bswarm.Client
	target  *Target
	project string
	mu      sync.Mutex
	ops     []string
}

func newEnv(t *testing.T) *env {
	t.Helper()
	c := testenv.RequireSwarm(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	tg, err := FromClient(ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	tg.Poll = 100 * time.Millisecond
	e := &env{t: t, c: c, target: tg, project: "swt" + randSuffix()}
	tg.Observe = func(op string) {
		e.mu.Lock()
		e.ops = append(e.ops, op)
		e.mu.Unlock()
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if err := tg.Down(ctx, e.project, DownOptions{Volumes: true}); err != nil {
			t.Errorf("cleanup: %v", err)
		}
		e.assertGone(ctx)
	})
	return e
}

func (e *env) takeOps() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	ops := e.ops
	e.ops = nil
	return ops
}

// load loads a compose file for the test's project; every service, network
// and secret gets the perry.test=1 label.
func (e *env) load(yaml string, environ map[string]string) *types.Project {
	e.t.Helper()
	dir := e.t.TempDir()
	path := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		e.t.Fatal(err)
	}
	p, err := loader.Load(context.Background(), loader.Options{Files: []string{path}, ProjectName: e.project, Environment: environ})
	if err != nil {
		e.t.Fatal(err)
	}
	for name, s := range p.Services {
		if s.Deploy == nil {
			s.Deploy = &types.DeployConfig{}
		}
		if s.Deploy.Labels == nil {
			s.Deploy.Labels = types.Labels{}
		}
		s.Deploy.Labels["perry.test"] = "1"
		if s.Labels == nil {
			s.Labels = types.Labels{}
		}
		s.Labels["perry.test"] = "1"
		p.Services[name] = s
	}
	for k, n := range p.Networks {
		if n.Labels == nil {
			n.Labels = types.Labels{}
		}
		n.Labels["perry.test"] = "1"
		p.Networks[k] = n
	}
	for k, v := range p.Volumes {
		if v.Labels == nil {
			v.Labels = types.Labels{}
		}
		v.Labels["perry.test"] = "1"
		p.Volumes[k] = v
	}
	for k, s := range p.Secrets {
		if s.Labels == nil {
			s.Labels = types.Labels{}
		}
		s.Labels["perry.test"] = "1"
		p.Secrets[k] = s
	}
	for k, s := range p.Configs {
		if s.Labels == nil {
			s.Labels = types.Labels{}
		}
		s.Labels["perry.test"] = "1"
		p.Configs[k] = s
	}
	return p
}

// counts is the number of the project's objects of each kind.
func (e *env) counts(ctx context.Context) (services, networks, secrets, configs int) {
	e.t.Helper()
	lbl := map[string]string{LabelNamespace: e.project}
	s, err := e.c.ListServices(ctx, lbl)
	if err != nil {
		e.t.Fatal(err)
	}
	n, err := e.c.ListNetworks(ctx, lbl)
	if err != nil {
		e.t.Fatal(err)
	}
	sec, err := e.c.ListSecrets(ctx, lbl)
	if err != nil {
		e.t.Fatal(err)
	}
	cf, err := e.c.ListConfigs(ctx, lbl)
	if err != nil {
		e.t.Fatal(err)
	}
	return len(s), len(n), len(sec), len(cf)
}

func (e *env) assertGone(ctx context.Context) {
	e.t.Helper()
	if s, n, sec, cf := e.counts(ctx); s+n+sec+cf != 0 {
		e.t.Errorf("stack %s left %d services, %d networks, %d secrets, %d configs", e.project, s, n, sec, cf)
	}
	if vs := e.volumes(ctx); len(vs) != 0 {
		e.t.Errorf("stack %s left volumes %v", e.project, vs)
	}
}

func (e *env) volumes(ctx context.Context) []string {
	e.t.Helper()
	vs, err := e.c.Local().ListVolumes(ctx, map[string]string{LabelNamespace: e.project})
	if err != nil {
		e.t.Fatal(err)
	}
	var names []string
	for _, v := range vs {
		names = append(names, v.Name)
	}
	return names
}

func (e *env) service(ctx context.Context, name string) swarm.Service {
	e.t.Helper()
	s, err := e.c.InspectService(ctx, e.project+"_"+name)
	if err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) exec(ctx context.Context, service string, cmd ...string) string {
	e.t.Helper()
	out, err := e.target.Exec(ctx, e.project, service, 1, backend.ExecOptions{Cmd: cmd})
	if err != nil {
		e.t.Fatalf("exec %v in %s: %v", cmd, service, err)
	}
	if out.ExitCode == nil || *out.ExitCode != 0 {
		e.t.Fatalf("exec %v in %s: exit %v: %s%s", cmd, service, out.ExitCode, out.Stdout, out.Stderr)
	}
	return out.Stdout
}

// freePort is a TCP port free on this machine a moment ago.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// The chain: a job (init) must complete before db starts, db must be
// healthy before web is created. Creation order and the state of each
// dependency at the moment its dependent was created are what is checked.
func TestSwarmGatingOrder(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t, 2*time.Minute)
	p := e.load(`
services:
  init:
    image: `+testenv.Image+`
    command: ["sh", "-c", "sleep 1; echo init-done"]
    restart: "no"
  db:
    image: `+testenv.Image+`
    command: ["sh", "-c", "sleep 2; touch /tmp/ready; exec sleep 600"]
    depends_on:
      init: {condition: service_completed_successfully}
    healthcheck:
      test: ["CMD", "test", "-f", "/tmp/ready"]
      interval: 300ms
      start_interval: 300ms
      retries: 30
    stop_grace_period: 1s
  web:
    image: `+testenv.Image+`
    command: ["sleep", "600"]
    depends_on:
      db: {condition: service_healthy}
    stop_grace_period: 1s
  side:
    image: `+testenv.Image+`
    command: ["sleep", "600"]
    depends_on:
      init: {condition: service_started}
    stop_grace_period: 1s
`, nil)
	if err := e.target.Up(ctx, p, UpOptions{Wait: true}); err != nil {
		t.Fatal(err)
	}
	ops := e.takeOps()
	var order []string
	for _, op := range ops {
		if strings.HasPrefix(op, "create service ") {
			order = append(order, strings.TrimPrefix(op, "create service "+e.project+"_"))
		}
	}
	// side only waits for init to start (a job counts as started once its
	// task ran), so it may come before or after db.
	if got := strings.Join(slices.DeleteFunc(slices.Clone(order), func(s string) bool { return s == "side" }), ","); got != "init,db,web" || len(order) != 4 || order[0] != "init" {
		t.Fatalf("creation order %v, want init first, then db before web, and side", order)
	}
	// The job ran to completion as a replicated job.
	init := e.service(ctx, "init")
	if init.Spec.Mode.ReplicatedJob == nil {
		t.Fatalf("init is not a replicated job: %+v", init.Spec.Mode)
	}
	// web was created only after db was healthy: db's task was running
	// (Swarm holds a task with a healthcheck in starting until healthy)
	// before web's service was created.
	db, web := e.service(ctx, "db"), e.service(ctx, "web")
	tasks, err := e.c.ListTasks(ctx, bswarm.TaskFilter{Services: []string{db.ID}})
	if err != nil {
		t.Fatal(err)
	}
	var healthyAt time.Time
	for _, tk := range tasks {
		if tk.Status.State == swarm.TaskStateRunning {
			healthyAt = tk.Status.Timestamp
		}
	}
	if healthyAt.IsZero() || web.CreatedAt.Before(healthyAt) {
		t.Fatalf("web created at %v, db running (healthy) at %v", web.CreatedAt, healthyAt)
	}
	initTasks, err := e.c.ListTasks(ctx, bswarm.TaskFilter{Services: []string{init.ID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(initTasks) == 0 || initTasks[0].Status.State != swarm.TaskStateComplete || db.CreatedAt.Before(initTasks[0].Status.Timestamp) {
		t.Fatalf("db created at %v before init completed (%+v)", db.CreatedAt, initTasks)
	}
	ps, err := e.target.Ps(ctx, e.project)
	if err != nil {
		t.Fatal(err)
	}
	var dbHealth string
	for _, tk := range ps {
		if tk.Service == "db" && tk.State == "running" {
			dbHealth = tk.Health
		}
		if tk.Node == "" {
			t.Errorf("task %s has no node", tk.Name)
		}
	}
	if dbHealth != "healthy" {
		t.Fatalf("ps: db health %q, want healthy (%+v)", dbHealth, ps)
	}
}

// A service that fails its gate fails the up naming it and its task error,
// and the rollback leaves none of the stack's objects.
func TestSwarmRollbackLeavesNothing(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t, 2*time.Minute)
	p := e.load(`
services:
  db:
    image: `+testenv.Image+`
    command: ["sleep", "600"]
    healthcheck:
      test: ["CMD", "false"]
      interval: 300ms
      start_interval: 300ms
      retries: 1
    deploy:
      restart_policy: {condition: none}
    stop_grace_period: 1s
    secrets: [token]
    configs: [conf]
  web:
    image: `+testenv.Image+`
    command: ["sleep", "600"]
    stop_grace_period: 1s
    depends_on:
      db: {condition: service_healthy}
secrets:
  token: {environment: PERRY_SWARM_TOKEN}
configs:
  conf: {content: "x=1"}
`, map[string]string{"PERRY_SWARM_TOKEN": "s3cret"})
	err := e.target.Up(ctx, p, UpOptions{Timeout: time.Minute})
	if err == nil {
		t.Fatal("up succeeded although db never becomes healthy")
	}
	ce := core.AsError(err)
	t.Logf("up failed as expected: %v", err)
	if ce.Details["service"] != "db" || !strings.Contains(ce.Message, "unhealthy") {
		t.Fatalf("up: %v (details %v), want db's failure with its task error", err, ce.Details)
	}
	e.assertGone(ctx)
	for _, op := range e.takeOps() {
		if strings.Contains(op, "_web") {
			t.Fatalf("web was created although db failed: %s", op)
		}
	}
}

// A second up with nothing changed calls no create/update; changing one
// service updates it in place (same id, higher version), others untouched.
func TestSwarmIdempotentAndRollingUpdate(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t, 2*time.Minute)
	yaml := func(msg string) string {
		return `
services:
  a:
    image: ` + testenv.Image + `
    command: ["sleep", "600"]
    environment: {MSG: "` + msg + `"}
    stop_grace_period: 1s
  b:
    image: ` + testenv.Image + `
    command: ["sleep", "600"]
    depends_on: [a]
    stop_grace_period: 1s
`
	}
	if err := e.target.Up(ctx, e.load(yaml("one"), nil), UpOptions{Wait: true}); err != nil {
		t.Fatal(err)
	}
	e.takeOps()
	a1, b1 := e.service(ctx, "a"), e.service(ctx, "b")
	if err := e.target.Up(ctx, e.load(yaml("one"), nil), UpOptions{Wait: true}); err != nil {
		t.Fatal(err)
	}
	if ops := e.takeOps(); len(ops) != 0 {
		t.Fatalf("second up changed things: %v", ops)
	}
	if err := e.target.Up(ctx, e.load(yaml("two"), nil), UpOptions{Wait: true}); err != nil {
		t.Fatal(err)
	}
	if ops := e.takeOps(); len(ops) != 1 || ops[0] != "update service "+e.project+"_a" {
		t.Fatalf("third up: %v, want one update of a", ops)
	}
	a2, b2 := e.service(ctx, "a"), e.service(ctx, "b")
	if a2.ID != a1.ID || a2.Version.Index <= a1.Version.Index {
		t.Fatalf("a: id %s→%s version %d→%d, want same id and a higher version", a1.ID, a2.ID, a1.Version.Index, a2.Version.Index)
	}
	if b2.ID != b1.ID || b2.Version.Index != b1.Version.Index {
		t.Fatalf("b changed: version %d→%d", b1.Version.Index, b2.Version.Index)
	}
	// The up waited for the updated task: it runs the new environment now.
	if got := strings.TrimSpace(e.exec(ctx, "a", "sh", "-c", "echo $MSG")); got != "two" {
		t.Fatalf("after the update a's task has MSG=%q", got)
	}

	// b left the file: an up keeps it, one with RemoveOrphans removes it.
	onlyA := e.load(yaml("two"), nil)
	delete(onlyA.Services, "b")
	if err := e.target.Up(ctx, onlyA, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if ops := e.takeOps(); len(ops) != 0 {
		t.Fatalf("an up without b changed things: %v", ops)
	}
	if err := e.target.Up(ctx, onlyA, UpOptions{RemoveOrphans: true}); err != nil {
		t.Fatal(err)
	}
	if ops := e.takeOps(); len(ops) != 1 || ops[0] != "remove service "+e.project+"_b" {
		t.Fatalf("up --remove-orphans: %v", ops)
	}
}

// An environment-sourced secret reaches the task; services talk over an
// attachable overlay network through dnsrr names.
func TestSwarmSecretFromEnvironmentAndDNS(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t, 2*time.Minute)
	port := freePort(t)
	p := e.load(`
services:
  srv:
    image: `+testenv.Image+`
    command: ["sh", "-c", "while true; do echo pong | nc -l -p 7000; done"]
    deploy: {endpoint_mode: dnsrr}
    ports: [{target: 7000, published: "`+port+`", mode: host}]
    stop_grace_period: 1s
  cli:
    image: `+testenv.Image+`
    command: ["sleep", "600"]
    secrets: [x]
    volumes: [data:/data]
    stop_grace_period: 1s
secrets:
  x: {environment: PERRY_SWARM_SECRET}
volumes:
  data: {}
`, map[string]string{"PERRY_SWARM_SECRET": "from-env-42"})
	if err := e.target.Up(ctx, p, UpOptions{Wait: true}); err != nil {
		t.Fatal(err)
	}
	if got := e.exec(ctx, "cli", "cat", "/run/secrets/x"); got != "from-env-42" {
		t.Fatalf("secret: %q", got)
	}
	testenv.Eventually(t, 30*time.Second, "cli to reach srv by tasks.srv", func() bool {
		out, err := e.target.Exec(ctx, e.project, "cli", 1, backend.ExecOptions{Cmd: []string{"sh", "-c", "echo hi | nc -w 2 tasks.srv 7000"}})
		return err == nil && strings.Contains(out.Stdout, "pong")
	})
	// A mode: host port is published on this node.
	testenv.Eventually(t, 30*time.Second, "srv's host port to answer", func() bool {
		conn, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
		if err != nil {
			return false
		}
		defer conn.Close()
		_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
		b, _ := io.ReadAll(conn)
		return strings.Contains(string(b), "pong")
	})
	nets, err := e.c.ListNetworks(ctx, map[string]string{LabelNamespace: e.project})
	if err != nil || len(nets) != 1 || !nets[0].Attachable || nets[0].Driver != "overlay" {
		t.Fatalf("networks: %+v %v", nets, err)
	}
	// The named volume is a local volume of this node, labelled with the
	// stack, and down -v removes it.
	e.exec(ctx, "cli", "sh", "-c", "echo kept > /data/f")
	if vs := e.volumes(ctx); len(vs) != 1 || vs[0] != e.project+"_data" {
		t.Fatalf("volumes %v", vs)
	}
	if err := e.target.Down(ctx, e.project, DownOptions{Volumes: true}); err != nil {
		t.Fatal(err)
	}
	e.assertGone(ctx)
}

// Interop: a stack of docker stack deploy is listed and removed by ours, and
// ours is listed and removed by docker stack.
func TestSwarmStackInterop(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t, 2*time.Minute)
	yaml := `
services:
  app:
    image: ` + testenv.Image + `
    command: ["sleep", "600"]
    stop_grace_period: 1s
    labels: {perry.test: "1"}
    deploy: {labels: {perry.test: "1"}}
    secrets: [tok]
networks:
  default:
    labels: {perry.test: "1"}
secrets:
  tok: {file: ` + "%s" + `, labels: {perry.test: "1"}}
`
	dir := t.TempDir()
	tok := filepath.Join(dir, "tok.txt")
	if err := os.WriteFile(tok, []byte("t"), 0o600); err != nil {
		t.Fatal(err)
	}
	yaml = fmt.Sprintf(yaml, tok)
	path := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	docker := func(args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, "docker", args...).CombinedOutput()
		if err != nil {
			t.Fatalf("docker %v: %v: %s", args, err, out)
		}
		return string(out)
	}
	// Theirs → ours.
	docker("stack", "deploy", "-c", path, e.project)
	if _, _, sec, _ := e.counts(ctx); sec != 1 {
		t.Fatalf("docker stack deploy made %d secrets", sec)
	}
	testenv.Eventually(t, time.Minute, "ps to show the docker stack's running task", func() bool {
		ps, err := e.target.Ps(ctx, e.project)
		return err == nil && len(ps) == 1 && ps[0].Service == "app" && ps[0].State == "running"
	})
	if err := e.target.Down(ctx, e.project, DownOptions{}); err != nil {
		t.Fatal(err)
	}
	e.assertGone(ctx)

	// Ours → theirs.
	if err := e.target.Up(ctx, e.load(yaml, nil), UpOptions{Wait: true}); err != nil {
		t.Fatal(err)
	}
	if out := docker("stack", "ps", "--format", "{{.Name}} {{.CurrentState}}", e.project); !strings.Contains(out, e.project+"_app.1 Running") {
		t.Fatalf("docker stack ps: %s", out)
	}
	if out := docker("stack", "ls", "--format", "{{.Name}}"); !strings.Contains(out, e.project) {
		t.Fatalf("docker stack ls: %s", out)
	}
	docker("stack", "rm", e.project)
	testenv.Eventually(t, time.Minute, "docker stack rm to remove our stack", func() bool {
		s, n, sec, cf := e.counts(ctx)
		return s+n+sec+cf == 0
	})
}

// Logs come through the service logs API, one prefix per task.
func TestSwarmLogsPrefixedPerTask(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t, 2*time.Minute)
	p := e.load(`
services:
  talk:
    image: `+testenv.Image+`
    command: ["sh", "-c", "echo hello-from-task; exec sleep 600"]
    deploy: {replicas: 2}
    stop_grace_period: 1s
`, nil)
	if err := e.target.Up(ctx, p, UpOptions{Wait: true}); err != nil {
		t.Fatal(err)
	}
	var buf testenv.Buffer
	testenv.Eventually(t, 30*time.Second, "both tasks' lines", func() bool {
		buf = testenv.Buffer{}
		if err := e.target.Logs(ctx, e.project, nil, false, &buf); err != nil {
			t.Fatal(err)
		}
		s := buf.String()
		return strings.Contains(s, "talk.1@") && strings.Contains(s, "talk.2@") && strings.Contains(s, "| hello-from-task")
	})

	// --tail 0 shows nothing of the past; no prefix leaves the bare line.
	var tail testenv.Buffer
	if err := e.target.LogsWith(ctx, e.project, LogsOptions{Tail: "0"}, &tail); err != nil || tail.String() != "" {
		t.Fatalf("tail 0: %q %v", tail.String(), err)
	}
	var bare testenv.Buffer
	if err := e.target.LogsWith(ctx, e.project, LogsOptions{NoPrefix: true}, &bare); err != nil || !strings.HasPrefix(bare.String(), "hello-from-task\n") {
		t.Fatalf("no prefix: %q %v", bare.String(), err)
	}

	// Follow: a line written after the stream opened arrives, and
	// cancelling ends the stream.
	fctx, cancel := context.WithCancel(ctx)
	var follow testenv.Buffer
	done := make(chan error, 1)
	go func() { done <- e.target.Logs(fctx, e.project, []string{"talk"}, true, &follow) }()
	testenv.Eventually(t, 30*time.Second, "the followed stream to open", func() bool {
		return strings.Contains(follow.String(), "hello-from-task")
	})
	e.exec(ctx, "talk", "sh", "-c", "echo later-line > /proc/1/fd/1")
	testenv.Eventually(t, 30*time.Second, "the later line in the followed stream", func() bool {
		return strings.Contains(follow.String(), "| later-line")
	})
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a cancelled follow did not return")
	}
	if err := e.target.Logs(ctx, e.project, []string{"nope"}, false, &follow); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("logs of an unknown service: %v", err)
	}
}

// A failed up removes what it created and nothing that existed before: the
// first up's service (rolled back to its spec), network and secret stay;
// the second up's service, network and secret go.
func TestSwarmRollbackKeepsWhatExisted(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t, 2*time.Minute)
	base := `
services:
  base:
    image: ` + testenv.Image + `
    command: ["sleep", "600"]
    secrets: [s1]
    stop_grace_period: 1s
secrets:
  s1: {environment: S1}
`
	environ := map[string]string{"S1": "one", "S2": "two"}
	if err := e.target.Up(ctx, e.load(base, environ), UpOptions{Wait: true}); err != nil {
		t.Fatal(err)
	}
	before := e.service(ctx, "base")
	bad := strings.Replace(base, `command: ["sleep", "600"]`, `command: ["sleep", "601"]`, 1) + `
  s2: {environment: S2}
networks:
  extra: {}
`
	bad = strings.Replace(bad, "secrets:\n  s1", `  bad:
    image: `+testenv.Image+`
    command: ["sleep", "600"]
    secrets: [s2]
    networks: [extra]
    healthcheck: {test: ["CMD", "false"], interval: 300ms, start_interval: 300ms, retries: 1}
    deploy: {restart_policy: {condition: none}}
    stop_grace_period: 1s
secrets:
  s1`, 1)
	e.takeOps()
	err := e.target.Up(ctx, e.load(bad, environ), UpOptions{Wait: true})
	if err == nil || core.AsError(err).Details["service"] != "bad" {
		t.Fatalf("up: %v, want bad's failure", err)
	}
	var created []string
	for _, op := range e.takeOps() {
		if strings.HasPrefix(op, "create ") {
			created = append(created, op)
		}
	}
	if len(created) != 3 {
		t.Fatalf("the second up made %v, want the network, the secret and the service", created)
	}
	// base, which the failed up updated, is back on its previous spec.
	after := e.service(ctx, "base")
	if after.ID != before.ID || strings.Join(after.Spec.TaskTemplate.ContainerSpec.Args, " ") != "sleep 600" {
		t.Fatalf("base after the rollback: id %s→%s args %v", before.ID, after.ID, after.Spec.TaskTemplate.ContainerSpec.Args)
	}
	if s, n, sec, cf := e.counts(ctx); s != 1 || n != 1 || sec != 1 || cf != 0 {
		t.Fatalf("after rollback: %d services, %d networks, %d secrets, %d configs; want what the first up made", s, n, sec, cf)
	}
	if _, err := e.c.InspectService(ctx, e.project+"_bad"); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("bad: %v", err)
	}
}

// up of named services deploys them and their dependencies only.
func TestSwarmUpSelectedServices(t *testing.T) {
	e := newEnv(t)
	ctx := ctxT(t, 2*time.Minute)
	p := e.load(`
services:
  a: {image: `+testenv.Image+`, command: ["sleep", "600"], stop_grace_period: 1s}
  b: {image: `+testenv.Image+`, command: ["sleep", "600"], stop_grace_period: 1s, depends_on: [a]}
  c: {image: `+testenv.Image+`, command: ["sleep", "600"], stop_grace_period: 1s}
`, nil)
	if err := e.target.Up(ctx, p, UpOptions{Services: []string{"b"}}); err != nil {
		t.Fatal(err)
	}
	var made []string
	for _, op := range e.takeOps() {
		if strings.HasPrefix(op, "create service ") {
			made = append(made, strings.TrimPrefix(op, "create service "+e.project+"_"))
		}
	}
	if strings.Join(made, ",") != "a,b" {
		t.Fatalf("created %v, want a,b", made)
	}
}
