package engine

import (
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

// Golden tests of the pure planner: the plan's String() is compared with
// the expected text, as docker compose's reconcile_test.go does.

const planYAML = `
services:
  db:
    image: busybox
    command: [sleep, "1000"]
    volumes: ["data:/data"]
    healthcheck: {test: ["CMD", "true"]}
  web:
    image: busybox
    command: [sleep, "1000"]
    scale: 2
    depends_on:
      db: {condition: service_healthy}
  worker:
    image: busybox
    command: [sleep, "1000"]
    stop_grace_period: 5s
    depends_on: [db]
volumes:
  data: {}
`

func modelOf(t *testing.T, yaml string) *model {
	t.Helper()
	m, err := buildModel(load(t, yaml), modelOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func running(m *model, service string, n int, id string) observedContainer {
	c := observedContainer{service: service, number: n}
	c.ID, c.Name, c.State = id, m.containerName(m.services[service], n), "running"
	c.Labels = map[string]string{LabelConfigHash: m.services[service].hash, LabelImage: "sha256:img"}
	return c
}

func golden(t *testing.T, p *Plan, want string) {
	t.Helper()
	want = strings.TrimLeft(want, "\n")
	if got := p.String(); got != want {
		t.Fatalf("plan:\n%s\nwant:\n%s", got, want)
	}
}

func TestPlanFreshUp(t *testing.T) {
	m := modelOf(t, planYAML)
	obs := &observedState{images: map[string]string{"busybox": "sha256:img"}}
	p, err := planUp(m, obs, m.order, UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, p, `
#1 CreateNetwork network:default demo_default: not found
#2 CreateVolume volume:data demo_data <- #1: not found
#3 CreateContainer service:db:1 demo-db-1 <- #1 #2: no container
#4 StartContainer service:db:1 demo-db-1 <- #3
#5 CreateContainer service:web:1 demo-web-1 <- #1 #2: no container
#6 WaitService service:db service_healthy [demo-db-1] <- #4: web depends on it
#7 StartContainer service:web:1 demo-web-1 <- #5 #6
#8 CreateContainer service:web:2 demo-web-2 <- #1 #2: no container
#9 StartContainer service:web:2 demo-web-2 <- #6 #8
#10 CreateContainer service:worker:1 demo-worker-1 <- #1 #2: no container
#11 WaitService service:db service_started [demo-db-1] <- #4: worker depends on it
#12 StartContainer service:worker:1 demo-worker-1 <- #10 #11
`)
	// The spec of a new container carries the compose labels.
	spec := p.Ops[2].Spec
	if spec.Name != "demo-db-1" || spec.Labels[LabelImage] != "sha256:img" || spec.Labels[LabelNumber] != "1" || spec.Volumes[0] != "demo_data:/data" {
		t.Fatalf("spec %+v", spec)
	}
}

func TestPlanConverge(t *testing.T) {
	m := modelOf(t, planYAML)
	db := running(m, "db", 1, "db1")
	web1 := running(m, "web", 1, "web1")
	web1.State = "exited"
	web3 := running(m, "web", 3, "web3") // above the scale
	worker := running(m, "worker", 1, "wrk1")
	worker.Labels[LabelConfigHash] = "old"
	orphan := running(m, "db", 1, "orph")
	orphan.service, orphan.Name, orphan.number = "legacy", "demo-legacy-1", 1
	obs := &observedState{
		containers: []observedContainer{db, orphan, web1, web3, worker},
		networks:   map[string]core.NetworkInfo{"demo_default": {Name: "demo_default"}},
		volumes:    map[string]core.VolumeInfo{"demo_data": {Name: "demo_data"}},
		images:     map[string]string{"busybox": "sha256:img"},
	}
	p, err := planUp(m, obs, m.order, UpOptions{RemoveOrphans: true})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, p, `
#1 StopContainer service:legacy:1 orph: orphan
#2 RemoveContainer service:legacy:1 orph <- #1: orphan
#3 StopContainer service:web:3 web3: scaled down
#4 RemoveContainer service:web:3 web3 <- #3: scaled down
#5 WaitService service:db service_healthy [db1]: web depends on it
#6 StartContainer service:web:1 web1 <- #5: container is exited
#7 CreateContainer service:web:2 demo-web-2: no container
#8 StartContainer service:web:2 demo-web-2 <- #5 #7
#9 CreateContainer service:worker:1 wrk1_demo-worker-1: configuration changed
#10 WaitService service:db service_started [db1]: worker depends on it
#11 StopContainer service:worker:1 wrk1 timeout=5 <- #9 #10: replaced
#12 RemoveContainer service:worker:1 wrk1 <- #11: replaced
#13 RenameContainer service:worker:1 wrk1_demo-worker-1 -> demo-worker-1 <- #9 #12
#14 StartContainer service:worker:1 demo-worker-1 <- #10 #13
`)
	if p.Orphans[0] != "demo-legacy-1" {
		t.Fatalf("orphans %v", p.Orphans)
	}
	if got := p.Ops[8].Spec.Labels[LabelReplace]; got != "worker-1" {
		t.Fatalf("replace label %q, want docker compose's worker-1", got)
	}

	// Nothing changed: an empty plan.
	web1.State = "running"
	worker.Labels = map[string]string{LabelConfigHash: m.services["worker"].hash, LabelImage: "sha256:img"}
	web2 := running(m, "web", 2, "web2")
	obs.containers = []observedContainer{db, web1, web2, worker}
	p, err = planUp(m, obs, m.order, UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, p, "")

	// --force-recreate recreates, --no-recreate never does.
	p, _ = planUp(m, obs, []string{"db"}, UpOptions{ForceRecreate: true})
	golden(t, p, `
#1 CreateContainer service:db:1 db1_demo-db-1: force recreate
#2 StopContainer service:db:1 db1 <- #1: replaced
#3 RemoveContainer service:db:1 db1 <- #2: replaced
#4 RenameContainer service:db:1 db1_demo-db-1 -> demo-db-1 <- #1 #3
#5 StartContainer service:db:1 demo-db-1 <- #4
`)
	worker.Labels[LabelConfigHash] = "old"
	obs.containers[3] = worker
	p, _ = planUp(m, obs, m.order, UpOptions{NoRecreate: true})
	golden(t, p, "")

	// A new image id recreates.
	obs.images["busybox"] = "sha256:new"
	p, _ = planUp(m, obs, []string{"db"}, UpOptions{})
	if len(p.Ops) == 0 || p.Ops[0].Cause != "image changed" {
		t.Fatalf("plan:\n%s", p)
	}
}

func TestPlanDown(t *testing.T) {
	m := modelOf(t, planYAML)
	db := running(m, "db", 1, "db1")
	web := running(m, "web", 1, "web1")
	web.State = "exited"
	worker := running(m, "worker", 1, "wrk1")
	orphan := running(m, "db", 1, "orph")
	orphan.service, orphan.Name = "legacy", "demo-legacy-1"
	labels := map[string]string{LabelProject: "demo"}
	obs := &observedState{
		containers: []observedContainer{db, orphan, web, worker},
		networks:   map[string]core.NetworkInfo{"demo_default": {Name: "demo_default", Labels: labels}},
		volumes:    map[string]core.VolumeInfo{"demo_data": {Name: "demo_data", Labels: labels}},
	}
	golden(t, planDown(m, obs, DownOptions{Volumes: true}), `
#1 StopContainer service:worker:1 wrk1 timeout=5
#2 RemoveContainer service:worker:1 wrk1 <- #1
#3 RemoveContainer service:web:1 web1
#4 StopContainer service:db:1 db1 <- #1 #3
#5 RemoveContainer service:db:1 db1 <- #4
#6 RemoveNetwork network:default demo_default (optional) <- #2 #3 #5
#7 RemoveVolume volume:data demo_data <- #2 #3 #5
`)
	timeout := 0
	golden(t, planDown(m, obs, DownOptions{RemoveOrphans: true, Timeout: &timeout, RemoveImages: "all"}), `
#1 StopContainer service:legacy:1 orph timeout=0: orphan
#2 RemoveContainer service:legacy:1 orph <- #1: orphan
#3 StopContainer service:worker:1 wrk1 timeout=0
#4 RemoveContainer service:worker:1 wrk1 <- #3
#5 RemoveContainer service:web:1 web1
#6 StopContainer service:db:1 db1 timeout=0 <- #3 #5
#7 RemoveContainer service:db:1 db1 <- #6
#8 RemoveNetwork network:default demo_default <- #2 #4 #5 #7
#9 RemoveImage image:busybox busybox <- #2 #4 #5 #7
`)
	// A network without the project's label is not ours.
	obs.networks["demo_default"] = core.NetworkInfo{Name: "demo_default"}
	if p := planDown(m, &observedState{networks: obs.networks}, DownOptions{}); !p.Empty() {
		t.Fatalf("plan:\n%s", p)
	}
}

func TestPlanImages(t *testing.T) {
	m := modelOf(t, `
services:
  app: {build: {context: ., target: prod}}
  db: {image: "postgres:16", pull_policy: always}
  cache: {image: "redis:7"}
  local: {image: "mine:1", pull_policy: never}
`)
	obs := &observedState{images: map[string]string{"redis:7": "sha256:r"}}
	p, err := planImages(m, obs, m.order, UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, p, `
#1 BuildImage image:demo-app demo-app: image not found
#2 PullImage image:postgres:16 postgres:16: pull_policy always
`)
	if p.Ops[0].Build.Target != "prod" || !strings.HasPrefix(p.Ops[0].Build.Context, "/") {
		t.Fatalf("build %+v", p.Ops[0].Build)
	}
	p, _ = planImages(m, obs, m.order, UpOptions{Pull: "always", NoBuild: true})
	golden(t, p, `
#1 PullImage image:demo-app demo-app: pull_policy always
#2 PullImage image:redis:7 redis:7: pull_policy always
#3 PullImage image:postgres:16 postgres:16: pull_policy always
#4 PullImage image:mine:1 mine:1: pull_policy always
`)
	// An image one service builds is not pulled for another using it.
	m = modelOf(t, `
services:
  api: {image: "myapp:1"}
  builder: {image: "myapp:1", build: {context: .}}
`)
	p, _ = planImages(m, &observedState{images: map[string]string{}}, m.order, UpOptions{})
	golden(t, p, `
#1 BuildImage image:myapp:1 myapp:1: image not found
`)
}

func TestPlanStartAndStop(t *testing.T) {
	m := modelOf(t, planYAML)
	db := running(m, "db", 1, "db1")
	web := running(m, "web", 1, "web1")
	worker := running(m, "worker", 1, "wrk1")
	obs := &observedState{containers: []observedContainer{db, web, worker}}
	golden(t, planStop(m, obs, m.order, nil), `
#1 StopContainer service:worker:1 wrk1 timeout=5
#2 StopContainer service:web:1 web1
#3 StopContainer service:db:1 db1 <- #1 #2
`)
	p, err := planStart(m, obs, []string{"db"}, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, p, `
#1 RestartContainer service:db:1 db1
`)
}
