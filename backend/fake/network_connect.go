package fake

import (
	"context"
	"slices"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

var _ backend.NetworkConnector = (*Backend)(nil)

// ConnectNetwork attaches a container to a network (by name or id); one
// already attached to it is an error, as in Docker.
func (b *Backend) ConnectNetwork(ctx context.Context, network, container string, attach core.NetworkAttach) error {
	if err := b.enter(ctx, "ConnectNetwork", b.networkArg(network), container); err != nil {
		return err
	}
	defer b.mu.Unlock()
	c, err := b.find(container)
	if err != nil {
		return err
	}
	nw, err := b.findNetwork(network)
	if err != nil {
		return err
	}
	if slices.Contains(c.netIDs, nw.ID) {
		return core.Errorf(core.KindBackendError, "endpoint with name %s already exists in network %s", c.info.Name, nw.Name)
	}
	c.netIDs = append(c.netIDs, nw.ID)
	c.info.Networks = append(c.info.Networks, nw.Name)
	attach.Name = nw.Name
	c.spec.Networks = append(c.spec.Networks, attach)
	return nil
}

// DisconnectNetwork detaches a container from a network; one not attached
// to it is an error, as in Docker.
func (b *Backend) DisconnectNetwork(ctx context.Context, network, container string, force bool) error {
	if err := b.enter(ctx, "DisconnectNetwork", b.networkArg(network), container); err != nil {
		return err
	}
	defer b.mu.Unlock()
	c, err := b.find(container)
	if err != nil {
		return err
	}
	nw, err := b.findNetwork(network)
	if err != nil {
		return err
	}
	i := slices.Index(c.netIDs, nw.ID)
	if i < 0 {
		return core.Errorf(core.KindBackendError, "container %s is not connected to network %s", c.info.ID[:12], nw.Name)
	}
	c.netIDs = slices.Delete(c.netIDs, i, i+1)
	c.info.Networks = slices.DeleteFunc(c.info.Networks, func(n string) bool { return n == nw.Name })
	return nil
}
