package engine

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

// load loads inline compose YAML with compose-go itself, as project "demo"
// unless the YAML names one.
func load(t testing.TB, yaml string) *types.Project {
	t.Helper()
	return loadEnv(t, yaml, nil)
}

// loadEnv is load with an environment for interpolation and env sources.
func loadEnv(t testing.TB, yaml string, env map[string]string) *types.Project {
	t.Helper()
	dir := t.TempDir()
	p, err := loader.LoadWithContext(context.Background(), types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: dir + "/compose.yaml", Content: []byte(yaml)}},
		Environment: types.Mapping(env),
	}, func(o *loader.Options) {
		if !strings.Contains(yaml, "\nname:") && !strings.HasPrefix(yaml, "name:") {
			o.SetProjectName("demo", true)
		}
	})
	if err != nil {
		t.Fatalf("loading compose YAML: %v", err)
	}
	if len(p.ComposeFiles) == 0 {
		p.ComposeFiles = []string{dir + "/compose.yaml"} // as compose-go's cli loader sets it
	}
	return p
}

// eventLog collects events.
type eventLog struct {
	mu  sync.Mutex
	evs []Event
}

func (l *eventLog) add(e Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.evs = append(l.evs, e)
}

func (l *eventLog) find(status EventStatus, idPart string) []Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Event
	for _, e := range l.evs {
		if e.Status == status && strings.Contains(e.ID, idPart) {
			out = append(out, e)
		}
	}
	return out
}

// newFake returns a fake engine with the image the tests use.
func newFake() *fake.Backend { return fake.New("busybox", "perry-test/busybox:latest") }

// newEngine builds an engine tuned for tests: fast polling, a private state dir.
func newEngine(t testing.TB, b backend.Backend, p *types.Project, opts ...Option) (*Engine, *eventLog) {
	t.Helper()
	log := &eventLog{}
	base := []Option{WithPollInterval(2 * time.Millisecond), WithStateDir(t.TempDir()), WithEvents(log.add)}
	return New(b, p, append(base, opts...)...), log
}

func ctxT(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// callsOf returns the first arguments of the recorded calls of method.
func callsOf(b *fake.Backend, method string) []string {
	var out []string
	for _, c := range b.Calls() {
		if c.Method == method && len(c.Args) > 0 {
			out = append(out, c.Args[0])
		}
	}
	return out
}

// indexOf returns the position in the call log of the first call of method
// whose first argument contains arg, or -1.
func indexOf(calls []fake.Call, method, arg string) int {
	for i, c := range calls {
		if c.Method == method && len(c.Args) > 0 && strings.Contains(c.Args[0], arg) {
			return i
		}
	}
	return -1
}

// containerIDs maps the names of the fake's containers to their ids.
func containerIDs(t testing.TB, b *fake.Backend) map[string]string {
	t.Helper()
	list, err := b.List(context.Background(), backend.ListOptions{All: true})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, c := range list {
		out[c.Name] = c.ID
	}
	return out
}

func wantKind(t testing.TB, err error, kind core.Kind) *core.Error {
	t.Helper()
	if err == nil {
		t.Fatalf("want a %s error, got nil", kind)
	}
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind != kind {
		t.Fatalf("want a %s error, got %T %v", kind, err, err)
	}
	return ce
}

func wantService(t testing.TB, err error, service string) {
	t.Helper()
	ce := wantKind(t, err, core.KindServiceStartupFailed)
	if got := ce.Details["service"]; got != service {
		t.Fatalf("error names service %v, want %q: %v", got, service, err)
	}
	if !strings.Contains(ce.Message, `"`+service+`"`) {
		t.Fatalf("message does not name %q: %s", service, ce.Message)
	}
}

// projectOf builds a Go literal project (not normalized by a loader):
// service → its dependencies (service_started, required).
func projectOf(name string, deps map[string][]string) *types.Project {
	p := &types.Project{Name: name, Services: types.Services{}}
	for s, ds := range deps {
		cfg := types.ServiceConfig{Name: s}
		cfg.Image = "busybox"
		cfg.Command = types.ShellCommand{"sleep", "1000"}
		if len(ds) > 0 {
			cfg.DependsOn = types.DependsOnConfig{}
		}
		for _, d := range ds {
			cfg.DependsOn[d] = types.ServiceDependency{Condition: types.ServiceConditionStarted, Required: true}
		}
		p.Services[s] = cfg
	}
	return p
}

func readFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	return string(b), err
}

// convertedService is e's model and its service name, failing the test
// when the model cannot be built or the service not converted.
func convertedService(t testing.TB, e *Engine, name string) (*model, *service) {
	t.Helper()
	m, err := e.model(nil)
	if err != nil {
		t.Fatal(err)
	}
	s, ok := m.services[name]
	if !ok {
		t.Fatalf("the model has no service %q", name)
	}
	if s.convErr != nil {
		t.Fatal(s.convErr)
	}
	return m, s
}
