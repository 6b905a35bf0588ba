package cli

import (
	"context"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

var _ backend.NetworkConnector = (*Backend)(nil)

// DisconnectNetworkArgs detaches a container from a network.
func (p Protocol) DisconnectNetworkArgs(network, id string, force bool) ([]string, error) {
	a := &argList{}
	a.add("network", "disconnect")
	if force {
		a.add("--force")
	}
	a.positional("network", network, id)
	return a.result()
}

// ConnectNetwork attaches a container to a network with attach's aliases
// and fixed addresses (attach.Name is replaced by network). nerdctl and
// apple/container have no network connect: Unsupported.
func (b *Backend) ConnectNetwork(ctx context.Context, network, container string, attach core.NetworkAttach) error {
	if err := requireID("network", network); err != nil {
		return err
	}
	if err := requireID("container", container); err != nil {
		return err
	}
	if b.proto.Flavor == FlavorNerdctl || b.proto.apple() {
		// Their CLIs attach networks only at creation.
		return backend.Unsupported(b, "connect a container to a network")
	}
	attach.Name = network
	args, err := b.proto.ConnectNetworkArgs(attach, container)
	if err != nil {
		return err
	}
	_, err = b.call(ctx, target{"network", network}, args)
	return err
}

// DisconnectNetwork detaches a container from a network.
func (b *Backend) DisconnectNetwork(ctx context.Context, network, container string, force bool) error {
	if err := requireID("network", network); err != nil {
		return err
	}
	if err := requireID("container", container); err != nil {
		return err
	}
	if b.proto.Flavor == FlavorNerdctl || b.proto.apple() {
		return backend.Unsupported(b, "disconnect a container from a network")
	}
	args, err := b.proto.DisconnectNetworkArgs(network, container, force)
	if err != nil {
		return err
	}
	_, err = b.call(ctx, target{"network", network}, args)
	return err
}
