package engine

import (
	"encoding/hex"
	"net/netip"
	"path"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
)

// A compose network's gateway and ip_range are applied on every runtime,
// through each path: the container's address lies in the range and its
// default route goes through the gateway (neither is the runtime's pick:
// the gateway is not the subnet's first address, the range is its upper
// half).
func TestIntegrationNetworkIPAM(t *testing.T) {
	onDocker(t, func(r *realEngine, i int) { r.networkIPAM([]string{"10.234.7", "10.234.9"}[i]) })
}

func TestRuntimesNetworkIPAM(t *testing.T) {
	prefix := map[string]string{"podman-cli": "10.234.11", "podman-api": "10.234.13", "nerdctl": "10.234.15"}
	onRuntimes(t, func(t *testing.T, r *realEngine) { r.networkIPAM(prefix[path.Base(t.Name())]) })
}

func (r *realEngine) networkIPAM(prefix string) {
	t := r.t
	ctx := r.ctx()
	e := r.engine(r.load(`
services:
  app:
    image: ` + testImage + `
    command: ` + sleeper + `
    labels: [perry.test=1]
    networks: [front]
networks:
  front:
    labels: [perry.test=1]
    ipam:
      config:
        - subnet: ` + prefix + `.0/24
          gateway: ` + prefix + `.126
          ip_range: ` + prefix + `.128/25
`))
	if err := e.Up(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	id := r.ids(ctx, e)[r.project+"-app-1"]
	info, err := r.b.Inspect(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	addr := info.IPAddress
	if addr == "" {
		res, err := r.b.Exec(ctx, id, backend.ExecOptions{Cmd: []string{"hostname", "-i"}})
		if err != nil {
			t.Fatal(err)
		}
		addr = strings.TrimSpace(res.Stdout)
	}
	if a, err := netip.ParseAddr(addr); err != nil || !netip.MustParsePrefix(prefix+".128/25").Contains(a) {
		t.Errorf("app's address %q, want one in the ip_range %s.128/25", addr, prefix)
	}
	// The default route's gateway, from the kernel's table: no applet needed.
	res, err := r.b.Exec(ctx, id, backend.ExecOptions{Cmd: []string{"cat", "/proc/net/route"}})
	if err != nil {
		t.Fatal(err)
	}
	var gw string
	for _, line := range strings.Split(res.Stdout, "\n") {
		f := strings.Fields(line)
		if len(f) > 2 && f[1] == "00000000" {
			// The address in the (little-endian) host's byte order.
			if b, err := hex.DecodeString(f[2]); err == nil && len(b) == 4 {
				gw = netip.AddrFrom4([4]byte{b[3], b[2], b[1], b[0]}).String()
			}
		}
	}
	if gw != prefix+".126" {
		t.Errorf("default gateway %q, want %s.126\n%s", gw, prefix, res.Stdout)
	}
}
