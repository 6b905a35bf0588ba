package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

// network connect/disconnect of a running container: the argv, `--`
// before the positionals, and the attachment's aliases and address.
func TestNetworkConnectorArgv(t *testing.T) {
	f := newFakeCLI(t, "docker")
	b := Docker("docker", f.bin)
	f.on("default", reply{})
	ctx := t.Context()
	if err := b.ConnectNetwork(ctx, "p_front", "c1", core.NetworkAttach{Name: "ignored", Aliases: []string{"web", "site"}, IPv4Address: "10.9.0.5"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"network", "connect", "--alias=web", "--alias=site", "--ip=10.9.0.5", "--", "p_front", "c1"}
	if got := f.last()[1:]; !slices.Equal(got, want) {
		t.Fatalf("connect argv %q, want %q", got, want)
	}
	if err := b.DisconnectNetwork(ctx, "p_front", "-c1", true); err != nil {
		t.Fatal(err)
	}
	want = []string{"network", "disconnect", "--force", "--", "p_front", "-c1"}
	if got := f.last()[1:]; !slices.Equal(got, want) {
		t.Fatalf("disconnect argv %q, want %q", got, want)
	}
	if err := b.DisconnectNetwork(ctx, "p_front", "c1", false); err != nil {
		t.Fatal(err)
	}
	if got := f.last(); slices.Contains(got, "--force") {
		t.Fatalf("disconnect without force: %q", got)
	}
	if err := b.DisconnectNetwork(ctx, "", "c1", false); core.KindOf(err) != core.KindInvalidArgument {
		t.Fatalf("an empty network: %v", err)
	}
	if _, err := dockerP.DisconnectNetworkArgs("n\x00", "c1", false); err == nil || !strings.Contains(err.Error(), "NUL") {
		t.Fatalf("NUL in a network name: %v", err)
	}
}
