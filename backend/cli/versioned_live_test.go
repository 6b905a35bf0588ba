package cli

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/moby/moby/client/pkg/versions"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// A volume's subpath and an IPv6-only network (enable_ipv4: false) through
// each CLI runtime: applied where the runtime's CLI and engine take them,
// refused naming the field with nothing created where they do not. The
// docker CLI takes a subpath on Engine API 1.45 and --ipv4=false on 1.48
// (this machine's docker CLI 28 on Engine 20.10 speaks 1.41: both are
// refused there); podman takes a subpath from 5.4 (4.3 here: refused) and
// has no IPv4 switch; nerdctl has neither.
func TestRuntimesVersionedFields(t *testing.T) {
	onCLIRuntimes(t, func(t *testing.T, name string, b *Backend) {
		ctx := t.Context()
		api, ver := b.versions(ctx)
		t.Logf("%s %s, Engine API %q", name, ver, api)

		t.Run("subpath", func(t *testing.T) {
			run := uniqueName("subpath")
			if err := b.CreateVolume(ctx, run, core.VolumeConfig{Labels: testLabels(run)}); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				ctx, cancel := cleanupCtx()
				defer cancel()
				if err := b.RemoveVolume(ctx, run, true); err != nil && core.KindOf(err) != core.KindNotFound {
					t.Errorf("cleanup of volume %s: %v", run, err)
				}
			})
			seed := create(t, b, &core.ContainerSpec{Image: testImage, Name: run + "-seed", Labels: testLabels(run), Volumes: []string{run + ":/v"},
				Cmd: []string{"sh", "-c", "mkdir -p /v/sub/dir && echo perry > /v/sub/dir/hello && echo root > /v/hello"}}, true)
			if code := waitExit(t, b, seed.ID); code != 0 {
				t.Fatalf("seed exit code %d", code)
			}
			spec := &core.ContainerSpec{Image: testImage, Name: run + "-read", Labels: testLabels(run), Cmd: []string{"cat", "/x/hello"},
				Mounts: []core.Mount{{Type: "volume", Source: run, Target: "/x", Subpath: "sub/dir", ReadOnly: true}}}
			takes := name == "docker" && !versions.LessThan(api, "1.45") || name == "podman" && !versions.LessThan(ver, "5.4")
			if !takes {
				h, err := b.Run(ctx, spec)
				if h.ID != "" {
					_ = b.Remove(ctx, h.ID, true)
				}
				if core.KindOf(err) != core.KindInvalidArgument || core.AsError(err).Details["field"] != "mounts[0].subpath" {
					t.Fatalf("a subpath on %s %s (API %q): %v, want InvalidArgument naming mounts[0].subpath", name, ver, api, err)
				}
				if _, err := b.Inspect(ctx, spec.Name); core.KindOf(err) != core.KindNotFound {
					t.Fatalf("the refused container exists: %v", err)
				}
				return
			}
			h := create(t, b, spec, true)
			if code := waitExit(t, b, h.ID); code != 0 {
				t.Fatalf("reader exit code %d", code)
			}
			logs, err := b.Logs(ctx, h.ID, backend.LogsOptions{})
			if err != nil || strings.TrimSpace(logs.Stdout) != "perry" {
				t.Fatalf("the subpath's file reads %q (%v), want perry (root's file: the whole volume was mounted)", logs.Stdout, err)
			}
		})

		t.Run("enable_ipv4 false", func(t *testing.T) {
			n := uniqueName("v6only")
			var suffix [2]byte
			_, _ = rand.Read(suffix[:])
			off := false
			cfg := core.NetworkConfig{Labels: testLabels(n), EnableIPv6: true, EnableIPv4: &off,
				IPAM: &core.IPAM{Config: []core.IPAMPool{{Subnet: "fd00:" + hex.EncodeToString(suffix[:]) + "::/64"}}}}
			err := b.CreateNetwork(ctx, n, cfg)
			if err == nil {
				t.Cleanup(func() {
					ctx, cancel := cleanupCtx()
					defer cancel()
					if err := b.RemoveNetwork(ctx, n); err != nil && core.KindOf(err) != core.KindNotFound {
						t.Errorf("cleanup of network %s: %v", n, err)
					}
				})
			}
			if name != "docker" || versions.LessThan(api, "1.48") {
				if core.KindOf(err) != core.KindInvalidArgument || core.AsError(err).Details["field"] != "enable_ipv4" {
					t.Fatalf("an IPv6-only network on %s (API %q): %v, want InvalidArgument naming enable_ipv4", name, api, err)
				}
				if _, err := b.InspectNetwork(ctx, n); core.KindOf(err) != core.KindNotFound {
					t.Fatalf("the refused network exists: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var ins []struct{ EnableIPv4, EnableIPv6 bool }
			runtimeJSON(t, b, &ins, b.proto.InspectNetworkArgs(n)...)
			if len(ins) != 1 || ins[0].EnableIPv4 || !ins[0].EnableIPv6 {
				t.Fatalf("docker network inspect: %+v, want IPv6 only", ins)
			}
		})
	})
}
