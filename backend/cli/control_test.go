package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

// Every protocol applies the same control-character rule (core's Validate):
// a path or option value with one is refused naming the field before any
// argv exists; env and label values reach the argv byte for byte.
func TestControlCharactersEveryProtocol(t *testing.T) {
	protocols := []struct {
		name string
		p    Protocol
	}{{"docker", dockerP}, {"podman", podmanP}, {"nerdctl", nerdctlP}, {"apple", appleP}, {"lima", limaP}}
	refused := []struct {
		name  string
		spec  core.ContainerSpec
		field string
	}{
		{"CR LF bind target (rapid seed 17899032187923806366)", core.ContainerSpec{Mounts: []core.Mount{{Type: "bind", Target: "\r\n"}}}, "mounts[0].target"},
		{"LF tmpfs mount target", core.ContainerSpec{Mounts: []core.Mount{{Type: "tmpfs", Target: "/t\n"}}}, "mounts[0].target"},
		{"CR volume", core.ContainerSpec{Volumes: []string{"/a:/b\r"}}, "volumes[0]"},
		{"tab tmpfs", core.ContainerSpec{Tmpfs: []string{"/run\t"}}, "tmpfs[0]"},
		{"DEL workdir", core.ContainerSpec{Workdir: "/w\x7f"}, "workdir"},
		{"LF label key", core.ContainerSpec{Labels: map[string]string{"a\nb": "v"}}, "labels"},
		{"LF network", core.ContainerSpec{Network: "n\n"}, "network"},
		{"CR LF env value", core.ContainerSpec{Env: map[string]string{"K": "a\r\nb"}}, "env[K]"},
		{"CR label value", core.ContainerSpec{Labels: map[string]string{"k": "a\rb"}}, "labels[k]"},
	}
	for _, pr := range protocols {
		for _, tt := range refused {
			t.Run(pr.name+"/"+tt.name, func(t *testing.T) {
				spec := tt.spec
				spec.Image = "img"
				_, err := pr.p.CreateArgs(&spec)
				if e := core.AsError(err); err == nil || e.Kind != core.KindInvalidArgument || !strings.Contains(e.Message, tt.field) {
					t.Fatalf("CreateArgs = %v, want InvalidArgument naming %s", err, tt.field)
				}
			})
		}
		t.Run(pr.name+"/env and label values kept", func(t *testing.T) {
			v := "one\ntwo\tthree\x1b\x7f"
			args, err := pr.p.CreateArgs(&core.ContainerSpec{Image: "img", Env: map[string]string{"K": v}, Labels: map[string]string{"k": v}})
			if err != nil {
				t.Fatal(err)
			}
			for _, want := range []string{"--env=K=" + v, "--label=k=" + v} {
				if !slices.Contains(args, want) {
					t.Errorf("%q lacks %q", args, want)
				}
			}
		})
	}
}
