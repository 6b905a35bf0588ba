package engine

import (
	"slices"
	"testing"
)

// A dry run reports the plan's ops as events and makes no backend call
// that changes anything: first on an empty engine, then on a running
// project whose down is simulated.
func TestDryRunUpAndDownChangeNothing(t *testing.T) {
	b := newFake()
	p := load(t, `
services:
  db:
    image: busybox
    command: [sleep, "1000"]
    volumes: [data:/data]
  web:
    image: busybox
    command: [sleep, "1000"]
    depends_on: [db]
volumes:
  data: {}
`)
	e, log := newEngine(t, b, p)
	ctx := ctxT(t)
	writes := func() []string {
		var out []string
		for _, m := range b.Methods() {
			switch m {
			case "List", "Inspect", "InspectImage", "InspectNetwork", "InspectVolume", "ListNetworks", "ListVolumes", "ListImages", "Info", "Check":
			default:
				out = append(out, m)
			}
		}
		return out
	}
	b.ResetCalls()
	if err := e.DryRunUp(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if w := writes(); len(w) != 0 {
		t.Fatalf("dry-run up called %v", w)
	}
	for _, want := range []struct {
		status EventStatus
		id     string
	}{{StatusCreated, "demo_default"}, {StatusCreated, "demo_data"}, {StatusCreated, "demo-db-1"}, {StatusStarted, "demo-web-1"}} {
		if len(log.find(want.status, want.id)) == 0 {
			t.Errorf("no %s event for %s", want.status, want.id)
		}
	}
	plans, err := e.PlanUp(ctx, UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, pl := range plans {
		for _, op := range pl.Ops {
			ops = append(ops, string(op.Type))
		}
	}
	if !slices.Contains(ops, string(OpCreateContainer)) || !slices.Contains(ops, string(OpCreateNetwork)) {
		t.Fatalf("plan: %v", ops)
	}

	if err := e.Up(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	ids := containerIDs(t, b)
	b.ResetCalls()
	if err := e.DryRunDown(ctx, DownOptions{Volumes: true}); err != nil {
		t.Fatal(err)
	}
	if w := writes(); len(w) != 0 {
		t.Fatalf("dry-run down called %v", w)
	}
	if got := containerIDs(t, b); len(got) != len(ids) {
		t.Fatalf("containers after a dry-run down: %v, before %v", got, ids)
	}
	if len(log.find(StatusRemoved, "demo-web-1")) == 0 || len(log.find(StatusRemoved, "demo_data")) == 0 {
		t.Errorf("dry-run down events: %v", log)
	}
	// Up again with nothing changed: nothing to report.
	n := len(log.find(StatusCreated, ""))
	if err := e.DryRunUp(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if m := len(log.find(StatusCreated, "")); m != n {
		t.Errorf("a dry-run up of an unchanged project reports creations: %d → %d", n, m)
	}
}
