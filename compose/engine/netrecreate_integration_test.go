package engine

import (
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
)

// A network whose subnet changed, on the Docker engine through its API and
// its CLI: up recreates it and moves the running containers to it, with
// their aliases, without recreating them.
func TestIntegrationNetworkConfigChanged(t *testing.T) {
	onDocker(t, func(r *realEngine, i int) { r.networkConfigChanged([]string{"10.231.7", "10.231.9"}[i]) })
}

func (r *realEngine) networkConfigChanged(second string) {
	t := r.t
	ctx := r.ctx()
	yaml := func(subnet string) string {
		return `
services:
  app:
    image: ` + testImage + `
    command: ` + sleeper + `
    labels: [perry.test=1]
    networks:
      front:
        aliases: [site]
  probe:
    image: ` + testImage + `
    command: ` + sleeper + `
    labels: [perry.test=1]
    networks: [front]
networks:
  front:
    labels: [perry.test=1]
    ipam:
      config:
        - subnet: ` + subnet + `
`
	}
	ids := func() map[string]string {
		t.Helper()
		cs, err := r.b.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{LabelProject: r.project}})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, c := range cs {
			if !c.Running() {
				t.Fatalf("%s is %s", c.Name, c.State)
			}
			out[c.Labels[LabelService]] = c.ID
		}
		return out
	}
	// resolves: the probe finds app by its service name and its alias in
	// the subnet.
	resolves := func(prefix string) {
		t.Helper()
		for _, name := range []string{"app", "site"} {
			res, err := r.b.Exec(ctx, ids()["probe"], backend.ExecOptions{Cmd: []string{"nslookup", name}})
			if err != nil || !strings.Contains(res.Stdout, prefix) {
				t.Fatalf("nslookup %s: %v\n%s%s, want an address in %s", name, err, res.Stdout, res.Stderr, prefix)
			}
		}
	}
	if err := r.engine(r.load(yaml("10.231.5.0/24"))).Up(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	before := ids()
	resolves("10.231.5.")
	if err := r.engine(r.load(yaml(second+".0/24"))).Up(ctx, UpOptions{}); err != nil {
		t.Fatal(err)
	}
	after := ids()
	if after["app"] != before["app"] || after["probe"] != before["probe"] {
		t.Fatalf("containers recreated: %v → %v", before, after)
	}
	resolves(second + ".")
	res, err := r.b.Exec(ctx, after["app"], backend.ExecOptions{Cmd: []string{"hostname", "-i"}})
	if err != nil || !strings.Contains(res.Stdout, second+".") {
		t.Fatalf("app's address %q (%v), want one in %s", res.Stdout, err, second)
	}
}
