package api

import (
	"context"

	"github.com/moby/moby/client"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

var _ backend.NetworkConnector = (*Backend)(nil)

// ConnectNetwork attaches a container to a network with attach's aliases
// and fixed addresses (attach.Name is ignored: network names the network).
func (b *Backend) ConnectNetwork(ctx context.Context, network, container string, attach core.NetworkAttach) error {
	if err := requireID("network", network); err != nil {
		return err
	}
	if err := requireID("container", container); err != nil {
		return err
	}
	ep, err := endpoint(attach, "attach")
	if err != nil {
		return err
	}
	_, err = b.cli.NetworkConnect(ctx, network, client.NetworkConnectOptions{Container: container, EndpointConfig: ep})
	return b.engineError(err, "network", network)
}

// DisconnectNetwork detaches a container from a network.
func (b *Backend) DisconnectNetwork(ctx context.Context, network, container string, force bool) error {
	if err := requireID("network", network); err != nil {
		return err
	}
	if err := requireID("container", container); err != nil {
		return err
	}
	_, err := b.cli.NetworkDisconnect(ctx, network, client.NetworkDisconnectOptions{Container: container, Force: force})
	return b.engineError(err, "network", network)
}
