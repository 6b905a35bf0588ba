package engine

import (
	"maps"
	"testing"
)

// An image the classic builder makes is marked so, as docker compose marks
// what it builds without BuildKit; its other build labels stay. Another
// builder's image is not marked.
func TestClassicBuildLabel(t *testing.T) {
	yaml := `
services:
  app:
    build: {context: ., labels: {team: x}}
`
	for _, tc := range []struct {
		name       string
		notClassic bool
		want       map[string]string
	}{
		{"classic builder", false, map[string]string{"team": "x", LabelImageBuilder: "classic"}},
		{"another builder", true, map[string]string{"team": "x"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &featureBackend{Backend: newFake(), name: "x", notClassic: tc.notClassic}
			e, _ := newEngine(t, b, load(t, yaml))
			plans, err := e.PlanUp(ctxT(t), UpOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var built bool
			for _, p := range plans {
				for _, op := range p.Ops {
					if op.Type == OpBuildImage {
						built = true
						if !maps.Equal(op.Build.Labels, tc.want) {
							t.Errorf("build labels %v, want %v", op.Build.Labels, tc.want)
						}
					}
				}
			}
			if !built {
				t.Fatal("the plan builds nothing")
			}
		})
	}
}
