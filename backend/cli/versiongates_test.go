package cli

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

// What a runtime's CLI can ask of its engine depends on versions: the
// docker CLI's --mac-address needs Engine API 1.44, its --mount
// volume-subpath 1.45 (a newer CLI on an older engine sends the field and
// the engine mounts the whole volume) and its network create --ipv4=false
// 1.48 (the engine would create the network with IPv4); podman's --mount
// subpath came with podman 5.4. Below those, the call is refused naming
// the field before anything runs but `version`; an unknown version is not
// refused (the runtime's own error then speaks).
func TestVersionGatedFields(t *testing.T) {
	recorded := string(fixture(t, "live-docker-version.json")) // docker CLI 28.2.2 on a 20.10 engine: API 1.41
	docker := func(api string) string {
		return `{"Client":{"Version":"28.0.0","ApiVersion":"` + api + `"},"Server":{"Version":"28.0.0","ApiVersion":"` + api + `"}}`
	}
	podman := func(v string) string { return `{"Client":{"APIVersion":"` + v + `","Version":"` + v + `"}}` }
	off := false
	subpath := &core.ContainerSpec{Image: "img", Mounts: []core.Mount{{Type: "tmpfs", Target: "/t"}, {Type: "volume", Source: "data", Target: "/x", Subpath: "sub/dir"}}}
	mac := &core.ContainerSpec{Image: "img", Network: "n1", MacAddress: "92:d0:c6:0a:29:33"}
	v6only := core.NetworkConfig{EnableIPv6: true, EnableIPv4: &off}
	create := func(spec *core.ContainerSpec) func(context.Context, *Backend) error {
		return func(ctx context.Context, b *Backend) error { _, err := b.Create(ctx, spec); return err }
	}
	network := func(ctx context.Context, b *Backend) error { return b.CreateNetwork(ctx, "v6only", v6only) }

	for _, tc := range []struct {
		name, runtime, version string
		versionExit            int
		call                   func(context.Context, *Backend) error
		refused                string // the field named; "" when the CLI is run
		says                   string // a part of the refusal
		arg                    string // an argument of the CLI's call when it runs
	}{
		{"subpath, docker CLI 28 on a 20.10 engine (recorded)", "docker", recorded, 0, create(subpath), "mounts[1].subpath", "Engine API 1.45 (Docker 26) or later; this engine speaks 1.41", ""},
		{"subpath, docker on API 1.44", "docker", docker("1.44"), 0, create(subpath), "mounts[1].subpath", "speaks 1.44", ""},
		{"subpath, docker on API 1.45", "docker", docker("1.45"), 0, create(subpath), "", "", "--mount=type=volume,source=data,target=/x,volume-subpath=sub/dir"},
		{"subpath, docker's version unknown", "docker", docker("1.45"), 1, create(subpath), "", "", "--mount=type=volume,source=data,target=/x,volume-subpath=sub/dir"},
		{"subpath, podman 4.3.1", "podman", podman("4.3.1"), 0, create(subpath), "mounts[1].subpath", "needs podman 5.4 or later; this is podman 4.3.1", ""},
		{"subpath, podman 5.4.0", "podman", podman("5.4.0"), 0, create(subpath), "", "", "--mount=type=volume,source=data,target=/x,subpath=sub/dir"},
		{"mac_address, docker on API 1.41", "docker", recorded, 0, create(mac), "mac_address", "needs Engine API 1.44", ""},
		{"mac_address, docker on API 1.44", "docker", docker("1.44"), 0, create(mac), "", "", "--mac-address=92:d0:c6:0a:29:33"},
		{"enable_ipv4 false, docker CLI 28 on a 20.10 engine (recorded)", "docker", recorded, 0, network, "enable_ipv4",
			"needs Engine API 1.48 (Docker 28) or later; this engine speaks 1.41 and would create the network with IPv4", ""},
		{"enable_ipv4 false, docker on API 1.47", "docker", docker("1.47"), 0, network, "enable_ipv4", "speaks 1.47", ""},
		{"enable_ipv4 false, docker on API 1.48", "docker", docker("1.48"), 0, network, "", "", "--ipv4=false"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFakeCLI(t, tc.runtime)
			f.on("version", reply{stdout: tc.version, exit: tc.versionExit})
			f.on("create", reply{stdout: "c0ffee\n"})
			f.on("network", reply{stdout: "n0ffee\n"})
			err := tc.call(t.Context(), Docker(tc.runtime, f.bin))
			var ran [][]string
			for _, c := range f.calls() {
				if c[1] != "version" {
					ran = append(ran, c[1:])
				}
			}
			if tc.refused != "" {
				e := core.AsError(err)
				if err == nil || e.Kind != core.KindInvalidArgument || e.Details["field"] != tc.refused || !strings.Contains(e.Message, tc.says) {
					t.Fatalf("got %v, want InvalidArgument naming %s and %q", err, tc.refused, tc.says)
				}
				if len(ran) != 0 {
					t.Fatalf("the CLI ran %q", ran)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(ran) == 0 || !slices.Contains(ran[0], tc.arg) {
				t.Fatalf("calls %q, want %s in the first", ran, tc.arg)
			}
		})
	}
}
