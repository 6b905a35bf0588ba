package swarm

import (
	"testing"

	"github.com/perryts/perry-container/core"
)

func TestServiceState(t *testing.T) {
	run := func(state, health string) Task {
		return Task{DesiredState: "running", State: state, Health: health, ContainerID: "c-" + state}
	}
	for _, tc := range []struct {
		name  string
		tasks []Task
		want  core.ServiceState
		err   string
	}{
		{"no task yet", nil, core.StatePending, ""},
		{"every replica running", []Task{run("running", ""), run("running", "healthy")}, core.StateRunning, ""},
		{"one replica still starting", []Task{run("running", ""), run("starting", "")}, core.StatePending, ""},
		{"health starting", []Task{run("running", "starting")}, core.StatePending, ""},
		{"unhealthy", []Task{run("running", "unhealthy")}, core.StatePending, ""},
		{"a job completed", []Task{{DesiredState: "complete", State: "complete"}}, core.StateStopped, ""},
		{"a job failed", []Task{{DesiredState: "shutdown", State: "failed", Error: "task: non-zero exit (3)"}}, core.StateFailed, "task: non-zero exit (3)"},
		{"a replaced task failed, the new one runs", []Task{{DesiredState: "shutdown", State: "failed", Error: "x"}, run("running", "")}, core.StateRunning, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			state, errText, _ := ServiceState(tc.tasks)
			if state != tc.want || errText != tc.err {
				t.Errorf("ServiceState = %s, %q; want %s, %q", state, errText, tc.want, tc.err)
			}
		})
	}
}
