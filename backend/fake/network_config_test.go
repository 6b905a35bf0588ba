package fake

import (
	"reflect"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

// The fake keeps the configuration a network was created with, apart from
// the caller's copy, until the network is removed.
func TestNetworkConfigRecorded(t *testing.T) {
	b := New()
	ctx := t.Context()
	off := false
	cfg := core.NetworkConfig{Labels: map[string]string{"k": "v"}, EnableIPv6: true, EnableIPv4: &off, IPAM: &core.IPAM{Driver: "default", Options: map[string]string{"o": "1"},
		Config: []core.IPAMPool{{Subnet: "10.5.0.0/16", Gateway: "10.5.0.1", IPRange: "10.5.1.0/24", AuxAddresses: map[string]string{"r": "10.5.0.2"}}}}}
	want := copyNetworkConfig(cfg)
	if err := b.CreateNetwork(ctx, "front", cfg); err != nil {
		t.Fatal(err)
	}
	cfg.IPAM.Config[0].AuxAddresses["r"] = "10.5.0.9" // the caller's later changes
	off = true
	got, ok := b.NetworkConfig("front")
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("NetworkConfig = %+v %v, want %+v", got, ok, want)
	}
	got.IPAM.Options["o"] = "2"
	*got.EnableIPv4 = true
	if again, _ := b.NetworkConfig("front"); again.IPAM.Options["o"] != "1" || !again.IPv4Disabled() {
		t.Fatal("a change to a returned config reached the backend")
	}
	info, err := b.InspectNetwork(ctx, "front")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := b.NetworkConfig(info.ID); !ok {
		t.Fatal("not found by id")
	}
	for _, name := range []string{"bridge", "absent"} {
		if _, ok := b.NetworkConfig(name); ok {
			t.Errorf("%s has a recorded config", name)
		}
	}
	if err := b.RemoveNetwork(ctx, "front"); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.NetworkConfig(info.ID); ok {
		t.Fatal("a removed network keeps its config")
	}
}

// The fake keeps the spec a container was created with, a mount's subpath
// included; a bad subpath is refused as every backend refuses it.
func TestContainerSpecRecorded(t *testing.T) {
	b := New()
	ctx := t.Context()
	if err := b.PullImage(ctx, "img"); err != nil {
		t.Fatal(err)
	}
	spec := &core.ContainerSpec{Image: "img", Name: "web", Mounts: []core.Mount{{Type: "volume", Source: "data", Target: "/x", Subpath: "sub/dir", ReadOnly: true}}}
	h, err := b.Create(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	got, ok := b.ContainerSpec(h.ID)
	if !ok || len(got.Mounts) != 1 || got.Mounts[0] != spec.Mounts[0] {
		t.Fatalf("ContainerSpec = %+v %v", got, ok)
	}
	got.Mounts[0].Subpath = "other"
	if again, _ := b.ContainerSpec("web"); again.Mounts[0].Subpath != "sub/dir" {
		t.Fatal("a change to a returned spec reached the backend")
	}
	if _, ok := b.ContainerSpec("absent"); ok {
		t.Fatal("an absent container has a spec")
	}
	bad := &core.ContainerSpec{Image: "img", Mounts: []core.Mount{{Type: "volume", Source: "data", Target: "/x", Subpath: "../etc"}}}
	if _, err := b.Create(ctx, bad); core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "mounts[0].subpath") {
		t.Fatalf("a subpath leaving the volume: %v", err)
	}
}
