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
