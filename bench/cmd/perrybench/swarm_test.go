package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/compose/loader"
)

// The swarm scenario's two files describe the same stack: 10 services over
// 3 levels, each with the healthcheck; ours gates every edge on
// service_healthy, docker stack deploy's file keeps the short list its
// loader accepts.
func TestSwarmStackFiles(t *testing.T) {
	st := swarmStack()
	if len(st.services) != 10 || len(st.levels()) != 3 {
		t.Fatalf("%d services over %d levels, want 10 over 3", len(st.services), len(st.levels()))
	}
	dir := t.TempDir()
	for _, forStack := range []bool{false, true} {
		file := filepath.Join(dir, map[bool]string{false: "ours.yaml", true: "stack.yaml"}[forStack])
		text := swarmYAML(st, forStack)
		if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if got := strings.Contains(text, "condition:"); got == forStack {
			t.Fatalf("forStack=%v: conditions present = %v", forStack, got)
		}
		p, err := loader.Load(context.Background(), loader.Options{Files: []string{file}, ProjectName: swarmPrefix + "-test",
			Environment: map[string]string{}})
		if err != nil {
			t.Fatalf("forStack=%v: %v", forStack, err)
		}
		gated := 0
		for name, s := range p.Services {
			if s.HealthCheck == nil || strings.Join(s.HealthCheck.Test, " ") != "CMD-SHELL test -f /tmp/ready" {
				t.Fatalf("%s: healthcheck %+v", name, s.HealthCheck)
			}
			if s.Labels[testLabel] != "1" || s.Deploy == nil || s.Deploy.Labels[testLabel] != "1" {
				t.Fatalf("%s: not labelled %s=1 on the container and the service", name, testLabel)
			}
			for _, d := range s.DependsOn {
				want := types.ServiceConditionStarted
				if !forStack {
					want = types.ServiceConditionHealthy
				}
				if d.Condition != want {
					t.Fatalf("forStack=%v %s: condition %q, want %q", forStack, name, d.Condition, want)
				}
				gated++
			}
		}
		if gated != 7 {
			t.Fatalf("forStack=%v: %d edges, want 7 (every service below the first level)", forStack, gated)
		}
	}
}
