package swarm

import (
	"strings"
	"testing"

	bswarm "github.com/perryts/perry-container/backend/swarm"
	"github.com/perryts/perry-container/core"
)

func TestPickTask(t *testing.T) {
	here := bswarm.NodeInfo{NodeID: "n1", Hostname: "alpha"}
	tasks := []Task{
		{Name: "st_web.1", Service: "web", Slot: 1, NodeID: "n1", Node: "alpha", DesiredState: "running", State: "running", ContainerID: "c1"},
		{Name: "st_web.2", Service: "web", Slot: 2, NodeID: "n2", Node: "beta", DesiredState: "running", State: "running", ContainerID: "c2"},
		{Name: "st_web.3", Service: "web", Slot: 3, NodeID: "n1", Node: "alpha", DesiredState: "shutdown", State: "running", ContainerID: "c3"},
		{Name: "st_db.1", Service: "db", Slot: 1, NodeID: "n1", Node: "alpha", DesiredState: "running", State: "starting", ContainerID: "c4"},
	}
	if id, err := pickTask(tasks, "web", 0, here); err != nil || id != "c1" {
		t.Fatalf("index 0: %q %v", id, err)
	}
	_, err := pickTask(tasks, "web", 2, here)
	ce := core.AsError(err)
	if err == nil || ce.Kind != core.KindInvalidArgument || ce.Details["node"] != "beta" || !strings.Contains(ce.Message, "beta") {
		t.Fatalf("a task on another node: %v", err)
	}
	if _, err := pickTask(tasks, "web", 3, here); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("a task being shut down was picked: %v", err)
	}
	if _, err := pickTask(tasks, "db", 1, here); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("a starting task was picked: %v", err)
	}
}

func TestSelectServices(t *testing.T) {
	pl := &Plan{Services: map[string]*ServicePlan{"a": {}, "b": {}, "c": {}, "d": {}}}
	deps := map[string][]string{"c": {"b"}, "b": {"a"}, "d": {"gone"}}
	sel, err := selectServices(pl, deps, []string{"c"})
	if err != nil || len(sel) != 3 || !sel["a"] || !sel["b"] || !sel["c"] {
		t.Fatalf("c: %v %v", sel, err)
	}
	if sel, err := selectServices(pl, deps, nil); err != nil || len(sel) != 4 {
		t.Fatalf("all: %v %v", sel, err)
	}
	if _, err := selectServices(pl, deps, []string{"nope"}); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("unknown: %v", err)
	}
}
