package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// networkHash is the config-hash label of a network the engine creates: a
// digest of its compose definition (driver, driver_opts, ipam, internal,
// attachable, enable_ipv6 and its own labels), as docker compose labels its
// networks. An up that finds a project network whose label differs
// recreates it (recreateChangedNetworks).
func networkHash(cfg core.NetworkConfig) string {
	var v any = cfg
	if subnets, ok := subnetsOnly(cfg.IPAM); ok {
		v = subnetsView{NetworkConfig: cfg, Subnets: subnets}
	}
	b, _ := json.Marshal(v) // maps marshal with sorted keys: the digest is stable
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// subnetsView is how a network whose IPAM is only subnets is hashed: as
// NetworkConfig was written when subnets were all it carried, so that the
// networks an earlier release created keep their hash and are not recreated
// by the first up after an upgrade. Its IPAM shadows the embedded one.
type subnetsView struct {
	core.NetworkConfig
	IPAM    *core.IPAM `json:"ipam,omitempty"`
	Subnets []string   `json:"subnets,omitempty"`
}

// subnetsOnly is the pools' subnets when IPAM sets nothing else.
func subnetsOnly(ipam *core.IPAM) ([]string, bool) {
	if ipam == nil || ipam.Driver != "" || len(ipam.Options) > 0 {
		return nil, false
	}
	var out []string
	for _, p := range ipam.Config {
		if p.Gateway != "" || p.IPRange != "" || len(p.AuxAddresses) > 0 {
			return nil, false
		}
		out = append(out, p.Subnet)
	}
	return out, true
}

// networkConfig is what the engine creates network k with: its compose
// definition, labelled as the project's with its config hash.
func (m *model) networkConfig(k string) core.NetworkConfig {
	nw := m.networks[k]
	cfg := nw.cfg
	cfg.Labels = m.resourceLabels(cfg.Labels, LabelNetwork, k)
	cfg.Labels[LabelConfigHash] = networkHash(nw.cfg)
	return cfg
}

// attachTo is how the service's container named container attaches to the
// network named name: its own name and the service's aliases, and fixed
// addresses.
func (s *service) attachTo(name, container string) core.NetworkAttach {
	if s == nil { // a container of a service no longer in the file
		return core.NetworkAttach{Name: name, Aliases: []string{container}}
	}
	for _, a := range s.spec.Networks {
		if a.Name == name {
			a.Aliases = withOwnAlias(container, a.Aliases)
			return a
		}
	}
	a := core.NetworkAttach{Name: name, Aliases: []string{container}}
	if s.spec.Network == name {
		a.Aliases = withOwnAlias(container, s.spec.NetworkAliases)
	}
	return a
}

// recreateChangedNetworks recreates the project networks services use
// whose config-hash label differs from their definition (a changed subnet,
// driver option, …), as docker compose does: it disconnects the project's
// containers attached (they keep running), removes the network, creates it
// anew and connects them again with the same aliases and addresses;
// containers are not recreated for it. A network without the label (made
// by a tool that does not write it) and an external one are left as they
// are. On a backend that cannot connect a running container to a network,
// the attached containers are removed instead, with a warning, and the
// up's plan creates them again. The recreated network is not recorded for
// rollback: it existed before this up.
func (e *Engine) recreateChangedNetworks(ctx context.Context, m *model, services []string, obs *observedState) error {
	for _, k := range changedNetworks(m, obs, services) {
		nw := m.networks[k]
		info := obs.networks[nw.name]
		var attached []observedContainer
		for _, c := range obs.containers {
			if slices.Contains(c.Networks, nw.name) || slices.Contains(c.Networks, info.ID) {
				attached = append(attached, c)
			}
		}
		if err := e.recreateNetwork(ctx, m, k, info, attached, obs); err != nil {
			return err
		}
	}
	return nil
}

// changedNetworks are the keys, sorted, of the project networks services
// use that exist with a config-hash label other than their definition's.
func changedNetworks(m *model, obs *observedState, services []string) []string {
	pl := &upPlanner{m: m, obs: obs}
	nets, _ := pl.usedKeys(services)
	var out []string
	for _, k := range nets {
		nw := m.networks[k]
		info, ok := obs.networks[nw.name]
		if nw.external || !ok || info.Labels[LabelProject] != m.name {
			continue
		}
		if h, labelled := info.Labels[LabelConfigHash]; labelled && h != networkHash(nw.cfg) {
			out = append(out, k)
		}
	}
	return out
}

// planNetworkRecreates is, for a dry run, the removal and creation of the
// networks Up recreates (recreateChangedNetworks).
func planNetworkRecreates(m *model, obs *observedState, services []string) *Plan {
	p := &Plan{}
	for _, k := range changedNetworks(m, obs, services) {
		nw := m.networks[k]
		rm := p.add(&Op{Type: OpRemoveNetwork, Resource: "network:" + k, Target: obs.networks[nw.name].ID, Name: nw.name, Cause: "configuration changed"})
		cfg := m.networkConfig(k)
		p.add(&Op{Type: OpCreateNetwork, Resource: "network:" + k, Target: nw.name, Network: &cfg, Deps: []int{rm}, Cause: "configuration changed"})
	}
	return p
}

func (e *Engine) recreateNetwork(ctx context.Context, m *model, k string, old core.NetworkInfo, attached []observedContainer, obs *observedState) error {
	nw := m.networks[k]
	conn, canConnect := e.backend.(backend.NetworkConnector)
	e.emit(Event{Resource: ResourceNetwork, ID: nw.name, Status: StatusRecreate, Text: "configuration changed"})
	fail := func(step string, err error, detached []string) error {
		out := wrapKind(err, "recreating network %s (its configuration changed): %s: %v", nw.name, step, err)
		if len(detached) > 0 {
			out = core.AsError(out).With("detachedContainers", strings.Join(detached, ","))
		}
		e.emit(Event{Resource: ResourceNetwork, ID: nw.name, Status: StatusError, Text: step})
		return out
	}
	var detached []string
	if canConnect {
		for _, c := range attached {
			err := conn.DisconnectNetwork(ctx, old.ID, c.ID, false)
			if len(detached) == 0 && isUnsupported(err) {
				// A runtime whose CLI lacks network connect (nerdctl):
				// nothing is detached yet, so recreate the containers.
				canConnect = false
				break
			}
			if err != nil && !isNotFound(err) {
				return fail("disconnecting container "+c.Name, err, detached)
			}
			detached = append(detached, c.Name)
		}
	}
	if !canConnect && len(attached) > 0 {
		var names []string
		for _, c := range attached {
			names = append(names, c.Name)
		}
		e.warn([]string{fmt.Sprintf("network %s changed and this runtime cannot reconnect running containers to a network: its containers %s are recreated",
			nw.name, strings.Join(names, ", "))})
		for _, c := range attached {
			if err := e.backend.Stop(ctx, c.ID, stopTimeoutOf(m, c)); err != nil && !isNotFound(err) {
				return fail("stopping container "+c.Name, err, nil)
			}
			if err := e.backend.Remove(ctx, c.ID, true); err != nil && !isNotFound(err) {
				return fail("removing container "+c.Name, err, nil)
			}
			e.emit(Event{Resource: ResourceContainer, ID: c.Name, Status: StatusRemoved})
			obs.containers = slices.DeleteFunc(obs.containers, func(o observedContainer) bool { return o.ID == c.ID })
		}
	}
	if err := e.backend.RemoveNetwork(ctx, old.ID); err != nil && !isNotFound(err) {
		// Put the containers back on the network that stays.
		for _, c := range attached {
			if slices.Contains(detached, c.Name) {
				_ = conn.ConnectNetwork(ctx, old.ID, c.ID, m.services[c.service].attachTo(nw.name, c.Name))
			}
		}
		return fail("removing it", err, nil)
	}
	e.emit(Event{Resource: ResourceNetwork, ID: nw.name, Status: StatusRemoved})
	delete(obs.networks, nw.name)
	if err := e.backend.CreateNetwork(ctx, nw.name, m.networkConfig(k)); err != nil {
		return fail("creating it again (it was removed)", err, detached)
	}
	info, err := e.backend.InspectNetwork(ctx, nw.name)
	if err != nil {
		return fail("inspecting it once created again", err, detached)
	}
	obs.networks[nw.name] = info
	e.emit(Event{Resource: ResourceNetwork, ID: nw.name, Status: StatusCreated})
	if !canConnect {
		return nil
	}
	for i, c := range attached {
		if err := conn.ConnectNetwork(ctx, info.ID, c.ID, m.services[c.service].attachTo(nw.name, c.Name)); err != nil {
			return fail("connecting container "+c.Name+" again", err, detached[i:])
		}
	}
	return nil
}

func stopTimeoutOf(m *model, c observedContainer) *int {
	if s := m.services[c.service]; s != nil {
		return s.stopTimeout
	}
	return nil
}

// isUnsupported reports an operation the backend says it cannot do
// (backend.Unsupported).
func isUnsupported(err error) bool {
	return err != nil && core.AsError(err).Details["unsupported"] == true
}
