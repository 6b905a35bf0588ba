package fake

import (
	"slices"
	"testing"

	"github.com/perryts/perry-container/core"
)

func TestNetworkConnector(t *testing.T) {
	b := New("busybox")
	ctx := t.Context()
	for _, n := range []string{"a", "b"} {
		if err := b.CreateNetwork(ctx, n, core.NetworkConfig{}); err != nil {
			t.Fatal(err)
		}
	}
	h, err := b.Run(ctx, &core.ContainerSpec{Image: "busybox", Name: "c", Network: "a"})
	if err != nil {
		t.Fatal(err)
	}
	nets := func() []string {
		info, err := b.Inspect(ctx, h.ID)
		if err != nil {
			t.Fatal(err)
		}
		return info.Networks
	}
	if err := b.ConnectNetwork(ctx, "b", h.ID, core.NetworkAttach{Aliases: []string{"x"}}); err != nil {
		t.Fatal(err)
	}
	if got := nets(); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("after connect: %v", got)
	}
	if err := b.ConnectNetwork(ctx, "b", h.ID, core.NetworkAttach{}); err == nil {
		t.Fatal("connected twice")
	}
	// A running container keeps a network in use until disconnected.
	if err := b.RemoveNetwork(ctx, "a"); err == nil {
		t.Fatal("removed a network in use")
	}
	if err := b.DisconnectNetwork(ctx, "a", h.ID, false); err != nil {
		t.Fatal(err)
	}
	if got := nets(); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("after disconnect: %v", got)
	}
	if err := b.DisconnectNetwork(ctx, "a", h.ID, false); err == nil {
		t.Fatal("disconnected twice")
	}
	if err := b.RemoveNetwork(ctx, "a"); err != nil {
		t.Fatalf("removing the network once disconnected: %v", err)
	}
	if err := b.ConnectNetwork(ctx, "gone", h.ID, core.NetworkAttach{}); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("a missing network: %v", err)
	}
}

// A spec that names its primary network again in Networks (to give it a
// fixed address) is attached to it once, as on Docker: a disconnect frees
// the network.
func TestPrimaryNetworkNamedTwiceIsOneAttachment(t *testing.T) {
	b := New("busybox")
	ctx := t.Context()
	if err := b.CreateNetwork(ctx, "a", core.NetworkConfig{}); err != nil {
		t.Fatal(err)
	}
	h, err := b.Run(ctx, &core.ContainerSpec{Image: "busybox", Name: "c", Network: "a",
		Networks: []core.NetworkAttach{{Name: "a", IPv4Address: "10.1.0.5"}}})
	if err != nil {
		t.Fatal(err)
	}
	if info, _ := b.Inspect(ctx, h.ID); !slices.Equal(info.Networks, []string{"a"}) {
		t.Fatalf("networks %v, want [a]", info.Networks)
	}
	if err := b.DisconnectNetwork(ctx, "a", h.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := b.RemoveNetwork(ctx, "a"); err != nil {
		t.Fatalf("remove after the one disconnect: %v", err)
	}
}
