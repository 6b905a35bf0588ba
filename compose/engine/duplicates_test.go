package engine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/cli"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// Docker allows two networks of one name. A project that has two (two
// concurrent creators made them) must neither wedge up nor down: every
// engine operation finds networks by the project's labels and acts on
// them by id.

const dupYAML = `
services:
  web: {image: busybox, command: ["sleep", "1000"]}
  db: {image: busybox, command: ["sleep", "1000"]}
`

// dupFake is a fake engine that, like Docker, lets two networks share a name.
func dupFake() *fake.Backend {
	b := newFake()
	b.DuplicateNetworkNames = true
	return b
}

// projectNetworkLabels are the labels compose gives network key of project.
func projectNetworkLabels(project, key string) map[string]string {
	return map[string]string{LabelProject: project, LabelNetwork: key, "perry.test": "1"}
}

// networksNamed lists the networks called name, by id.
func networksNamed(t *testing.T, b backend.Backend, name string) []core.NetworkInfo {
	t.Helper()
	list, err := b.ListNetworks(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return slices.DeleteFunc(list, func(n core.NetworkInfo) bool { return n.Name != name })
}

// makeDuplicates creates two networks name, both labelled as project's
// network key, and returns their ids.
func makeFakeDuplicates(t *testing.T, b *fake.Backend, project, key, name string) {
	t.Helper()
	for range 2 {
		if err := b.CreateNetwork(context.Background(), name, core.NetworkConfig{Labels: projectNetworkLabels(project, key)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := len(networksNamed(t, b, name)); n != 2 {
		t.Fatalf("%d networks %s, want 2", n, name)
	}
	// As on Docker, the name is now ambiguous.
	if _, err := b.InspectNetwork(context.Background(), name); err == nil || !strings.Contains(err.Error(), "ambiguous") {
		t.Fatalf("inspecting a duplicated name: %v", err)
	}
}

// TestDuplicateNetworksUpConvergesDownRemovesAll: up on a project with two
// networks of its name keeps one (the lowest id), removes the other, and
// attaches the containers to the one kept; down removes every network of
// the project, duplicates included.
func TestDuplicateNetworksUpConvergesDownRemovesAll(t *testing.T) {
	b := dupFake()
	makeFakeDuplicates(t, b, "demo", "default", "demo_default")
	ids := []string{}
	for _, n := range networksNamed(t, b, "demo_default") {
		ids = append(ids, n.ID)
	}
	slices.Sort(ids)
	e, log := newEngine(t, b, load(t, dupYAML))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatalf("up with duplicate networks: %v", err)
	}
	left := networksNamed(t, b, "demo_default")
	if len(left) != 1 || left[0].ID != ids[0] {
		t.Fatalf("networks after up %v, want only the one of lowest id %s", left, ids[0])
	}
	if len(log.find(StatusRemoved, "demo_default")) != 1 {
		t.Fatal("no event for the duplicate removed")
	}
	ps, err := e.Ps(ctxT(t), PsOptions{All: true})
	if err != nil || len(ps) != 2 {
		t.Fatalf("ps: %v %v", ps, err)
	}
	for _, c := range ps {
		if c.State != "running" || !slices.Equal(c.Networks, []string{"demo_default"}) {
			t.Fatalf("container %s: %s on %v", c.Name, c.State, c.Networks)
		}
	}
	// A second up changes nothing.
	before := len(b.Calls())
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, c := range b.Calls()[before:] {
		if strings.HasPrefix(c.Method, "Create") || strings.HasPrefix(c.Method, "Remove") {
			t.Fatalf("a second up called %s", c)
		}
	}

	// down removes every network of the project, duplicates too.
	if err := b.CreateNetwork(ctxT(t), "demo_default", core.NetworkConfig{Labels: projectNetworkLabels("demo", "default")}); err != nil {
		t.Fatal(err)
	}
	if err := e.Down(ctxT(t), DownOptions{}); err != nil {
		t.Fatalf("down with duplicate networks: %v", err)
	}
	if left := networksNamed(t, b, "demo_default"); len(left) != 0 {
		t.Fatalf("down left %v", left)
	}
	for _, id := range callsOf(b, "RemoveNetwork") {
		if !strings.Contains(id, "@") {
			t.Fatalf("a network was removed by its name %q, not by id", id)
		}
	}
}

// TestDuplicateNetworksInUseAttachByID: when both copies are in use (a
// running container outside the project on each), neither can go; up
// attaches its containers to one by id — a name would be ambiguous — and
// warns; down then removes what it can and reports the rest.
func TestDuplicateNetworksInUseAttachByID(t *testing.T) {
	b := dupFake()
	makeFakeDuplicates(t, b, "demo", "default", "demo_default")
	for i, n := range networksNamed(t, b, "demo_default") {
		h, err := b.Run(ctxT(t), &core.ContainerSpec{Name: fmt.Sprintf("outsider%d", i), Image: "busybox", Cmd: []string{"sleep", "1000"}, Network: n.ID})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Remove(context.Background(), h.ID, true) })
	}
	e, log := newEngine(t, b, load(t, dupYAML))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatalf("up with duplicate networks in use: %v", err)
	}
	if len(networksNamed(t, b, "demo_default")) != 2 {
		t.Fatal("a network in use was removed")
	}
	if w := log.find(StatusWarning, ""); len(w) != 1 || !strings.Contains(w[0].Text, "network demo_default exists 2 times") {
		t.Fatalf("warnings %v", w)
	}
	for _, c := range b.Calls() {
		if c.Method == "Create" && strings.HasPrefix(c.Args[1], "demo-") {
			return // created: by id, or the fake would have said "ambiguous"
		}
	}
	t.Fatalf("no container created: %v", b.Methods())
}

// TestDuplicateNetworksStoppedContainersRecreated: a container that is not
// running may be on the copy up removes (a runtime only refuses to remove
// a network a running container uses): up recreates it on the copy kept.
func TestDuplicateNetworksStoppedContainersRecreated(t *testing.T) {
	b := dupFake()
	e, log := newEngine(t, b, load(t, dupYAML))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := e.Stop(ctxT(t), nil, nil); err != nil {
		t.Fatal(err)
	}
	old := networksNamed(t, b, "demo_default")[0]
	// A second copy of lower id, which up keeps: the containers' copy goes.
	for {
		if err := b.CreateNetwork(ctxT(t), "demo_default", core.NetworkConfig{Labels: projectNetworkLabels("demo", "default")}); err != nil {
			t.Fatal(err)
		}
		dups := networksNamed(t, b, "demo_default")
		if dups[0].ID < old.ID || dups[1].ID < old.ID {
			break
		}
		// this copy sorts after the old one: remove it and draw again
		other := dups[0]
		if other.ID == old.ID {
			other = dups[1]
		}
		if err := b.RemoveNetwork(ctxT(t), other.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	left := networksNamed(t, b, "demo_default")
	if len(left) != 1 || left[0].ID == old.ID {
		t.Fatalf("networks %v: want the new copy only", left)
	}
	for _, svc := range []string{"web", "db"} {
		ev := log.find(StatusRecreate, "demo-"+svc)
		if len(ev) != 1 {
			t.Fatalf("%s was not recreated on the network kept", svc)
		}
	}
}

// dockerCreateDuplicate creates a network on the Docker engine without
// its duplicate check (API 1.41 honours CheckDuplicate: false), as two
// racing creators can, and returns its id.
func dockerCreateDuplicate(t *testing.T, name string, labels map[string]string) string {
	t.Helper()
	sock := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); h != "" {
		if !strings.HasPrefix(h, "unix://") {
			t.Skip("duplicate networks are made through the engine's unix socket")
		}
		sock = strings.TrimPrefix(h, "unix://")
	}
	client := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		}}}
	body, _ := json.Marshal(map[string]any{"Name": name, "CheckDuplicate": false, "Labels": labels})
	res, err := client.Post("http://docker/v1.41/networks/create", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out struct{ ID string }
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil || res.StatusCode != http.StatusCreated || out.ID == "" {
		t.Fatalf("creating network %s: %d %v", name, res.StatusCode, err)
	}
	return out.ID
}

// cleanupNetworksByID removes, when t ends, the project's networks by id
// (the label sweep removes by name, which two networks may share).
func (r *realEngine) cleanupNetworksByID() {
	r.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		list, _ := r.b.ListNetworks(ctx, map[string]string{LabelProject: r.project})
		for _, n := range list {
			_ = r.b.RemoveNetwork(ctx, n.ID)
		}
	})
}

// TestDockerDuplicateNetworks: on Docker, a project whose network exists
// twice (made with the compose labels, as a racing `up` makes it): up
// converges to one network and runs the containers on it, down removes
// both copies when they exist again. Through the Engine API and the docker
// CLI (which must list networks by ID: inspecting the shared name fails).
func TestDockerDuplicateNetworks(t *testing.T) {
	t.Run("api", func(t *testing.T) { duplicateNetworks(t, newRealEngine(t)) })
	t.Run("cli", func(t *testing.T) {
		testenv.RequireEngine(t) // skips or fails as the engine tests do
		duplicateNetworks(t, newProject(t, cli.Docker("docker", testenv.RequireCLI(t, "docker"))))
	})
}

func duplicateNetworks(t *testing.T, r *realEngine) {
	r.cleanupNetworksByID()
	name := r.project + "_default"
	labels := map[string]string{LabelProject: r.project, LabelNetwork: "default", "perry.test": "1"}
	ids := []string{dockerCreateDuplicate(t, name, labels), dockerCreateDuplicate(t, name, labels)}
	slices.Sort(ids)
	if n := len(networksNamed(t, r.b, name)); n != 2 {
		t.Fatalf("%d networks %s, want 2", n, name)
	}
	p := r.load(fmt.Sprintf(`
services:
  web: {image: %s, command: %s}
  db: {image: %s, command: %s}
`, testImage, sleeper, testImage, sleeper))
	e := r.engine(p)
	ctx := r.ctx()
	if err := e.Up(ctx, UpOptions{}); err != nil {
		t.Fatalf("up with duplicate networks: %v", err)
	}
	left := networksNamed(t, r.b, name)
	if len(left) != 1 || left[0].ID != ids[0] {
		t.Fatalf("networks after up %v, want the one of lowest id %s", left, ids[0])
	}
	ps, err := e.Ps(ctx, PsOptions{All: true})
	if err != nil || len(ps) != 2 {
		t.Fatalf("ps: %v %v", ps, err)
	}
	for _, c := range ps {
		if c.State != "running" || !slices.Equal(c.Networks, []string{name}) {
			t.Fatalf("container %s: %s on %v", c.Name, c.State, c.Networks)
		}
	}
	// The containers reach each other by service name on the network kept.
	if res, err := e.Exec(ctx, "web", ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"nslookup", "db"}}}); err != nil || res.ExitCode == nil || *res.ExitCode != 0 {
		t.Fatalf("web cannot resolve db: %v %+v", err, res)
	}

	// A second copy again: down removes both.
	dockerCreateDuplicate(t, name, labels)
	if err := e.Down(ctx, DownOptions{}); err != nil {
		t.Fatalf("down with duplicate networks: %v", err)
	}
	if left := networksNamed(t, r.b, name); len(left) != 0 {
		t.Fatalf("down left %v", left)
	}
	cs, ns, vs := r.leftovers(ctx)
	if len(cs)+len(ns)+len(vs) != 0 {
		t.Fatalf("left behind: %v %v %v", cs, ns, vs)
	}
}

// TestDockerConcurrentUps: two engines (as two library hosts would) bring
// one project up at the same moment; both succeed, with one network and
// one set of containers.
func TestDockerConcurrentUps(t *testing.T) {
	r := newRealEngine(t)
	r.cleanupNetworksByID()
	p := r.load(fmt.Sprintf(`
services:
  web: {image: %s, command: %s, depends_on: [db]}
  db: {image: %s, command: %s}
volumes:
  data: {}
`, testImage, sleeper, testImage, sleeper))
	ctx := r.ctx()
	var wg sync.WaitGroup
	errs := make([]error, 2)
	engines := []*Engine{r.engine(p), r.engine(p)}
	start := make(chan struct{})
	for i, e := range engines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = e.Up(ctx, UpOptions{})
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("up #%d: %v", i+1, err)
		}
	}
	cs, ns, _ := r.leftovers(ctx)
	if len(ns) != 1 || ns[0].Name != r.project+"_default" {
		t.Fatalf("networks %v, want one", ns)
	}
	names := []string{}
	for _, c := range cs {
		names = append(names, c.Name+":"+c.State)
	}
	slices.Sort(names)
	want := []string{r.project + "-db-1:running", r.project + "-web-1:running"}
	if !slices.Equal(names, want) {
		t.Fatalf("containers %v, want %v", names, want)
	}
	if err := engines[1].Down(ctx, DownOptions{}); err != nil {
		t.Fatal(err)
	}
}
