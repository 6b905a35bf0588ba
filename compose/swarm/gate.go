package swarm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/swarm"

	bswarm "github.com/perryts/perry-container/backend/swarm"
	"github.com/perryts/perry-container/core"
)

// gateCache runs each (service, condition) gate once per up: dependents of
// one service in the same level share the wait.
type gateCache struct {
	mu sync.Mutex
	m  map[string]*gateResult
}

type gateResult struct {
	done chan struct{}
	err  error
}

func (g *gateCache) wait(ctx context.Context, t *Target, sp *ServicePlan, cond string, timeout time.Duration) error {
	key := sp.Service + "\x00" + cond
	g.mu.Lock()
	r, ok := g.m[key]
	if !ok {
		r = &gateResult{done: make(chan struct{})}
		g.m[key] = r
	}
	g.mu.Unlock()
	if !ok {
		r.err = t.gate(ctx, sp, cond, timeout)
		close(r.done)
		return r.err
	}
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return core.AsError(ctx.Err())
	}
}

// gate waits until sp meets cond in Swarm terms:
//   - service_started: every desired task is running;
//   - service_healthy: every desired task is running and its container is
//     healthy (inspected on this node; a task elsewhere counts once
//     running, as Swarm keeps a task with a healthcheck in "starting" until
//     its container is healthy);
//   - service_completed_successfully: the job's tasks completed with exit 0.
//
// A task that failed for good (rejected, or failed without a restart) fails
// the gate at once with its Status.Err; otherwise the gate fails when
// timeout passes, naming the last task error it saw.
func (t *Target) gate(parent context.Context, sp *ServicePlan, cond string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(parent, timeout)
	defer cancel()
	svc, err := t.c.InspectService(ctx, sp.Spec.Name)
	if err != nil {
		return serviceErr(sp.Service, err)
	}
	noRestart := svc.Spec.TaskTemplate.RestartPolicy != nil && svc.Spec.TaskTemplate.RestartPolicy.Condition == swarm.RestartPolicyConditionNone
	lastErr := ""
	for {
		tasks, err := t.c.ListTasks(ctx, bswarm.TaskFilter{Services: []string{svc.ID}})
		if err != nil {
			if ctx.Err() != nil {
				return t.gateTimeout(parent, sp, cond, timeout, lastErr)
			}
			return serviceErr(sp.Service, err)
		}
		done, failure, seen := t.evaluate(ctx, sp, svc, cond, noRestart, tasks)
		if failure != nil {
			return failure
		}
		if seen != "" {
			lastErr = seen
		}
		if done {
			return nil
		}
		select {
		case <-ctx.Done():
			return t.gateTimeout(parent, sp, cond, timeout, lastErr)
		case <-time.After(t.poll()):
		}
		if cond == types.ServiceConditionCompletedSuccessfully && (svc.JobStatus == nil) {
			// The job iteration appears once the manager has processed it.
			if s, err := t.c.InspectService(ctx, sp.Spec.Name); err == nil {
				svc = s
			}
		}
	}
}

func (t *Target) gateTimeout(parent context.Context, sp *ServicePlan, cond string, timeout time.Duration, lastErr string) error {
	if err := parent.Err(); err != nil {
		return core.AsError(err) // cancelled by the caller, not timed out
	}
	msg := fmt.Sprintf("service %q did not become %s within %v", sp.Service, condWord(cond), timeout)
	if lastErr != "" {
		msg += ": " + lastErr
	}
	return (&core.Error{Kind: core.KindTimeout, Message: msg}).With("service", sp.Service).With("condition", cond)
}

func condWord(cond string) string {
	switch cond {
	case types.ServiceConditionHealthy:
		return "healthy"
	case types.ServiceConditionCompletedSuccessfully:
		return "completed successfully"
	}
	return "running"
}

func failed(service, task, msg string, exit *int) error {
	e := (&core.Error{Kind: core.KindServiceStartupFailed, Message: fmt.Sprintf("service %q failed: task %s: %s", service, task, msg)}).
		With("service", service)
	if exit != nil {
		e = e.With("exitCode", *exit)
	}
	return e
}

func taskErr(tk swarm.Task) string {
	msg := tk.Status.Err
	if msg == "" {
		msg = tk.Status.Message
	}
	return fmt.Sprintf("%s (%s)", msg, tk.Status.State)
}

// currentSpec reports whether a task runs the service's current spec, so a
// gate after a rolling update waits for the new tasks, not the old ones
// still running. Swarm copies the task template into each task; the
// restart policy and runtime are not copied, so the container spec and
// resources are compared.
func currentSpec(tk swarm.Task, svc swarm.Service) bool {
	a, err1 := json.Marshal([]any{tk.Spec.ContainerSpec, tk.Spec.Resources})
	b, err2 := json.Marshal([]any{svc.Spec.TaskTemplate.ContainerSpec, svc.Spec.TaskTemplate.Resources})
	return err1 == nil && err2 == nil && bytes.Equal(a, b)
}

// evaluate reads one task list: whether the condition holds, a final
// failure, and the latest task error seen.
func (t *Target) evaluate(ctx context.Context, sp *ServicePlan, svc swarm.Service, cond string, noRestart bool, tasks []swarm.Task) (bool, error, string) {
	seen := ""
	var exit *int
	if cond == types.ServiceConditionCompletedSuccessfully {
		if svc.JobStatus == nil {
			return false, nil, ""
		}
		iter := svc.JobStatus.JobIteration.Index
		complete, total := 0, 0
		for _, tk := range tasks {
			if tk.JobIteration != nil && tk.JobIteration.Index != iter {
				continue
			}
			total++
			switch tk.Status.State {
			case swarm.TaskStateComplete:
				complete++
			case swarm.TaskStateFailed, swarm.TaskStateRejected:
				if cs := tk.Status.ContainerStatus; cs != nil {
					code := cs.ExitCode
					exit = &code
				}
				if noRestart || tk.Status.State == swarm.TaskStateRejected {
					return false, failed(sp.Service, tk.ID, taskErr(tk), exit), ""
				}
				seen = taskErr(tk)
			}
		}
		want := int(sp.Replicas)
		if want == 0 { // a global job: one per node it runs on
			want = total
		}
		return total > 0 && complete >= want, nil, seen
	}

	if sp.Job {
		// A job is started once its tasks of the current iteration have
		// started (running, or already complete); its desired state is
		// complete, not running.
		started := 0
		for _, tk := range tasks {
			if svc.JobStatus != nil && tk.JobIteration != nil && tk.JobIteration.Index != svc.JobStatus.JobIteration.Index {
				continue
			}
			switch tk.Status.State {
			case swarm.TaskStateRunning, swarm.TaskStateComplete:
				started++
			case swarm.TaskStateFailed, swarm.TaskStateRejected:
				if noRestart || tk.Status.State == swarm.TaskStateRejected {
					return false, failed(sp.Service, tk.ID, taskErr(tk), nil), ""
				}
				seen = taskErr(tk)
			}
		}
		return started >= max(int(sp.Replicas), 1), nil, seen
	}
	running, desired := 0, 0
	for _, tk := range tasks {
		switch tk.Status.State {
		case swarm.TaskStateRejected:
			if tk.DesiredState != swarm.TaskStateShutdown || noRestart {
				return false, failed(sp.Service, tk.ID, taskErr(tk), nil), ""
			}
			seen = taskErr(tk)
		case swarm.TaskStateFailed:
			if cs := tk.Status.ContainerStatus; cs != nil {
				code := cs.ExitCode
				exit = &code
			}
			if noRestart {
				return false, failed(sp.Service, tk.ID, taskErr(tk), exit), ""
			}
			seen = taskErr(tk)
		}
		if tk.DesiredState != swarm.TaskStateRunning || !currentSpec(tk, svc) {
			continue // a task of an earlier spec: a rolling update replaces it
		}
		desired++
		if tk.Status.State != swarm.TaskStateRunning {
			continue
		}
		if cond == types.ServiceConditionHealthy && tk.NodeID == t.node.NodeID && tk.Status.ContainerStatus != nil {
			info, err := t.c.Local().Inspect(ctx, tk.Status.ContainerStatus.ContainerID)
			if err != nil {
				continue // the container is going away: the next read tells
			}
			switch info.Health {
			case "healthy":
			case "":
				return false, (&core.Error{Kind: core.KindServiceStartupFailed,
					Message: fmt.Sprintf("service %q has no healthcheck configured, and a dependent waits for it to be healthy", sp.Service)}).With("service", sp.Service), ""
			default:
				continue
			}
		}
		running++
	}
	want := int(sp.Replicas)
	if want == 0 {
		want = max(desired, 1)
	}
	if sp.Replicas == 0 && svc.Spec.Mode.Replicated != nil {
		return true, nil, seen // scaled to zero: nothing to wait for
	}
	return running >= want, nil, seen
}
