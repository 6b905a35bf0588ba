package engine

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/perryts/perry-container/core"
)

// On the Docker engine through its API: a compose volume's subpath mounts
// that path of the named volume (the reader sees the file a first service
// wrote there, not the volume's root), and enable_ipv4: false makes an
// IPv6-only network, where the engine's API version reads them (1.45 and
// 1.48). Where it does not (this machine's Docker 20.10 speaks 1.41), the
// up fails naming the field (the reader's create, or the network's), and
// the refused container or network does not exist.
func TestIntegrationSubpathAndIPv6Only(t *testing.T) {
	r := newRealEngine(t)
	c, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ping, err := c.Ping(t.Context(), client.PingOptions{})
	if err != nil {
		t.Fatal(err)
	}
	v := ping.APIVersion
	t.Logf("Engine API %s", v)

	t.Run("subpath", func(t *testing.T) {
		ctx := r.ctx()
		e := r.engine(r.load(`
services:
  seed:
    image: ` + testImage + `
    command: sh -c "mkdir -p /v/sub/dir && echo perry > /v/sub/dir/hello && echo root > /v/hello"
    labels: [perry.test=1]
    volumes: [data:/v]
  reader:
    image: ` + testImage + `
    command: cat /x/hello
    labels: [perry.test=1]
    depends_on: {seed: {condition: service_completed_successfully}}
    volumes:
      - type: volume
        source: data
        target: /x
        read_only: true
        volume: {subpath: sub/dir}
volumes:
  data:
    labels: [perry.test=1]
`))
		err := e.Up(ctx, UpOptions{Wait: true, WaitTimeout: time.Minute})
		if versions.LessThan(v, "1.45") {
			// The reader's create is refused (the seed ran; the up's
			// rollback removes what it made).
			if k := core.KindOf(err); k != core.KindServiceStartupFailed || !strings.Contains(err.Error(), "mounts[0].subpath") ||
				!strings.Contains(err.Error(), "needs Engine API 1.45") {
				t.Fatalf("up with a subpath on API %s: %v, want the reader's create refused naming the subpath", v, err)
			}
			if _, ok := r.ids(ctx, e)[r.project+"-reader-1"]; ok {
				t.Fatal("the refused container exists")
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		if err := e.Logs(ctx, LogsOptions{Services: []string{"reader"}}, func(_, _, _, line string) { out = append(out, line) }); err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(strings.Join(out, "\n")) != "perry" {
			t.Fatalf("the reader printed %q, want perry (root: the whole volume was mounted)", out)
		}
	})

	t.Run("enable_ipv4 false", func(t *testing.T) {
		ctx := r.ctx()
		var suffix [2]byte
		_, _ = rand.Read(suffix[:])
		e := r.engine(r.load(`
services:
  app:
    image: ` + testImage + `
    command: ` + sleeper + `
    labels: [perry.test=1]
    networks: [v6]
networks:
  v6:
    labels: [perry.test=1]
    enable_ipv6: true
    enable_ipv4: false
    ipam:
      config:
        - subnet: fd00:` + hex.EncodeToString(suffix[:]) + `::/64
`))
		err := e.Up(ctx, UpOptions{})
		name := r.project + "_v6"
		if versions.LessThan(v, "1.48") {
			if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "enable_ipv4") {
				t.Fatalf("up with enable_ipv4 false on API %s: %v, want InvalidArgument naming enable_ipv4", v, err)
			}
			if _, err := r.b.InspectNetwork(ctx, name); core.KindOf(err) != core.KindNotFound {
				t.Fatalf("the refused network exists: %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.NetworkInspect(ctx, name, client.NetworkInspectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if res.Network.EnableIPv4 || !res.Network.EnableIPv6 {
			t.Fatalf("network %s: EnableIPv4 %v EnableIPv6 %v, want IPv6 only", name, res.Network.EnableIPv4, res.Network.EnableIPv6)
		}
	})
}
