package core

import (
	"encoding/json"
	"fmt"
)

// RuntimeSpec selects how a workload node runs.
type RuntimeSpec struct {
	Type   string          `json:"type"`             // oci | microvm | wasm | auto
	Config json.RawMessage `json:"config,omitempty"` // microvm config
	Module string          `json:"module,omitempty"` // wasm module
}

// PolicySpec is a node's isolation policy.
type PolicySpec struct {
	Tier         string `json:"tier"` // default | isolated | hardened | untrusted
	NoNetwork    bool   `json:"noNetwork,omitempty"`
	ReadOnlyRoot bool   `json:"readOnlyRoot,omitempty"`
	Seccomp      bool   `json:"seccomp,omitempty"`
}

// WorkloadRef is a typed reference to another node's address.
type WorkloadRef struct {
	NodeID     string `json:"nodeId"`
	Projection string `json:"projection"` // endpoint | ip | internalUrl
	Port       string `json:"port,omitempty"`
}

// WorkloadEnvValue is a literal string or a WorkloadRef.
type WorkloadEnvValue struct {
	Literal *string
	Ref     *WorkloadRef
}

// MarshalJSON writes a string or a ref object.
func (v WorkloadEnvValue) MarshalJSON() ([]byte, error) {
	if v.Ref != nil {
		return json.Marshal(v.Ref)
	}
	if v.Literal != nil {
		return json.Marshal(*v.Literal)
	}
	return []byte(`""`), nil
}

// UnmarshalJSON reads a string or a ref object.
func (v *WorkloadEnvValue) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v.Literal, v.Ref = &s, nil
		return nil
	}
	var r WorkloadRef
	if err := DecodeStrict("env", b, &r); err != nil {
		return fmt.Errorf("env value must be a string or a WorkloadRef: %w", err)
	}
	v.Literal, v.Ref = nil, &r
	return nil
}

// Resources are a node's resource limits.
type Resources struct {
	CPU    string `json:"cpu,omitempty"`
	Memory string `json:"memory,omitempty"`
}

// WorkloadNode is one node of a workload graph.
type WorkloadNode struct {
	ID          string                      `json:"id"`
	Name        string                      `json:"name"`
	Image       string                      `json:"image,omitempty"`
	Resources   *Resources                  `json:"resources,omitempty"`
	Ports       []string                    `json:"ports,omitempty"`
	Env         map[string]WorkloadEnvValue `json:"env,omitempty"`
	DependsOn   []string                    `json:"dependsOn,omitempty"`
	Runtime     RuntimeSpec                 `json:"runtime"`
	Policy      PolicySpec                  `json:"policy"`
	Cmd         []string                    `json:"cmd,omitempty"`
	Entrypoint  []string                    `json:"entrypoint,omitempty"`
	Volumes     []string                    `json:"volumes,omitempty"`
	Healthcheck *Healthcheck                `json:"healthcheck,omitempty"`
	Labels      map[string]string           `json:"labels,omitempty"`
	User        string                      `json:"user,omitempty"`
	Workdir     string                      `json:"workdir,omitempty"`
	// DependsOnConditions gives the condition of dependencies that wait
	// for more than "started": dependency id → "healthy" | "completed"
	// (js_workload_node fills it from {"node", "condition"} items of
	// dependsOn).
	DependsOnConditions map[string]string `json:"dependsOnConditions,omitempty"`
	// NetworkMode is "" (the graph's network), "bridge", "host" or "none".
	NetworkMode string `json:"networkMode,omitempty"`
}

// WorkloadEdge is a dependency edge: From depends on To.
type WorkloadEdge struct {
	From          string `json:"from"`
	To            string `json:"to"`
	Condition     string `json:"condition,omitempty"` // started | healthy | completed
	TrustBoundary bool   `json:"trustBoundary,omitempty"`
	Locality      string `json:"locality,omitempty"`
	LatencyClass  string `json:"latencyClass,omitempty"`
}

// WorkloadGraph is a named set of nodes and edges.
type WorkloadGraph struct {
	Name  string                  `json:"name"`
	Nodes map[string]WorkloadNode `json:"nodes"`
	Edges []WorkloadEdge          `json:"edges"`
}

// RunGraphOptions tune runGraph.
type RunGraphOptions struct {
	Strategy  string `json:"strategy,omitempty"`  // sequential | max-parallel | dependency-aware | parallel-safe
	OnFailure string `json:"onFailure,omitempty"` // rollback-all | partial-continue | halt-graph
	// LevelDelayMs is parallel-safe's pause between levels (default 500).
	LevelDelayMs *int `json:"levelDelayMs,omitempty"`
	// Target is where the graph runs: "local" (the detected runtime) or
	// "swarm" (Docker Swarm services, compose/workload.RunSwarm; the engine
	// must be a swarm manager). Absent: $PERRY_CONTAINER_TARGET, else local.
	Target string `json:"target,omitempty"`
}

// NodeState is a node's state.
type NodeState = ServiceState

// GraphStatus is a snapshot of a running graph.
type GraphStatus struct {
	Nodes   map[string]NodeState `json:"nodes"`
	Healthy bool                 `json:"healthy"`
	Errors  map[string]string    `json:"errors,omitempty"`
}

// NodeInfo is one node's container.
type NodeInfo struct {
	NodeID      string    `json:"nodeId"`
	Name        string    `json:"name"`
	ContainerID string    `json:"containerId,omitempty"`
	State       NodeState `json:"state"`
	Image       string    `json:"image,omitempty"`
}
