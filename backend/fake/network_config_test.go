package fake

import (
	"reflect"
	"testing"

	"github.com/perryts/perry-container/core"
)

// The fake keeps the configuration a network was created with, apart from
// the caller's copy, until the network is removed.
func TestNetworkConfigRecorded(t *testing.T) {
	b := New()
	ctx := t.Context()
	cfg := core.NetworkConfig{Labels: map[string]string{"k": "v"}, IPAM: &core.IPAM{Driver: "default", Options: map[string]string{"o": "1"},
		Config: []core.IPAMPool{{Subnet: "10.5.0.0/16", Gateway: "10.5.0.1", IPRange: "10.5.1.0/24", AuxAddresses: map[string]string{"r": "10.5.0.2"}}}}}
	want := copyNetworkConfig(cfg)
	if err := b.CreateNetwork(ctx, "front", cfg); err != nil {
		t.Fatal(err)
	}
	cfg.IPAM.Config[0].AuxAddresses["r"] = "10.5.0.9" // the caller's later change
	got, ok := b.NetworkConfig("front")
	if !ok || !reflect.DeepEqual(got, want) {
		t.Fatalf("NetworkConfig = %+v %v, want %+v", got, ok, want)
	}
	got.IPAM.Options["o"] = "2"
	if again, _ := b.NetworkConfig("front"); again.IPAM.Options["o"] != "1" {
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
