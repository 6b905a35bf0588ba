// Package swarm is the Swarm part of the Engine API: services, tasks,
// secrets, configs, overlay networks, service logs and the node's role, for
// the Swarm target of the compose engine (docs/design.md, Swarm target).
//
// It speaks through the moby client that backend/api builds, so the host,
// TLS and API-version handling are the API backend's; containers of tasks on
// this node (health, exec, volumes) go through that backend too.
package swarm

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"
	"github.com/moby/moby/client"

	"github.com/perryts/perry-container/backend/api"
	"github.com/perryts/perry-container/core"
)

// Client talks to one Swarm manager. It is safe for concurrent use.
type Client struct {
	local *api.Backend
	cli   *client.Client
	owned bool // Close closes local
}

// New connects to the engine at host (a DOCKER_HOST-style URL; "" takes the
// environment, as api.New does). New does no I/O; Manager checks the role.
func New(host string) (*Client, error) {
	b, err := api.New(host, "docker")
	if err != nil {
		return nil, err
	}
	return &Client{local: b, cli: b.Client(), owned: true}, nil
}

// FromBackend uses an existing API backend; Close then leaves it open.
func FromBackend(b *api.Backend) *Client {
	return &Client{local: b, cli: b.Client()}
}

// Local is the API backend of the engine this client talks to: the
// containers of the tasks scheduled on this node.
func (c *Client) Local() *api.Backend { return c.local }

// Close releases the connection when New made it.
func (c *Client) Close() error {
	if c.owned {
		return c.local.Close()
	}
	return nil
}

func (c *Client) err(err error, kind, id string) error {
	if err == nil {
		return nil
	}
	return c.local.EngineError(err, kind, id)
}

// NodeInfo is this engine's place in a swarm.
type NodeInfo struct {
	NodeID   string
	State    string // inactive, pending, active, error, locked
	Manager  bool   // this node is a manager (can create services)
	Hostname string
}

// Node reports this engine's swarm state without failing when it is not in
// a swarm.
func (c *Client) Node(ctx context.Context) (NodeInfo, error) {
	info, err := c.cli.Info(ctx, client.InfoOptions{})
	if err != nil {
		return NodeInfo{}, c.err(err, "", "")
	}
	s := info.Info.Swarm
	return NodeInfo{NodeID: s.NodeID, State: string(s.LocalNodeState), Manager: s.ControlAvailable, Hostname: info.Info.Name}, nil
}

// RequireManager returns this node's info, or BackendNotAvailable saying how
// to make the engine a manager when it is not one.
func (c *Client) RequireManager(ctx context.Context) (NodeInfo, error) {
	n, err := c.Node(ctx)
	if err != nil {
		return n, err
	}
	if n.Manager {
		return n, nil
	}
	var msg string
	switch n.State {
	case string(swarm.LocalNodeStateActive):
		msg = fmt.Sprintf("the docker engine at %s is a swarm worker, not a manager: run against a manager node, or promote this one with `docker node promote %s` on a manager", c.cli.DaemonHost(), n.NodeID)
	case string(swarm.LocalNodeStateLocked):
		msg = fmt.Sprintf("the swarm of the docker engine at %s is locked: run `docker swarm unlock`", c.cli.DaemonHost())
	default:
		msg = fmt.Sprintf("the docker engine at %s is not a swarm manager (swarm state %q): run `docker swarm init` to make it one, or `docker swarm join` a swarm as a manager", c.cli.DaemonHost(), n.State)
	}
	e := &core.Error{Kind: core.KindBackendNotAvailable, Message: msg}
	return n, e.With("swarmState", n.State).With("endpoint", c.cli.DaemonHost())
}

// labelFilters is an engine filter matching every label in labels (a value
// "" matches the key alone).
func labelFilters(labels map[string]string) client.Filters {
	f := client.Filters{}
	keys := make([]string, 0, len(labels))
	for k := range labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if v := labels[k]; v != "" {
			f.Add("label", k+"="+v)
		} else {
			f.Add("label", k)
		}
	}
	return f
}

// CreateService creates a service. The image is used as given: the manager
// does not query a registry for its digest, so an image present on the
// nodes (or a private one) deploys without a registry round trip.
func (c *Client) CreateService(ctx context.Context, spec swarm.ServiceSpec) (string, error) {
	r, err := c.cli.ServiceCreate(ctx, client.ServiceCreateOptions{Spec: spec, QueryRegistry: false})
	if err != nil {
		return "", c.err(err, "service", spec.Name)
	}
	return r.ID, nil
}

// UpdateService replaces a service's spec through Swarm's rolling update;
// version is the service's version before the update (optimistic locking).
func (c *Client) UpdateService(ctx context.Context, id string, version swarm.Version, spec swarm.ServiceSpec) error {
	_, err := c.cli.ServiceUpdate(ctx, id, client.ServiceUpdateOptions{Version: version, Spec: spec, QueryRegistry: false})
	return c.err(err, "service", id)
}

// RollbackService restores a service's previous spec (Swarm's server-side
// rollback, under the service's rollback_config); version is its current
// version.
func (c *Client) RollbackService(ctx context.Context, id string, version swarm.Version) error {
	svc, err := c.InspectService(ctx, id)
	if err != nil {
		return err
	}
	_, err = c.cli.ServiceUpdate(ctx, id, client.ServiceUpdateOptions{Version: version, Spec: svc.Spec, Rollback: "previous"})
	return c.err(err, "service", id)
}

// InspectService returns a service by id or name.
func (c *Client) InspectService(ctx context.Context, id string) (swarm.Service, error) {
	r, err := c.cli.ServiceInspect(ctx, id, client.ServiceInspectOptions{})
	if err != nil {
		return swarm.Service{}, c.err(err, "service", id)
	}
	return r.Service, nil
}

// ListServices lists the services carrying every label in labels.
func (c *Client) ListServices(ctx context.Context, labels map[string]string) ([]swarm.Service, error) {
	r, err := c.cli.ServiceList(ctx, client.ServiceListOptions{Filters: labelFilters(labels), Status: true})
	if err != nil {
		return nil, c.err(err, "", "")
	}
	return r.Items, nil
}

// RemoveService removes a service and, with it, its tasks.
func (c *Client) RemoveService(ctx context.Context, id string) error {
	_, err := c.cli.ServiceRemove(ctx, id, client.ServiceRemoveOptions{})
	return c.err(err, "service", id)
}

// TaskFilter selects tasks; empty fields do not filter.
type TaskFilter struct {
	Services     []string          // service ids or names
	Labels       map[string]string // labels of the service's tasks
	DesiredState string            // running, shutdown, accepted
}

// ListTasks lists tasks.
func (c *Client) ListTasks(ctx context.Context, tf TaskFilter) ([]swarm.Task, error) {
	f := labelFilters(tf.Labels)
	if len(tf.Services) > 0 {
		f.Add("service", tf.Services...)
	}
	if tf.DesiredState != "" {
		f.Add("desired-state", tf.DesiredState)
	}
	r, err := c.cli.TaskList(ctx, client.TaskListOptions{Filters: f})
	if err != nil {
		return nil, c.err(err, "", "")
	}
	return r.Items, nil
}

// NodeNames maps node ids to hostnames.
func (c *Client) NodeNames(ctx context.Context) (map[string]string, error) {
	r, err := c.cli.NodeList(ctx, client.NodeListOptions{})
	if err != nil {
		return nil, c.err(err, "", "")
	}
	out := make(map[string]string, len(r.Items))
	for _, n := range r.Items {
		out[n.ID] = n.Description.Hostname
	}
	return out, nil
}

// CreateSecret creates a secret.
func (c *Client) CreateSecret(ctx context.Context, spec swarm.SecretSpec) (string, error) {
	r, err := c.cli.SecretCreate(ctx, client.SecretCreateOptions{Spec: spec})
	if err != nil {
		return "", c.err(err, "secret", spec.Name)
	}
	return r.ID, nil
}

// ListSecrets lists the secrets carrying every label in labels.
func (c *Client) ListSecrets(ctx context.Context, labels map[string]string) ([]swarm.Secret, error) {
	r, err := c.cli.SecretList(ctx, client.SecretListOptions{Filters: labelFilters(labels)})
	if err != nil {
		return nil, c.err(err, "", "")
	}
	return r.Items, nil
}

// RemoveSecret removes a secret by id or name.
func (c *Client) RemoveSecret(ctx context.Context, id string) error {
	_, err := c.cli.SecretRemove(ctx, id, client.SecretRemoveOptions{})
	return c.err(err, "secret", id)
}

// CreateConfig creates a config.
func (c *Client) CreateConfig(ctx context.Context, spec swarm.ConfigSpec) (string, error) {
	r, err := c.cli.ConfigCreate(ctx, client.ConfigCreateOptions{Spec: spec})
	if err != nil {
		return "", c.err(err, "config", spec.Name)
	}
	return r.ID, nil
}

// ListConfigs lists the configs carrying every label in labels.
func (c *Client) ListConfigs(ctx context.Context, labels map[string]string) ([]swarm.Config, error) {
	r, err := c.cli.ConfigList(ctx, client.ConfigListOptions{Filters: labelFilters(labels)})
	if err != nil {
		return nil, c.err(err, "", "")
	}
	return r.Items, nil
}

// RemoveConfig removes a config by id or name.
func (c *Client) RemoveConfig(ctx context.Context, id string) error {
	_, err := c.cli.ConfigRemove(ctx, id, client.ConfigRemoveOptions{})
	return c.err(err, "config", id)
}

// Overlay describes an overlay network.
type Overlay struct {
	Attachable bool // standalone containers may join (docker run --network)
	Internal   bool
	DriverOpts map[string]string
	Labels     map[string]string
	Driver     string // "" is overlay
}

// CreateOverlay creates a swarm-scoped network.
func (c *Client) CreateOverlay(ctx context.Context, name string, o Overlay) (string, error) {
	driver := o.Driver
	if driver == "" {
		driver = "overlay"
	}
	r, err := c.cli.NetworkCreate(ctx, name, client.NetworkCreateOptions{
		Driver: driver, Scope: "swarm", Attachable: o.Attachable, Internal: o.Internal,
		Options: o.DriverOpts, Labels: o.Labels,
	})
	if err != nil {
		return "", c.err(err, "network", name)
	}
	return r.ID, nil
}

// ListNetworks lists the networks carrying every label in labels.
func (c *Client) ListNetworks(ctx context.Context, labels map[string]string) ([]network.Summary, error) {
	r, err := c.cli.NetworkList(ctx, client.NetworkListOptions{Filters: labelFilters(labels)})
	if err != nil {
		return nil, c.err(err, "", "")
	}
	return r.Items, nil
}

// RemoveNetwork removes a network by id or name.
func (c *Client) RemoveNetwork(ctx context.Context, id string) error {
	_, err := c.cli.NetworkRemove(ctx, id, client.NetworkRemoveOptions{})
	return c.err(err, "network", id)
}

// ServiceLogs opens a service's log stream: stdout and stderr multiplexed
// (demultiplex with stdcopy), each line prefixed by its details
// ("com.docker.swarm.task.id=…,… "), so callers can tell the tasks apart.
func (c *Client) ServiceLogs(ctx context.Context, id string, follow bool, tail string) (io.ReadCloser, error) {
	if tail == "" {
		tail = "all"
	}
	rc, err := c.cli.ServiceLogs(ctx, id, client.ServiceLogsOptions{ShowStdout: true, ShowStderr: true, Follow: follow, Details: true, Tail: tail})
	if err != nil {
		return nil, c.err(err, "service", id)
	}
	return rc, nil
}
