package core

// ServiceGraph is the resolved dependency DAG of a compose stack.
type ServiceGraph struct {
	Nodes []string `json:"nodes"` // service names in topological order
	Edges []Edge   `json:"edges"` // From depends on To
}

// Edge is one dependency: From depends on To.
type Edge struct {
	From string `json:"from"`
	To   string `json:"to"`
}

// ServiceState is one service's state in a StackStatus.
type ServiceState string

const (
	StateRunning ServiceState = "running"
	StateStopped ServiceState = "stopped"
	StateFailed  ServiceState = "failed"
	StatePending ServiceState = "pending"
	StateUnknown ServiceState = "unknown"
)

// ServiceStatus is one service's state.
type ServiceStatus struct {
	Service     string       `json:"service"`
	State       ServiceState `json:"state"`
	ContainerID string       `json:"containerId,omitempty"`
	Error       string       `json:"error,omitempty"`
}

// StackStatus is a snapshot of a stack; Healthy is true iff every service is running.
type StackStatus struct {
	Services []ServiceStatus `json:"services"`
	Healthy  bool            `json:"healthy"`
}
