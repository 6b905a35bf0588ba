package workload

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/swarm"

	"github.com/perryts/perry-container/backend"
	cswarm "github.com/perryts/perry-container/compose/swarm"
	"github.com/perryts/perry-container/core"
)

// Targets of a graph (core.RunGraphOptions.Target).
const (
	TargetLocal = "local"
	TargetSwarm = "swarm"
)

// swarmOptions checks the run options against what the Swarm target can
// do and returns the strategy, the failure policy and parallel-safe's delay.
func swarmOptions(o core.RunGraphOptions) (strategy, policy string, delay time.Duration, err error) {
	if strategy, policy, delay, err = checkOptions(o); err != nil {
		return "", "", 0, err
	}
	if policy == OnFailurePartialContinue && strategy != StrategySequential && strategy != StrategyMaxParallel {
		return "", "", 0, core.InvalidArgument("opts.onFailure",
			"%q is available on the swarm target with the sequential and max-parallel strategies only: a deploy of several services (%s) stops at the first gate that fails and cannot go on with the nodes that do not depend on it", policy, strategy)
	}
	return strategy, policy, delay, nil
}

// checkSwarmNodes refuses, node by node (in id order), what a Swarm service
// cannot do (see RunSwarm).
func checkSwarmNodes(g core.WorkloadGraph) error {
	for _, id := range slices.Sorted(maps.Keys(g.Nodes)) {
		n := g.Nodes[id]
		notOnSwarm := func(field, what, why string) error {
			return core.InvalidArgument("nodes."+id+"."+field, "node %q: %s is not available on Swarm: %s", id, what, why).With("node", id)
		}
		f := PolicyToContainerFlags(n.Policy)
		switch {
		case f.Isolation != "":
			return notOnSwarm("policy.tier", "policy tier "+n.Policy.Tier, "it needs a micro-VM sandbox, which only the local engine's backends provide")
		case f.Seccomp != "" || f.NoNewPrivileges:
			what := "policy tier " + n.Policy.Tier
			if n.Policy.Seccomp {
				what = "policy seccomp"
			}
			return notOnSwarm("policy", what, "the Swarm API of this engine takes no seccomp profile and no no-new-privileges for a service")
		case f.Network == "none":
			what := "policy tier " + n.Policy.Tier
			if n.Policy.NoNetwork {
				what = "policy noNetwork"
			}
			return notOnSwarm("policy", what, "a Swarm service always joins its stack's overlay network")
		}
		switch n.Runtime.Type {
		case "", RuntimeAuto, RuntimeOCI:
		default:
			return notOnSwarm("runtime.type", "runtime "+n.Runtime.Type, "Swarm runs OCI containers")
		}
		if len(n.Runtime.Config) > 0 && strings.TrimSpace(string(n.Runtime.Config)) != "null" {
			return notOnSwarm("runtime.config", "a micro-VM configuration", "Swarm runs OCI containers")
		}
		if n.Runtime.Module != "" {
			return notOnSwarm("runtime.module", "a wasm module", "Swarm runs OCI containers")
		}
		if n.NetworkMode != "" {
			return notOnSwarm("networkMode", "networkMode "+n.NetworkMode, "a Swarm service attaches to the graph's overlay network only")
		}
	}
	return nil
}

// serviceDNS is a node's service name: its DNS name on the graph's network.
func serviceDNS(project, node string) string { return project + "_" + node }

// resolveSwarmRef resolves a reference statically (see RunSwarm).
func resolveSwarmRef(project string, ref core.WorkloadRef, target core.WorkloadNode) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		reason := fmt.Sprintf(format, args...)
		return "", core.Errorf(core.KindWorkloadRefResolutionFailed, "cannot resolve the %s of node %q: %s", ref.Projection, ref.NodeID, reason).
			With("target", ref.NodeID).With("projection", ref.Projection).With("reason", reason)
	}
	host := serviceDNS(project, ref.NodeID)
	if ref.Projection == ProjectionIP {
		return host, nil
	}
	port := uint16(0)
	if ref.Port != "" {
		p, _, err := core.ParseContainerPort(ref.Port)
		if err != nil {
			return fail("%v", err)
		}
		port = p
	} else if ports := parsePorts(target.Ports); len(ports) > 0 {
		port = ports[0].containerPort
		for _, p := range ports { // the lowest tcp port, else any
			if p.proto == "tcp" {
				port = p.containerPort
				break
			}
		}
	}
	if port == 0 {
		return fail("node %q publishes no port; give the reference a port", ref.NodeID)
	}
	hp := net.JoinHostPort(host, strconv.Itoa(int(port)))
	switch ref.Projection {
	case ProjectionEndpoint:
		return hp, nil
	case ProjectionInternalURL:
		return "http://" + hp, nil
	}
	return fail("unknown projection %q", ref.Projection)
}

// swarmRefs resolves every reference of a normalized graph: node → env
// variable → value.
func swarmRefs(g core.WorkloadGraph) (map[string]map[string]string, error) {
	project := ProjectName(g.Name)
	out := map[string]map[string]string{}
	for _, id := range slices.Sorted(maps.Keys(g.Nodes)) {
		n := g.Nodes[id]
		for _, k := range slices.Sorted(maps.Keys(n.Env)) {
			ref := n.Env[k].Ref
			if ref == nil {
				continue
			}
			v, err := resolveSwarmRef(project, *ref, g.Nodes[ref.NodeID])
			if err != nil {
				return nil, refError(id, k, *ref, err)
			}
			if out[id] == nil {
				out[id] = map[string]string{}
			}
			out[id][k] = v
		}
	}
	return out, nil
}

// SwarmProject is the compose project a normalized graph deploys to Swarm
// as (see RunSwarm), with its references resolved, and the resolved
// values. It is pure: no engine call.
func SwarmProject(ctx context.Context, g core.WorkloadGraph, labels map[string]string) (*types.Project, map[string]map[string]string, error) {
	if err := checkSwarmNodes(g); err != nil {
		return nil, nil, err
	}
	refs, err := swarmRefs(g)
	if err != nil {
		return nil, nil, err
	}
	base, err := buildProject(ctx, g)
	if err != nil {
		return nil, nil, err
	}
	p := base
	for _, id := range slices.Sorted(maps.Keys(refs)) {
		p = withEnv(p, id, refs[id])
	}
	cp := *p
	cp.Services = maps.Clone(p.Services)
	for name, s := range cp.Services {
		d := types.DeployConfig{}
		if s.Deploy != nil {
			d = *s.Deploy
		}
		d.EndpointMode = "dnsrr"
		d.Labels = mergeLabels(d.Labels, labels, s.Labels, map[string]string{LabelGraph: g.Name})
		if s.CPUS != 0 || s.MemLimit != 0 {
			lim := &types.Resource{}
			if d.Resources.Limits != nil {
				*lim = *d.Resources.Limits
			}
			if s.CPUS != 0 {
				lim.NanoCPUs = types.NanoCPUs(s.CPUS)
			}
			if s.MemLimit != 0 {
				lim.MemoryBytes = s.MemLimit
			}
			d.Resources.Limits = lim
			s.CPUS, s.MemLimit = 0, 0
		}
		s.Deploy = &d
		s.Labels = mergeLabels(s.Labels, labels)
		s.Ports = slices.Clone(s.Ports)
		for i := range s.Ports {
			s.Ports[i].Mode = "host"
		}
		cp.Services[name] = s
	}
	cp.Networks = maps.Clone(p.Networks)
	for k, n := range cp.Networks {
		n.Labels = mergeLabels(n.Labels, labels)
		cp.Networks[k] = n
	}
	cp.Volumes = maps.Clone(p.Volumes)
	for k, v := range cp.Volumes {
		v.Labels = mergeLabels(v.Labels, labels)
		cp.Volumes[k] = v
	}
	return &cp, refs, nil
}

// mergeLabels is a copy of base with extra added (base wins).
func mergeLabels(base map[string]string, extra ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, e := range extra {
		maps.Copy(out, e)
	}
	maps.Copy(out, base)
	return out
}

// RunSwarm runs a graph on the swarm of t: it normalizes the graph, refuses
// what Swarm cannot do, resolves the references, and deploys the graph's
// project with the Swarm target's gating in the steps of opts.Strategy,
// waiting until every node meets the condition a dependent would wait for.
// It returns the handle and nil; under rollback-all after a failure nil and
// the error (what the run created removed); under halt-graph the handle and
// the error; under partial-continue the handle and nil. The handle does not
// own t: the caller closes it after Down.
//
// The graph runs as its compose project (the one Run runs locally, one
// service per node) deployed by compose/swarm's Target (docs/design.md,
// Swarm target) as the stack named after the graph. Each node is the service `<project>_<node>`, with the alias
// `<node>` on the graph's overlay network; a node another node waits for
// with the completed condition is a replicated job (restart policy none),
// and Swarm places the tasks. The mapping adds, to the local project:
//
//   - endpoint_mode dnsrr on every service: its name resolves to the
//     addresses of its tasks, which route on every node, where a VIP needs
//     IPVS (which the CI machine lacks; docs/design.md, Swarm target);
//     published ports are therefore published in mode host, on the node
//     the task runs on (the routing mesh needs a VIP);
//   - a node's resources (cpu, memory) as deploy.resources.limits;
//   - the caller's labels (WithLabels) on the services, their containers,
//     the networks and the volumes; a node's own labels and LabelGraph on
//     its service as well as on its containers.
//
// References are resolved statically, before anything is deployed, since
// every name is known: a consumer of a reference is a task on the graph's
// overlay network, so every projection is the service's DNS name there —
// ip: `<project>_<node>`; endpoint: `<project>_<node>:<port>`;
// internalUrl: `http://<project>_<node>:<port>` — with the reference's
// port, else the lowest tcp container port the node publishes (else any),
// else a WorkloadRefResolutionFailed asking for a port.
//
// Strategies: dependency-aware (the default) is one deploy with the Swarm
// target's own level gating: the services of a level are created in
// parallel, each once its dependencies meet their edge conditions (started:
// tasks running, healthy: containers healthy, completed: the job's tasks
// complete with exit 0), and RunSwarm returns once every node meets the
// condition a dependent would wait for. The other strategies are steps, each
// a deploy of some services (UpOptions.Services) gated the same way:
// sequential deploys one node at a time in topological order, each waited
// until it meets that condition before the next; parallel-safe deploys
// level by level, each level waited, with levelDelayMs (default 500 ms)
// between levels; max-parallel deploys the first node, then each other node
// as soon as the deploys of its dependencies returned (their conditions gate
// it inside the Swarm target), then waits for every node that started.
// A healthy edge needs a healthcheck on its dependency (the node's or its
// image's): where the local engine degrades such an edge to started with a
// warning, the Swarm target's gate fails it, naming the dependency.
//
// Failure policies: rollback-all (the default) undoes the run. A
// dependency-aware run removes exactly the services, networks, secrets and
// configs its deploy created and rolls a service it updated back to its
// previous spec (the Swarm target's rollback); a stepwise run removes the
// whole stack when it had no service before the run, else the services the
// run created (an earlier step's update of an existing service stays).
// RunSwarm then returns no handle. halt-graph keeps what was deployed and
// returns the handle with the error. partial-continue works with the
// per-node steps of sequential and max-parallel: the failed node (the
// dependency whose gate failed, or the node) stays as Swarm left it, its
// dependents are skipped, the rest is deployed, and RunSwarm returns the
// handle and nil (Failures and Status say what failed); with
// dependency-aware and parallel-safe it is InvalidArgument, since a deploy
// of several services stops at the first gate that fails.
//
// Refused with InvalidArgument naming the node, before any engine call:
// policies that need the local engine's container isolation (the
// isolated, hardened and untrusted tiers, noNetwork and seccomp: a Swarm
// service always joins its overlay network and this engine's Swarm API
// takes no seccomp profile or no-new-privileges), runtimes other than auto
// and oci (Swarm runs OCI containers) and a node's networkMode.
// readOnlyRoot alone maps (read_only).
func RunSwarm(ctx context.Context, t *cswarm.Target, g core.WorkloadGraph, opts core.RunGraphOptions, options ...Option) (*SwarmHandle, error) {
	cfg := newConfig(options)
	strategy, policy, delay, err := swarmOptions(opts)
	if err != nil {
		return nil, err
	}
	if g, err = Normalize(g); err != nil {
		return nil, err
	}
	p, refs, err := SwarmProject(ctx, g, cfg.labels)
	if err != nil {
		return nil, err
	}
	if t == nil {
		return nil, core.Errorf(core.KindInternal, "RunSwarm needs a Swarm target")
	}
	order, levels := order(g)
	h := &SwarmHandle{t: t, g: g, order: order, project: p, resolved: refs}
	if strategy == StrategyDependencyAware {
		err = t.Up(ctx, p, cswarm.UpOptions{Wait: true, KeepOnFailure: policy == OnFailureHaltGraph})
	} else {
		h.failures, err = swarmSteps(ctx, t, p, order, levels, g, strategy, policy, delay)
	}
	if err != nil {
		ce := core.AsError(err)
		if s, ok := ce.Details["service"].(string); ok {
			ce = ce.With("node", s)
		}
		if policy == OnFailureHaltGraph {
			return h, ce
		}
		return nil, ce
	}
	return h, nil
}

// stepper runs the steps of a strategy other than dependency-aware, each
// an up of some services (and what they depend on, already deployed: no
// engine call) through the Swarm target, which gates each service on its
// dependencies' conditions (see RunSwarm).
type stepper struct {
	ctx    context.Context
	t      *cswarm.Target
	p      *types.Project
	g      core.WorkloadGraph
	policy string

	mu       sync.Mutex
	first    error             // the run's error (not under partial-continue)
	failures map[string]string // partial-continue: node → why it failed or was skipped
}

func (s *stepper) up(services []string, wait bool) error {
	return s.t.Up(s.ctx, s.p, cswarm.UpOptions{Services: services, Wait: wait, KeepOnFailure: true})
}

// blocked says why id must not be deployed: the run stopped, or (under
// partial-continue) a dependency failed or was skipped; "" when it may.
func (s *stepper) blocked(id string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.first != nil {
		return "stopped"
	}
	for _, e := range s.g.Edges {
		if e.From != id {
			continue
		}
		if why, ok := s.failures[e.To]; ok {
			what := "failed"
			if strings.HasPrefix(why, "skipped:") {
				what = "was skipped"
			}
			return fmt.Sprintf("skipped: it depends on node %q, which %s", e.To, what)
		}
	}
	return ""
}

// node deploys one node (wait: until it meets the condition a dependent
// would wait for). Under partial-continue a failure is recorded against the
// node that failed (id, or the dependency whose gate failed) and the run
// goes on; otherwise it stops the run.
func (s *stepper) node(id string, wait bool) {
	if why := s.blocked(id); why != "" {
		if why != "stopped" {
			s.mu.Lock()
			s.failures[id] = why
			s.mu.Unlock()
		}
		return
	}
	err := s.up([]string{id}, wait)
	if err == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.policy != OnFailurePartialContinue {
		if s.first == nil {
			s.first = err
		}
		return
	}
	failed := id
	if svc, ok := core.AsError(err).Details["service"].(string); ok && s.g.Nodes[svc].ID != "" {
		failed = svc
	}
	s.failures[failed] = err.Error()
	if failed != id {
		s.failures[id] = fmt.Sprintf("skipped: it depends on node %q, which failed", failed)
	}
}

func (s *stepper) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first
}

// started are the nodes that neither failed nor were skipped.
func (s *stepper) started(order []string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, id := range order {
		if _, ok := s.failures[id]; !ok {
			out = append(out, id)
		}
	}
	return out
}

// swarmSteps deploys p in the steps of strategy (see RunSwarm) and returns
// the partial-continue failures. On failure, under rollback-all, it removes
// what the run created: the whole stack when it had no service before the
// run, else the services the run created.
func swarmSteps(ctx context.Context, t *cswarm.Target, p *types.Project, order []string, levels [][]string,
	g core.WorkloadGraph, strategy, policy string, delay time.Duration) (map[string]string, error) {
	before, err := t.Client().ListServices(ctx, map[string]string{cswarm.LabelNamespace: p.Name})
	if err != nil {
		return nil, err
	}
	s := &stepper{ctx: ctx, t: t, p: p, g: g, policy: policy, failures: map[string]string{}}
	err = func() error {
		switch strategy {
		case StrategySequential:
			for _, id := range order {
				s.node(id, true)
			}
			return s.err()
		case StrategyParallelSafe:
			for i, level := range levels {
				if i > 0 && delay > 0 {
					tm := time.NewTimer(delay)
					select {
					case <-tm.C:
					case <-ctx.Done():
						tm.Stop()
						return core.AsError(ctx.Err())
					}
				}
				if err := s.up(level, true); err != nil {
					return err
				}
			}
		case StrategyMaxParallel:
			return s.eager(order)
		}
		return nil
	}()
	if err == nil || policy != OnFailureRollbackAll {
		return s.failures, err
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	defer cancel()
	if rerr := swarmRollback(rctx, t, p.Name, before); rerr != nil {
		return nil, core.AsError(err).With("rollbackErrors", []string{rerr.Error()})
	}
	return nil, err
}

// eager is max-parallel on Swarm: the first node alone (its up creates the
// graph's networks, which concurrent ups would race to create), then every
// other node in its own up as soon as the ups of its dependencies returned
// (the Swarm target gates it on their conditions), and a last up that waits
// until every node that started meets the condition a dependent would wait
// for. After a failure no further up starts (under partial-continue: none
// of the failed node's dependents).
func (s *stepper) eager(order []string) error {
	s.node(order[0], false)
	done := map[string]chan struct{}{}
	for _, id := range order {
		done[id] = make(chan struct{})
	}
	close(done[order[0]])
	var wg sync.WaitGroup
	for _, id := range order[1:] {
		wg.Go(func() {
			defer close(done[id])
			for _, e := range s.g.Edges {
				if e.From == id {
					<-done[e.To] // every node's goroutine ends, so this cannot block forever
				}
			}
			s.node(id, false)
		})
	}
	wg.Wait()
	if err := s.err(); err != nil {
		return err
	}
	started := s.started(order)
	if len(started) == 0 {
		return nil
	}
	return s.up(started, true)
}

// swarmRollback removes what a stepwise run created: the stack, when it had
// no service before the run, else the services that were not there.
func swarmRollback(ctx context.Context, t *cswarm.Target, project string, before []swarm.Service) error {
	if len(before) == 0 {
		return t.Down(ctx, project, cswarm.DownOptions{})
	}
	had := map[string]bool{}
	for _, s := range before {
		had[s.ID] = true
	}
	now, err := t.Client().ListServices(ctx, map[string]string{cswarm.LabelNamespace: project})
	if err != nil {
		return err
	}
	var errs []error
	for _, s := range now {
		if !had[s.ID] {
			if err := t.Client().RemoveService(ctx, s.ID); err != nil && core.KindOf(err) != core.KindNotFound {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// ValidateSwarm makes RunSwarm's checks of the graph and the options, which
// need no engine: what it would refuse it refuses (a caller can check
// before it connects to a swarm).
func ValidateSwarm(g core.WorkloadGraph, opts core.RunGraphOptions) error {
	if _, _, _, err := swarmOptions(opts); err != nil {
		return err
	}
	g, err := Normalize(g)
	if err != nil {
		return err
	}
	if err := checkSwarmNodes(g); err != nil {
		return err
	}
	_, err = swarmRefs(g)
	return err
}

// SwarmHandle is a graph deployed by RunSwarm: its methods act on the
// graph's Swarm stack (found by its namespace label), as Handle's act on
// the local compose project.
type SwarmHandle struct {
	t        *cswarm.Target
	g        core.WorkloadGraph
	order    []string
	project  *types.Project
	resolved map[string]map[string]string
	failures map[string]string // partial-continue: nodes that failed or were skipped
}

// Failures returns the nodes that did not start in a partial-continue run
// (failed, or skipped because of a failure), with the reason.
func (h *SwarmHandle) Failures() map[string]string { return maps.Clone(h.failures) }

// Target is the Swarm target the graph runs on.
func (h *SwarmHandle) Target() *cswarm.Target { return h.t }

// Project is the stack's name (the graph's project name).
func (h *SwarmHandle) Project() string { return h.project.Name }

// Nodes are the graph's node ids in topological order (ties by id).
func (h *SwarmHandle) Nodes() []string { return slices.Clone(h.order) }

// Graph is the normalized graph.
func (h *SwarmHandle) Graph() core.WorkloadGraph { return cloneGraph(h.g) }

// Resolved returns the resolved references: node → env variable → value.
func (h *SwarmHandle) Resolved() map[string]map[string]string {
	out := make(map[string]map[string]string, len(h.resolved))
	for id, env := range h.resolved {
		out[id] = maps.Clone(env)
	}
	return out
}

func (h *SwarmHandle) node(id string) error {
	if _, ok := h.g.Nodes[id]; !ok {
		return core.NotFound("node", id).With("node", id).With("graph", h.g.Name)
	}
	return nil
}

// Status reports each node's state from its service's tasks: running when
// every task Swarm wants running runs (and none is unhealthy or still
// starting its healthcheck), stopped when a job's tasks completed with exit
// 0, failed when a task failed for good (or, without a task, when the node
// failed in a partial-continue run), pending otherwise (also without a
// task); Errors say why, also for the nodes a partial-continue run skipped.
// Healthy is true iff every node runs or, a job, completed.
func (h *SwarmHandle) Status(ctx context.Context) (core.GraphStatus, error) {
	tasks, err := h.t.Ps(ctx, h.project.Name)
	if err != nil {
		return core.GraphStatus{}, err
	}
	by := map[string][]cswarm.Task{}
	for _, k := range tasks {
		by[k.Service] = append(by[k.Service], k)
	}
	st := core.GraphStatus{Nodes: map[string]core.NodeState{}, Healthy: true}
	for _, id := range h.order {
		state, errText, _ := cswarm.ServiceState(by[id])
		if why, ok := h.failures[id]; ok {
			if state == core.StatePending && !strings.HasPrefix(why, "skipped:") {
				state = core.StateFailed
			}
			if errText == "" {
				errText = why
			}
		}
		st.Nodes[id] = state
		if errText != "" {
			if st.Errors == nil {
				st.Errors = map[string]string{}
			}
			st.Errors[id] = errText
		}
		if state != core.StateRunning && state != core.StateStopped {
			st.Healthy = false
		}
	}
	return st, nil
}

// Ps lists one NodeInfo per node, in topological order: the newest task
// of its service (its name `<project>_<node>.<slot>`, its container's id
// when it runs on this node, else the task's) and the node's state as
// Status reports it.
func (h *SwarmHandle) Ps(ctx context.Context) ([]core.NodeInfo, error) {
	tasks, err := h.t.Ps(ctx, h.project.Name)
	if err != nil {
		return nil, err
	}
	by := map[string][]cswarm.Task{}
	for _, k := range tasks {
		by[k.Service] = append(by[k.Service], k)
	}
	out := make([]core.NodeInfo, 0, len(h.order))
	for _, id := range h.order {
		n := h.g.Nodes[id]
		state, _, _ := cswarm.ServiceState(by[id])
		info := core.NodeInfo{NodeID: id, Name: n.Name, State: state, Image: n.Image}
		if ts := by[id]; len(ts) > 0 {
			k := ts[0] // newest first per slot
			info.Name, info.ContainerID = k.Name, k.ContainerID
			if info.ContainerID == "" {
				info.ContainerID = k.ID
			}
		}
		out = append(out, info)
	}
	return out, nil
}

// swarmLines splits the Swarm target's log output ("web.1@node | text")
// into lines and hands each to fn with its node id.
type swarmLines struct {
	mu  sync.Mutex
	buf bytes.Buffer
	fn  func(node, text string)
}

func (w *swarmLines) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.line(string(w.buf.Next(i + 1)[:i]))
	}
}

func (w *swarmLines) line(l string) {
	task, text, ok := strings.Cut(l, " | ")
	if !ok {
		w.fn("", l)
		return
	}
	task, _, _ = strings.Cut(task, "@") // service.slot@node
	if i := strings.LastIndexByte(task, '.'); i >= 0 {
		task = task[:i]
	}
	w.fn(task, text)
}

func (w *swarmLines) flush() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() > 0 {
		w.line(w.buf.String())
		w.buf.Reset()
	}
}

// Logs returns a node's output (of every node when node is "", each line
// prefixed with "<node> | ", in topological order) from the service logs
// API, which merges a task's streams: everything is in Stdout. tail keeps
// the last n lines of each node.
func (h *SwarmHandle) Logs(ctx context.Context, node string, tail *int) (core.ContainerLogs, error) {
	var services []string
	if node != "" {
		if err := h.node(node); err != nil {
			return core.ContainerLogs{}, err
		}
		services = []string{node}
	}
	var mu sync.Mutex
	lines := map[string][]string{}
	w := &swarmLines{fn: func(n, text string) {
		mu.Lock()
		defer mu.Unlock()
		lines[n] = append(lines[n], text)
	}}
	err := h.t.Logs(ctx, h.project.Name, services, false, w)
	w.flush()
	if err != nil {
		return core.ContainerLogs{}, err
	}
	var out strings.Builder
	for _, id := range h.order {
		ls := lines[id]
		if tail != nil && len(ls) > *tail {
			ls = ls[len(ls)-*tail:]
		}
		for _, l := range ls {
			if node == "" {
				out.WriteString(id + " | ")
			}
			out.WriteString(l)
			out.WriteByte('\n')
		}
	}
	return core.ContainerLogs{Stdout: out.String()}, nil
}

// FollowLogs streams the output of a node's service (every node's when
// node is "") to sink, line by line with its node id (stream "stdout": the
// service logs API merges them), until ctx ends or every service's stream
// closes. tail starts each task with its last n lines (nil: all).
func (h *SwarmHandle) FollowLogs(ctx context.Context, node string, tail *int, sink func(node, stream, line string)) error {
	opts := cswarm.LogsOptions{Follow: true}
	if node != "" {
		if err := h.node(node); err != nil {
			return err
		}
		opts.Services = []string{node}
	}
	if tail != nil {
		opts.Tail = strconv.Itoa(*tail)
	}
	w := &swarmLines{fn: func(n, text string) { sink(n, "stdout", text) }}
	err := h.t.LogsWith(ctx, h.project.Name, opts, w)
	w.flush()
	return err
}

// Exec runs cmd in the container of the node's task (slot 1), which must
// run on this node.
func (h *SwarmHandle) Exec(ctx context.Context, node string, cmd []string) (core.ContainerLogs, error) {
	if err := h.node(node); err != nil {
		return core.ContainerLogs{}, err
	}
	if len(cmd) == 0 {
		return core.ContainerLogs{}, core.InvalidArgument("cmd", "must be a non-empty array of strings")
	}
	return h.t.Exec(ctx, h.project.Name, node, 0, backend.ExecOptions{Cmd: cmd})
}

// Down removes the graph's stack (services, networks, secrets, configs by
// its namespace label) and, with volumes, its named volumes on this node.
func (h *SwarmHandle) Down(ctx context.Context, volumes bool) error {
	return h.t.Down(ctx, h.project.Name, cswarm.DownOptions{Volumes: volumes})
}
