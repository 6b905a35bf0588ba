package swarm

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/swarm"

	bswarm "github.com/perryts/perry-container/backend/swarm"
	"github.com/perryts/perry-container/core"
)

// The gate's reading of a task list, for tasks on another node (no
// container inspect): what counts as started, completed or failed.
func TestEvaluate(t *testing.T) {
	tg := &Target{node: bswarm.NodeInfo{NodeID: "here"}}
	cs := &swarm.ContainerSpec{Image: "img", Args: []string{"sleep", "1"}}
	old := &swarm.ContainerSpec{Image: "img", Args: []string{"sleep", "0"}}
	svc := swarm.Service{Spec: swarm.ServiceSpec{TaskTemplate: swarm.TaskSpec{ContainerSpec: cs}}}
	job := svc
	job.JobStatus = &swarm.JobStatus{JobIteration: swarm.Version{Index: 7}}
	task := func(state, desired swarm.TaskState, spec *swarm.ContainerSpec, mods ...func(*swarm.Task)) swarm.Task {
		tk := swarm.Task{ID: "t" + string(state), NodeID: "elsewhere", DesiredState: desired, Spec: swarm.TaskSpec{ContainerSpec: spec},
			Status: swarm.TaskStatus{State: state}}
		for _, m := range mods {
			m(&tk)
		}
		return tk
	}
	iter := func(i uint64) func(*swarm.Task) {
		return func(tk *swarm.Task) { tk.JobIteration = &swarm.Version{Index: i} }
	}
	exit := func(code int, msg string) func(*swarm.Task) {
		return func(tk *swarm.Task) {
			tk.Status.ContainerStatus = &swarm.ContainerStatus{ExitCode: code}
			tk.Status.Err = msg
		}
	}
	R, C, F, S, X := swarm.TaskStateRunning, swarm.TaskStateComplete, swarm.TaskStateFailed, swarm.TaskStateShutdown, swarm.TaskStateRejected
	cases := []struct {
		name      string
		sp        ServicePlan
		svc       swarm.Service
		cond      string
		noRestart bool
		tasks     []swarm.Task
		done      bool
		fail      string // in the failure's message; "" for none
	}{
		{"started: all replicas running", ServicePlan{Service: "a", Replicas: 2}, svc, types.ServiceConditionStarted, false,
			[]swarm.Task{task(R, R, cs), task(R, R, cs)}, true, ""},
		{"started: one of two", ServicePlan{Service: "a", Replicas: 2}, svc, types.ServiceConditionStarted, false,
			[]swarm.Task{task(R, R, cs), task(swarm.TaskStateStarting, R, cs)}, false, ""},
		{"started: an old spec's task does not count", ServicePlan{Service: "a", Replicas: 1}, svc, types.ServiceConditionStarted, false,
			[]swarm.Task{task(R, R, old)}, false, ""},
		{"started: a task being shut down does not count", ServicePlan{Service: "a", Replicas: 1}, svc, types.ServiceConditionStarted, false,
			[]swarm.Task{task(R, S, cs)}, false, ""},
		{"healthy: running elsewhere is healthy", ServicePlan{Service: "a", Replicas: 1}, svc, types.ServiceConditionHealthy, false,
			[]swarm.Task{task(R, R, cs)}, true, ""},
		{"failed without restart fails at once", ServicePlan{Service: "a", Replicas: 1}, svc, types.ServiceConditionStarted, true,
			[]swarm.Task{task(F, S, cs, exit(2, "boom"))}, false, "boom"},
		{"failed with restarts keeps waiting", ServicePlan{Service: "a", Replicas: 1}, svc, types.ServiceConditionStarted, false,
			[]swarm.Task{task(F, S, cs, exit(2, "boom"))}, false, ""},
		{"rejected fails at once", ServicePlan{Service: "a", Replicas: 1}, svc, types.ServiceConditionStarted, false,
			[]swarm.Task{task(X, R, cs, exit(0, "No such image"))}, false, "No such image"},
		{"completed: this iteration's tasks complete", ServicePlan{Service: "j", Replicas: 1, Job: true}, job, types.ServiceConditionCompletedSuccessfully, true,
			[]swarm.Task{task(C, C, cs, iter(7))}, true, ""},
		{"completed: an earlier iteration does not count", ServicePlan{Service: "j", Replicas: 1, Job: true}, job, types.ServiceConditionCompletedSuccessfully, true,
			[]swarm.Task{task(C, C, cs, iter(6))}, false, ""},
		{"completed: a failed job fails with its exit code", ServicePlan{Service: "j", Replicas: 1, Job: true}, job, types.ServiceConditionCompletedSuccessfully, true,
			[]swarm.Task{task(F, C, cs, iter(7), exit(3, "task: non-zero exit (3)"))}, false, "non-zero exit (3)"},
		{"started: a job that already completed has started", ServicePlan{Service: "j", Replicas: 1, Job: true}, job, types.ServiceConditionStarted, true,
			[]swarm.Task{task(C, C, cs, iter(7))}, true, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			done, err, _ := tg.evaluate(context.Background(), &tc.sp, tc.svc, tc.cond, tc.noRestart, tc.tasks)
			if tc.fail != "" {
				ce := core.AsError(err)
				if err == nil || ce.Kind != core.KindServiceStartupFailed || !strings.Contains(ce.Message, tc.fail) || ce.Details["service"] != tc.sp.Service {
					t.Fatalf("err %v, want ServiceStartupFailed of %s with %q", err, tc.sp.Service, tc.fail)
				}
				return
			}
			if err != nil || done != tc.done {
				t.Fatalf("done %v err %v, want done %v", done, err, tc.done)
			}
		})
	}
}

// A gate whose caller cancels reports Cancelled, not a timeout.
func TestGateTimeoutOrCancelled(t *testing.T) {
	tg := &Target{}
	sp := &ServicePlan{Service: "db"}
	err := tg.gateTimeout(context.Background(), sp, types.ServiceConditionHealthy, time.Second, "task: unhealthy")
	ce := core.AsError(err)
	if ce.Kind != core.KindTimeout || !strings.Contains(ce.Message, `"db" did not become healthy within 1s: task: unhealthy`) {
		t.Fatalf("timeout: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := tg.gateTimeout(ctx, sp, types.ServiceConditionHealthy, time.Second, ""); core.KindOf(err) != core.KindCancelled {
		t.Fatalf("cancelled: %v", err)
	}
}
