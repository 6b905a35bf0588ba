package engine

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

// A named volume mounted at a subpath reaches the backend as a long-form
// volume mount carrying it (docker compose sends VolumeOptions.Subpath),
// read_only and nocopy beside it; a plain named volume stays a "-v" volume.
func TestVolumeSubpathReachesTheBackend(t *testing.T) {
	b := newFake()
	e, _ := newEngine(t, b, load(t, `
services:
  web:
    image: busybox
    command: sleep infinity
    volumes:
      - type: volume
        source: data
        target: /x
        read_only: true
        volume: {subpath: sub/dir, nocopy: true}
      - data:/whole
volumes:
  data: {}
`))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	spec, ok := b.ContainerSpec("demo-web-1")
	if !ok {
		t.Fatal("no container")
	}
	want := []core.Mount{{Type: "volume", Source: "demo_data", Target: "/x", ReadOnly: true, NoCopy: true, Subpath: "sub/dir"}}
	if !reflect.DeepEqual(spec.Mounts, want) || !reflect.DeepEqual(spec.Volumes, []string{"demo_data:/whole"}) {
		t.Fatalf("mounts %+v volumes %q, want %+v and the whole volume at /whole", spec.Mounts, spec.Volumes, want)
	}
	if _, err := b.InspectVolume(context.Background(), "demo_data"); err != nil {
		t.Fatalf("the volume was not created: %v", err)
	}
}

// A subpath no engine would take fails the up before anything is created,
// naming the service and the field.
func TestBadVolumeSubpathIsAnError(t *testing.T) {
	for _, tc := range []struct{ name, volume, want string }{
		{"an absolute path", `{type: volume, source: data, target: /x, volume: {subpath: /etc}}`,
			`volumes[0].volume.subpath "/etc" must be a path relative to the volume's root`},
		{"a path leaving the volume", `{type: volume, source: data, target: /x, volume: {subpath: a/../../etc}}`,
			`volumes[0].volume.subpath "a/../../etc" leaves the volume through ".."`},
		{"an anonymous volume", `{type: volume, target: /x, volume: {subpath: a}}`,
			"volumes[0].volume.subpath needs a named volume as source"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFake()
			e, _ := newEngine(t, b, load(t, "services:\n  web: {image: busybox, volumes: ["+tc.volume+"]}\nvolumes:\n  data: {}\n"))
			ce := wantKind(t, e.Up(ctxT(t), UpOptions{}), core.KindInvalidConfig)
			if ce.Details["service"] != "web" || !strings.Contains(ce.Message, `service "web": `+tc.want) {
				t.Fatalf("error %v %v", ce, ce.Details)
			}
			if len(b.Calls()) != 0 {
				t.Fatalf("backend called before validation: %v", b.Calls())
			}
		})
	}
}

// ipv4YAML is a service on network v6, with line among the network's keys.
func ipv4YAML(line string) string {
	return `
services:
  web:
    image: busybox
    command: sleep infinity
    networks: [v6]
networks:
  v6:
    enable_ipv6: true
    ` + line + "\n"
}

// enable_ipv4 false reaches the backend's network create; true, the
// default, and absent carry nothing.
func TestNetworkEnableIPv4ReachesTheBackend(t *testing.T) {
	for _, tc := range []struct {
		name, line string
		disabled   bool
	}{
		{"false", "enable_ipv4: false", true},
		{"true", "enable_ipv4: true", false},
		{"absent", "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := newFake()
			e, _ := newEngine(t, b, load(t, ipv4YAML(tc.line)))
			if err := e.Up(ctxT(t), UpOptions{}); err != nil {
				t.Fatal(err)
			}
			cfg, ok := b.NetworkConfig("demo_v6")
			if !ok || !cfg.EnableIPv6 || cfg.IPv4Disabled() != tc.disabled || (!tc.disabled && cfg.EnableIPv4 != nil) {
				t.Fatalf("network config %+v %v", cfg, ok)
			}
		})
	}
}

// A changed enable_ipv4 changes the network's config hash as a changed
// enable_ipv6 does, so an up recreates the network; writing true, the
// default, where nothing was written changes nothing.
func TestChangedEnableIPv4RecreatesTheNetwork(t *testing.T) {
	b := newFake()
	ctx := context.Background()
	up := func(line string) string {
		t.Helper()
		e, _ := newEngine(t, b, load(t, ipv4YAML(line)))
		if err := e.Up(ctxT(t), UpOptions{}); err != nil {
			t.Fatal(err)
		}
		n, err := b.InspectNetwork(ctx, "demo_v6")
		if err != nil {
			t.Fatal(err)
		}
		return n.ID
	}
	first := up("")
	if id := up("enable_ipv4: true"); id != first {
		t.Fatal("writing the default enable_ipv4: true recreated the network")
	}
	second := up("enable_ipv4: false")
	if second == first {
		t.Fatal("enable_ipv4 false did not recreate the network")
	}
	if cfg, _ := b.NetworkConfig("demo_v6"); !cfg.IPv4Disabled() {
		t.Fatalf("recreated with %+v", cfg)
	}
	if up("enable_ipv4: false") != second {
		t.Fatal("an unchanged enable_ipv4 false recreated the network")
	}
	if up("") == second {
		t.Fatal("dropping enable_ipv4 false did not recreate the network")
	}
	web, err := b.Inspect(ctx, "demo-web-1")
	if err != nil || !web.Running() {
		t.Fatalf("the service's container after the recreates: %+v %v", web, err)
	}
}

// A field outside what the engine maps is refused when it is set, though
// its value reads as empty: umask 0 (mask nothing) was dropped without a
// word as if absent, while umask 18 was refused.
func TestUnsupportedFieldSetToZeroIsAnError(t *testing.T) {
	for _, value := range []string{"0", "18"} {
		t.Run("umask "+value, func(t *testing.T) {
			b := newFake()
			e, _ := newEngine(t, b, load(t, "services:\n  web: {image: busybox, umask: "+value+"}\n"))
			ce := wantKind(t, e.Up(ctxT(t), UpOptions{}), core.KindInvalidConfig)
			if ce.Details["field"] != "umask" || ce.Details["service"] != "web" {
				t.Fatalf("error %v %v", ce, ce.Details)
			}
			if len(b.Calls()) != 0 {
				t.Fatal("backend called before validation")
			}
		})
	}
}
