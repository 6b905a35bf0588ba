package workload

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

// outcome is what became of one node in a run.
type outcome struct {
	state  string // "started", "failed", "skipped"
	reason string // failed: the error; skipped: why
}

// runner is one Run.
type runner struct {
	cfg      *config
	b        backend.Backend
	g        core.WorkloadGraph
	order    []string
	levels   [][]string
	edges    map[string][]core.WorkloadEdge // by From, sorted by To
	base     *types.Project
	waiter   *engine.Engine // over base: edge waits, finding containers
	strategy string
	policy   string
	delay    time.Duration

	created *engine.Recorder // what the run's engines created, for rollback-all

	mu         sync.Mutex
	resolved   map[string]map[string]string
	outcomes   map[string]*outcome
	firstErr   error
	failedNode string
	stop       bool // rollback-all or halt-graph after a failure: start nothing more
	cancelRun  context.CancelFunc
}

// checkOptions validates and defaults the run options.
func checkOptions(o core.RunGraphOptions) (strategy, policy string, delay time.Duration, err error) {
	strategy, policy, delay = o.Strategy, o.OnFailure, DefaultLevelDelay
	if strategy == "" {
		strategy = StrategyDependencyAware
	}
	if policy == "" {
		policy = OnFailureRollbackAll
	}
	if !slices.Contains(strategies, strategy) {
		return "", "", 0, core.InvalidArgument("opts.strategy", "%q is not one of %s", o.Strategy, quoted(strategies))
	}
	if !slices.Contains(onFailures, policy) {
		return "", "", 0, core.InvalidArgument("opts.onFailure", "%q is not one of %s", o.OnFailure, quoted(onFailures))
	}
	if o.LevelDelayMs != nil {
		if *o.LevelDelayMs < 0 {
			return "", "", 0, core.InvalidArgument("opts.levelDelayMs", "must not be negative")
		}
		delay = time.Duration(*o.LevelDelayMs) * time.Millisecond
	}
	return strategy, policy, delay, nil
}

// Run runs a graph on b: it normalizes and validates it (against the
// backend too: ValidateBackend), creates the graph's networks and volumes,
// then starts the nodes per opts.Strategy, resolving each node's references
// just before it is created, and applies opts.OnFailure when a node fails
// (see the package documentation). It returns:
//
//   - on success: the handle, nil;
//   - rollback-all after a failure: nil and the error, everything this run
//     created removed (Details["rollbackErrors"] lists what could not be);
//   - halt-graph after a failure: the handle (partial) and the error;
//   - partial-continue: the handle and nil, whatever failed (see
//     Handle.Status).
//
// The error of a failed node is a *core.Error naming it in
// Details["node"] (ServiceStartupFailed, or WorkloadRefResolutionFailed);
// validation errors come before any change. Cancelling ctx stops the run;
// it then ends as after a failure.
func Run(ctx context.Context, b backend.Backend, g core.WorkloadGraph, opts core.RunGraphOptions, options ...Option) (*Handle, error) {
	cfg := newConfig(options)
	if opts.Target != "" && opts.Target != "local" {
		// Never a silent local run of a graph meant for a cluster.
		return nil, core.InvalidArgument("opts.target", "%q: Run runs a graph on one engine (target \"local\"); RunSwarm runs it on Docker Swarm", opts.Target)
	}
	strategy, policy, delay, err := checkOptions(opts)
	if err != nil {
		return nil, err
	}
	g, err = Normalize(g)
	if err != nil {
		return nil, err
	}
	var info core.BackendInfo
	if cfg.info != nil {
		info = *cfg.info
	} else if info, err = b.Info(ctx); err != nil {
		return nil, err
	}
	if err := ValidateBackend(g, info); err != nil {
		return nil, err
	}
	r := &runner{cfg: cfg, b: b, g: g, strategy: strategy, policy: policy, delay: delay,
		edges: map[string][]core.WorkloadEdge{}, resolved: map[string]map[string]string{}, outcomes: map[string]*outcome{}}
	r.order, r.levels = order(g)
	for _, e := range g.Edges { // sorted by From, then To
		r.edges[e.From] = append(r.edges[e.From], e)
	}
	r.logHints(ctx)

	if r.base, err = buildProject(ctx, g); err != nil {
		return nil, err
	}
	r.created = &engine.Recorder{}
	r.waiter = engine.New(b, r.base, r.engineOptions()...)

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	r.cancelRun = cancel
	if err := r.waiter.EnsureResources(runCtx, nil); err != nil {
		r.fail("", err)
	} else {
		r.execute(runCtx, ctx)
	}

	r.mu.Lock()
	firstErr, failed := r.firstErr, r.failedNode
	r.mu.Unlock()
	if firstErr == nil && ctx.Err() != nil {
		firstErr = core.AsError(ctx.Err())
	}
	if firstErr != nil && (policy == OnFailureRollbackAll || failed == "" && ctx.Err() == nil) {
		// A failure before any node (EnsureResources) is rolled back whatever the policy.
		if problems := r.waiter.Rollback(ctx, r.created); len(problems) > 0 {
			firstErr = core.AsError(firstErr).With("rollbackErrors", problems)
		}
		return nil, firstErr
	}
	h := r.handle()
	if policy == OnFailurePartialContinue && ctx.Err() == nil {
		return h, nil
	}
	return h, firstErr
}

// logHints logs the trust-boundary warnings and the advisory hints.
func (r *runner) logHints(ctx context.Context) {
	for _, e := range r.g.Edges {
		from, to := r.g.Nodes[e.From], r.g.Nodes[e.To]
		if from.Policy.Tier == TierUntrusted && to.Policy.Tier != TierUntrusted && !e.TrustBoundary {
			r.cfg.log.LogAttrs(ctx, slog.LevelWarn,
				fmt.Sprintf("WorkloadGraph trust boundary crossing: untrusted node '%s' depends on trusted node '%s'", e.From, e.To),
				slog.String("graph", r.g.Name), slog.String("node", e.From), slog.String("dependency", e.To))
		}
		if e.Locality != "" || e.LatencyClass != "" {
			r.cfg.log.LogAttrs(ctx, slog.LevelDebug, "perry-container: workload edge hints (advisory, not enforced)",
				slog.String("graph", r.g.Name), slog.String("from", e.From), slog.String("to", e.To),
				slog.String("locality", e.Locality), slog.String("latencyClass", e.LatencyClass))
		}
	}
}

// engineOptions are the options of the run's engines: they record what
// they create for a rollback-all.
func (r *runner) engineOptions() []engine.Option {
	return append(r.cfg.engineOptions(), engine.WithRecorder(r.created))
}

// execute starts the nodes per the strategy.
func (r *runner) execute(runCtx, upCtx context.Context) {
	switch r.strategy {
	case StrategySequential:
		for _, id := range r.order {
			r.step(runCtx, upCtx, id)
		}
	case StrategyDependencyAware, StrategyParallelSafe:
		for i, level := range r.levels {
			if i > 0 && r.strategy == StrategyParallelSafe && r.delay > 0 && !r.stopped() {
				t := time.NewTimer(r.delay)
				select {
				case <-t.C:
				case <-runCtx.Done():
					t.Stop()
				}
			}
			var wg sync.WaitGroup
			for _, id := range level {
				wg.Go(func() { r.step(runCtx, upCtx, id) })
			}
			wg.Wait()
		}
	case StrategyMaxParallel:
		done := make(map[string]chan struct{}, len(r.order))
		for _, id := range r.order {
			done[id] = make(chan struct{})
		}
		var wg sync.WaitGroup
		for _, id := range r.order {
			wg.Go(func() {
				defer close(done[id])
				for _, e := range r.edges[id] {
					<-done[e.To] // every node's goroutine ends, so this cannot block forever
				}
				r.step(runCtx, upCtx, id)
			})
		}
		wg.Wait()
	}
}

func (r *runner) stopped() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stop
}

// blocked says why id must not start, or "".
func (r *runner) blocked(id string) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stop {
		return fmt.Sprintf("not started: the graph stopped starting nodes after node %q failed (%s)", r.failedNode, r.policy)
	}
	for _, e := range r.edges[id] {
		if o := r.outcomes[e.To]; o == nil || o.state != "started" {
			what := "did not start"
			if o != nil && o.state == "failed" {
				what = "failed"
			} else if o != nil {
				what = "was skipped"
			}
			return fmt.Sprintf("skipped: it depends on node %q, which %s", e.To, what)
		}
	}
	return ""
}

func (r *runner) set(id, state, reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if o := r.outcomes[id]; o != nil && o.state == "failed" {
		return // a failure is never overwritten
	}
	r.outcomes[id] = &outcome{state: state, reason: reason}
}

// step runs one node, or skips it, and records what became of it.
func (r *runner) step(runCtx, upCtx context.Context, id string) {
	if why := r.blocked(id); why != "" {
		r.set(id, "skipped", why)
		return
	}
	failed, err := r.runNode(runCtx, upCtx, id)
	switch {
	case err == nil:
		r.set(id, "started", "")
	case errors.Is(err, errStopped):
		// Interrupted because another node failed first.
		r.set(id, "skipped", fmt.Sprintf("not started: the graph stopped starting nodes after node %q failed (%s)", r.failedNodeName(), r.policy))
	default:
		r.fail(failed, err)
		if failed != id {
			r.set(id, "skipped", fmt.Sprintf("skipped: it depends on node %q, which failed", failed))
		}
	}
}

func (r *runner) failedNodeName() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failedNode
}

// errStopped reports a node not started because the run stopped.
var errStopped = errors.New("the run stopped")

// fail records node's failure; the first failure is the run's error and,
// under rollback-all and halt-graph, stops the run.
func (r *runner) fail(node string, err error) {
	ce := core.AsError(err)
	switch ce.Kind {
	case core.KindServiceStartupFailed, core.KindWorkloadRefResolutionFailed, core.KindCancelled, core.KindTimeout:
	default:
		if node != "" {
			wrapped := core.Errorf(core.KindServiceStartupFailed, "node %q failed to start: %s", node, ce.Error())
			wrapped.Err = err
			for k, v := range ce.Details {
				wrapped = wrapped.With(k, v)
			}
			ce = wrapped
		}
	}
	if node != "" {
		ce = ce.With("node", node)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if node != "" {
		r.outcomes[node] = &outcome{state: "failed", reason: ce.Error()}
	}
	if r.firstErr == nil {
		r.firstErr, r.failedNode = ce, node
	}
	if r.policy != OnFailurePartialContinue || node == "" {
		r.stop = true
		r.cancelRun()
	}
}

// runNode waits for id's edges, resolves its references, brings it up and
// waits until it has started. On failure it returns the node that failed:
// id, or the dependency whose wait failed.
func (r *runner) runNode(runCtx, upCtx context.Context, id string) (string, error) {
	for _, e := range r.edges[id] {
		if err := r.waiter.WaitFor(runCtx, e.To, composeCondition(e.Condition), id); err != nil {
			if r.stopped() && runCtx.Err() != nil {
				return id, errStopped
			}
			if k := core.KindOf(err); k == core.KindCancelled || k == core.KindTimeout {
				return id, err
			}
			return e.To, err
		}
	}
	env, err := r.resolveRefs(runCtx, id)
	if err != nil {
		if r.stopped() && runCtx.Err() != nil {
			return id, errStopped
		}
		return id, err
	}
	if r.stopped() {
		return id, errStopped
	}
	// A node being brought up is not interrupted by another's failure (only
	// by the caller): a create cancelled in flight may still complete in the
	// engine, and would then be a container nobody knows about.
	ctx := upCtx
	e := engine.New(r.b, withEnv(r.base, id, env), r.engineOptions()...)
	if err := e.Up(ctx, engine.UpOptions{Services: []string{id}, NoDeps: true}); err != nil {
		return id, err
	}
	if err := r.waiter.WaitFor(ctx, id, types.ServiceConditionStarted, ""); err != nil {
		return id, err
	}
	return "", nil
}

// resolveRefs resolves the references of id's env against its targets'
// containers (docs/design.md, Workload references).
func (r *runner) resolveRefs(ctx context.Context, id string) (map[string]string, error) {
	n := r.g.Nodes[id]
	out := map[string]string{}
	infos := map[string]core.ContainerInfo{}
	for _, k := range slices.Sorted(maps.Keys(n.Env)) {
		ref := n.Env[k].Ref
		if ref == nil {
			continue
		}
		info, ok := infos[ref.NodeID]
		if !ok {
			var err error
			if info, err = nodeContainer(ctx, r.waiter, r.b, ref.NodeID); err != nil {
				return nil, refError(id, k, *ref, err)
			}
			infos[ref.NodeID] = info
		}
		v, err := ResolveRef(*ref, info)
		if err != nil {
			return nil, refError(id, k, *ref, err)
		}
		out[k] = v
	}
	if len(out) > 0 {
		r.mu.Lock()
		r.resolved[id] = out
		r.mu.Unlock()
	}
	return out, nil
}

// refError names the dependent node and variable of a failed resolution.
func refError(node, env string, ref core.WorkloadRef, err error) error {
	ce := core.AsError(err)
	if ce.Kind == core.KindCancelled || ce.Kind == core.KindTimeout {
		return ce
	}
	reason, _ := ce.Details["reason"].(string)
	if reason == "" {
		reason = ce.Error()
	}
	return core.Errorf(core.KindWorkloadRefResolutionFailed, "node %q: env %s: cannot resolve the %s of node %q: %s", node, env, ref.Projection, ref.NodeID, reason).
		With("node", node).With("env", env).With("target", ref.NodeID).With("projection", ref.Projection).With("reason", reason)
}

// nodeContainer inspects the container of a node (found by labels).
func nodeContainer(ctx context.Context, e *engine.Engine, b backend.Backend, id string) (core.ContainerInfo, error) {
	cs, err := e.Ps(ctx, engine.PsOptions{All: true, Services: []string{id}})
	if err != nil {
		return core.ContainerInfo{}, err
	}
	if len(cs) == 0 {
		return core.ContainerInfo{}, core.Errorf(core.KindWorkloadRefResolutionFailed, "node %q has no container", id).
			With("reason", fmt.Sprintf("node %q has no container", id))
	}
	return b.Inspect(ctx, cs[0].ID)
}

// handle builds the handle of a run that keeps what it started.
func (r *runner) handle() *Handle {
	r.mu.Lock()
	defer r.mu.Unlock()
	p := r.base
	for _, id := range slices.Sorted(maps.Keys(r.resolved)) {
		p = withEnv(p, id, r.resolved[id])
	}
	h := &Handle{b: r.b, g: r.g, order: r.order, project: p, cfg: r.cfg,
		resolved: map[string]map[string]string{}, outcomes: map[string]outcome{}}
	h.engine = engine.New(r.b, p, r.cfg.engineOptions()...)
	maps.Copy(h.resolved, r.resolved)
	for id, o := range r.outcomes {
		if o.state != "started" {
			h.outcomes[id] = *o
		}
	}
	for _, id := range r.order {
		if r.outcomes[id] == nil {
			h.outcomes[id] = outcome{state: "skipped", reason: "not started"}
		}
	}
	return h
}
