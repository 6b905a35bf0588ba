package engine

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

const pushYAML = `
services:
  api: {build: {context: .}, image: "reg.example:5000/team/api:1", depends_on: [base]}
  base: {build: {context: .}, image: "reg.example:5000/team/base:1"}
  worker: {build: {context: .}}
  db: {image: postgres:16}
`

// TestPushUploadsWhatTheProjectBuilds: the images of services with build
// and image are pushed; a build-only service (its image named by default)
// and an image-only one are skipped, as docker compose skips them.
func TestPushUploadsWhatTheProjectBuilds(t *testing.T) {
	b := newFake()
	e, log := newEngine(t, b, load(t, pushYAML))
	if err := e.PullAndBuild(ctxT(t), UpOptions{Build: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.Push(ctxT(t), PushOptions{}); err != nil {
		t.Fatal(err)
	}
	got := callsOf(b, "PushImage")
	slices.Sort(got)
	if want := []string{"reg.example:5000/team/api:1", "reg.example:5000/team/base:1"}; !slices.Equal(got, want) {
		t.Fatalf("pushed %v, want %v", got, want)
	}
	for _, s := range []string{"worker", "db"} {
		if len(log.find(StatusSkipped, s)) != 1 {
			t.Errorf("%s not reported as skipped: %+v", s, log.evs)
		}
	}
	if len(log.find(StatusPushed, "team/api:1")) != 1 {
		t.Errorf("no Pushed event: %+v", log.evs)
	}

	// Named services; their dependencies only when asked.
	for _, tc := range []struct {
		opts PushOptions
		want []string
	}{
		{PushOptions{Services: []string{"api"}}, []string{"reg.example:5000/team/api:1"}},
		{PushOptions{Services: []string{"api"}, IncludeDeps: true}, []string{"reg.example:5000/team/api:1", "reg.example:5000/team/base:1"}},
	} {
		b.ResetCalls()
		if err := e.Push(ctxT(t), tc.opts); err != nil {
			t.Fatal(err)
		}
		got := callsOf(b, "PushImage")
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%+v pushed %v, want %v", tc.opts, got, tc.want)
		}
	}
	if err := e.Push(ctxT(t), PushOptions{Services: []string{"nope"}}); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("unknown service: %v", err)
	}
}

// TestPushFailure: a failed push fails Push naming the service, or is a
// warning with IgnoreFailures; a backend that cannot push says so.
func TestPushFailure(t *testing.T) {
	b := newFake()
	e, log := newEngine(t, b, load(t, pushYAML))
	if err := e.PullAndBuild(ctxT(t), UpOptions{Build: true}); err != nil {
		t.Fatal(err)
	}
	denied := core.Errorf(core.KindBackendError, "denied: requested access to the resource is denied")
	b.Inject(fake.Fault{Method: "PushImage", Match: "team/base", Err: denied})
	err := e.Push(ctxT(t), PushOptions{})
	if ce := core.AsError(err); err == nil || ce.Details["service"] != "base" || !strings.Contains(ce.Message, "denied") {
		t.Fatalf("Push: %v", err)
	}
	if err := e.Push(ctxT(t), PushOptions{IgnoreFailures: true}); err != nil {
		t.Fatalf("Push with IgnoreFailures: %v", err)
	}
	if w := log.find(StatusWarning, "team/base"); len(w) != 1 || !strings.Contains(w[0].Text, "denied") {
		t.Fatalf("no warning: %+v", log.evs)
	}

	type plain struct{ backend.Backend } // the fake without PushImage
	e2, _ := newEngine(t, plain{b}, load(t, pushYAML))
	if err := e2.Push(ctxT(t), PushOptions{}); core.AsError(err).Details["unsupported"] != true {
		t.Fatalf("a backend without push: %v", err)
	}
}

// TestBuildSectionReachesTheBuild: dockerfile_inline, tags, extra_hosts and
// shm_size are built with, not refused; push sends the extra tags too.
func TestBuildSectionReachesTheBuild(t *testing.T) {
	const y = `
services:
  app:
    image: reg.example/app:1
    build:
      context: .
      dockerfile_inline: |
        FROM scratch
        COPY a /
      tags: [reg.example/app:latest]
      extra_hosts: ["db=10.0.0.2", "cache:10.0.0.3"]
      shm_size: 64m
`
	m := modelOf(t, y)
	p, err := planImages(m, &observedState{images: map[string]string{}}, m.order, UpOptions{})
	if err != nil || len(p.Ops) != 1 {
		t.Fatalf("plan %v %v", p, err)
	}
	got := *p.Ops[0].Build
	if got.DockerfileInline != "FROM scratch\nCOPY a /\n" || !slices.Equal(got.Tags, []string{"reg.example/app:latest"}) ||
		!slices.Equal(got.ExtraHosts, []string{"cache:10.0.0.3", "db:10.0.0.2"}) || got.ShmSize != 64<<20 {
		t.Fatalf("build %+v", got)
	}

	b := newFake()
	e, _ := newEngine(t, b, load(t, y))
	if err := e.PullAndBuild(ctxT(t), UpOptions{Build: true}); err != nil {
		t.Fatal(err)
	}
	if err := e.Push(ctxT(t), PushOptions{}); err != nil {
		t.Fatal(err)
	}
	pushed := callsOf(b, "PushImage")
	slices.Sort(pushed)
	if !slices.Equal(pushed, []string{"reg.example/app:1", "reg.example/app:latest"}) {
		t.Fatalf("pushed %v", pushed)
	}
}
