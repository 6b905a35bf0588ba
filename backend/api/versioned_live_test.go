package api_test

import (
	"cmp"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/api"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// On the engine the test runs against, a volume's subpath and an
// IPv6-only network (enable_ipv4: false) are applied where its API version
// reads them (1.45 and 1.48) and refused, naming the field, with nothing
// created, where it does not: this machine's Docker 20.10 speaks 1.41, so
// there both are refused. podman's compatible API refuses both at any
// version (it would mount the whole volume, and has no IPv4 switch).
func TestVersionedFieldsOnTheEngine(t *testing.T) {
	for _, tc := range []struct {
		name, host string
		b          func(t *testing.T) *api.Backend
	}{
		{"docker", "", func(t *testing.T) *api.Backend { return testenv.RequireEngine(t) }},
		{"podman", "unix://" + testenv.PodmanSocket, func(t *testing.T) *api.Backend { return testenv.RequirePodmanAPI(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b(t)
			ctx := t.Context()
			c, err := client.New(client.FromEnv, client.WithHost(cmp.Or(tc.host, os.Getenv("DOCKER_HOST"), client.DefaultDockerHost)))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			ping, err := c.Ping(ctx, client.PingOptions{})
			if err != nil {
				t.Fatal(err)
			}
			v, podman := ping.APIVersion, tc.name == "podman"
			t.Logf("Engine API %s", v)

			t.Run("subpath", func(t *testing.T) {
				vol := mkVolume(t, b)
				seed := spec("subpath-seed", "sh", "-c", "mkdir -p /v/sub/dir && echo perry > /v/sub/dir/hello && echo root > /v/hello")
				seed.Volumes = []string{vol + ":/v"}
				wait(t, b, run(t, b, seed).ID, 0)
				s := spec("subpath", "cat", "/x/hello")
				s.Mounts = []core.Mount{{Type: "volume", Source: vol, Target: "/x", Subpath: "sub/dir", ReadOnly: true}}
				if podman || versions.LessThan(v, "1.45") {
					h, err := b.Run(ctx, s)
					if h.ID != "" {
						track(t, b, h.ID)
					}
					if kindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "mounts[0].subpath") {
						t.Fatalf("a subpath on %s (API %s): %v, want InvalidArgument naming mounts[0].subpath", tc.name, v, err)
					}
					if _, err := b.Inspect(ctx, s.Name); kindOf(err) != core.KindNotFound {
						t.Fatalf("the refused container exists: %v", err)
					}
					return
				}
				h := run(t, b, s)
				wait(t, b, h.ID, 0)
				logs, err := b.Logs(ctx, h.ID, backend.LogsOptions{})
				if err != nil || strings.TrimSpace(logs.Stdout) != "perry" {
					t.Fatalf("the subpath's file reads %q (%v), want perry (root's file: the whole volume was mounted)", logs.Stdout, err)
				}
			})

			t.Run("enable_ipv4 false", func(t *testing.T) {
				off := false
				cfg := core.NetworkConfig{EnableIPv6: true, EnableIPv4: &off,
					IPAM: &core.IPAM{Config: []core.IPAMPool{{Subnet: fmt.Sprintf("fd00:%s::/64", randomHex(2))}}}}
				if podman || versions.LessThan(v, "1.48") {
					n := name("v6only")
					cfg.Labels = labels()
					err := b.CreateNetwork(ctx, n, cfg)
					if err == nil {
						_ = b.RemoveNetwork(ctx, n)
					}
					if kindOf(err) != core.KindInvalidArgument || core.AsError(err).Details["field"] != "network.enable_ipv4" {
						t.Fatalf("an IPv6-only network on %s (API %s): %v, want InvalidArgument naming network.enable_ipv4", tc.name, v, err)
					}
					if _, err := b.InspectNetwork(ctx, n); kindOf(err) != core.KindNotFound {
						t.Fatalf("the refused network exists: %v", err)
					}
					return
				}
				n := mkNetwork(t, b, cfg)
				res, err := c.NetworkInspect(ctx, n, client.NetworkInspectOptions{})
				if err != nil {
					t.Fatal(err)
				}
				if res.Network.EnableIPv4 || !res.Network.EnableIPv6 {
					t.Fatalf("network %s: EnableIPv4 %v EnableIPv6 %v, want IPv6 only", n, res.Network.EnableIPv4, res.Network.EnableIPv6)
				}
			})
		})
	}
}
