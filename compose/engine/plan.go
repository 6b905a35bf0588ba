package engine

import (
	"fmt"
	"strings"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// OpType is the kind of one plan operation: exactly one backend call, or a
// wait for a service's condition.
type OpType string

const (
	OpCreateNetwork   OpType = "CreateNetwork"
	OpRemoveNetwork   OpType = "RemoveNetwork"
	OpCreateVolume    OpType = "CreateVolume"
	OpRemoveVolume    OpType = "RemoveVolume"
	OpPullImage       OpType = "PullImage"
	OpBuildImage      OpType = "BuildImage"
	OpRemoveImage     OpType = "RemoveImage"
	OpCreateContainer OpType = "CreateContainer"
	OpStartContainer  OpType = "StartContainer"
	OpStopContainer   OpType = "StopContainer"
	// OpRestartContainer is the runtime's restart where it has one (a
	// restart event, as docker compose restart gives), else a stop and a
	// start.
	OpRestartContainer OpType = "RestartContainer"
	OpKillContainer    OpType = "KillContainer"
	OpRemoveContainer  OpType = "RemoveContainer"
	OpRenameContainer  OpType = "RenameContainer"
	// OpWaitService polls a service's containers until they satisfy a
	// depends_on condition (or --wait's "ready"), failing as soon as one
	// exits or turns unhealthy.
	OpWaitService OpType = "WaitService"
)

// Wait conditions beyond compose's three depends_on conditions.
const (
	// conditionReady is --wait's: running, healthy when there is a
	// healthcheck, or exited 0 (a completed one-shot).
	conditionReady = "ready"
)

// Op is one node of a plan's DAG.
type Op struct {
	Index int    // 1-based position in Plan.Ops
	Type  OpType // what to do
	// Resource names what the op is about: network:<key>, volume:<key>,
	// image:<ref>, service:<name>:<n> (a container) or service:<name>.
	Resource string
	// Target is what the backend call acts on: a network, volume or image
	// name, or a container. A container the plan found is targeted by its
	// id; one this plan creates by its name, the only identity it has
	// before the create runs.
	Target string
	// Name is the container's name when Target is its id (for events).
	Name  string
	Deps  []int  // indices of the ops that must succeed first
	Cause string // why the planner chose this op, for humans and golden tests

	// Payload: the field matching Type is set.
	Service  string              // the compose service of a container or wait op
	Number   int                 // the container number
	Spec     *core.ContainerSpec // CreateContainer
	Network  *core.NetworkConfig // CreateNetwork
	Volume   *core.VolumeConfig  // CreateVolume
	Build    *core.BuildSpec     // BuildImage
	NewName  string              // RenameContainer
	Timeout  *int                // StopContainer, seconds
	Signal   string              // KillContainer, checked by backend.CheckSignal
	Wait     *WaitSpec           // WaitService
	Optional bool                // a failure is reported as a warning, not an error
	// PostStart runs after StartContainer and RestartContainer, PreStop
	// before StopContainer and RestartContainer (lifecycle.go).
	PostStart []Hook
	PreStop   []Hook
	// Files are written into the container before StartContainer starts
	// it (backend.FileWriter).
	Files []backend.File
	// Tolerant ops (down, stop) accept NotFound: the resource is already gone.
	Tolerant bool
}

// WaitSpec is what a WaitService op waits for.
type WaitSpec struct {
	Service    string
	Condition  string   // service_started | service_healthy | service_completed_successfully | ready
	Containers []string // the service's containers, as op targets
	Dependent  string   // the service that waits, for messages ("" for --wait)
	// Healthcheck is the service's, for emulation; nil when it has none.
	Healthcheck *core.Healthcheck
	// EmulateStart: the runtime runs the healthcheck without start_interval,
	// so the engine probes while the runtime still says "starting".
	EmulateStart bool
	// Optional: the dependent declared it required: false. Its failure is
	// reported as docker compose does ("optional dependency … failed to
	// start"), as a warning, and the dependent starts anyway.
	Optional bool
}

// waitSpec is a wait for s's containers refs to meet condition, on behalf
// of dependent ("" for --wait); optional when the dependent said
// required: false.
func (s *service) waitSpec(condition, dependent string, refs []string, optional bool) *WaitSpec {
	return &WaitSpec{Service: s.name, Condition: condition, Containers: refs, Dependent: dependent,
		Healthcheck: s.waitHealth, EmulateStart: s.emulateStart, Optional: optional}
}

// Plan is a DAG of operations in a deterministic order: every op's
// dependencies come before it.
type Plan struct {
	Ops []*Op
	// Orphans are the containers of services that are not in the project.
	Orphans []string
	// Warnings are reported as events before the plan runs.
	Warnings []string
}

// add appends an op and returns its index.
func (p *Plan) add(op *Op) int {
	op.Index = len(p.Ops) + 1
	op.Deps = uniqueSorted(op.Deps)
	p.Ops = append(p.Ops, op)
	return op.Index
}

// Empty reports whether the plan does nothing.
func (p *Plan) Empty() bool { return len(p.Ops) == 0 }

// String prints one op per line:
//
//	#4 CreateContainer service:web:1 demo-web-1 <- #1 #3: no container
func (p *Plan) String() string {
	var sb strings.Builder
	for _, op := range p.Ops {
		sb.WriteString(op.String())
		sb.WriteByte('\n')
	}
	return sb.String()
}

func (op *Op) String() string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "#%d %s %s", op.Index, op.Type, op.Resource)
	if op.Target != "" {
		sb.WriteString(" " + op.Target)
	}
	switch op.Type {
	case OpRenameContainer:
		sb.WriteString(" -> " + op.NewName)
	case OpWaitService:
		fmt.Fprintf(&sb, " %s [%s]", op.Wait.Condition, strings.Join(op.Wait.Containers, " "))
	case OpStopContainer, OpRestartContainer:
		if op.Timeout != nil {
			fmt.Fprintf(&sb, " timeout=%d", *op.Timeout)
		}
	case OpKillContainer:
		sb.WriteString(" " + op.Signal)
	}
	if len(op.PreStop) > 0 {
		fmt.Fprintf(&sb, " pre_stop=%d", len(op.PreStop))
	}
	if len(op.PostStart) > 0 {
		fmt.Fprintf(&sb, " post_start=%d", len(op.PostStart))
	}
	if len(op.Files) > 0 {
		fmt.Fprintf(&sb, " files=%v", op.Files) // paths only (File.String)
	}
	if op.Optional {
		sb.WriteString(" (optional)")
	}
	if len(op.Deps) > 0 {
		sb.WriteString(" <-")
		for _, d := range op.Deps {
			fmt.Fprintf(&sb, " #%d", d)
		}
	}
	if op.Cause != "" {
		sb.WriteString(": " + op.Cause)
	}
	return sb.String()
}

func uniqueSorted(xs []int) []int {
	if len(xs) == 0 {
		return nil
	}
	seen := map[int]bool{}
	var out []int
	for _, x := range xs {
		if x > 0 && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	// insertion sort: dependency lists are short
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
