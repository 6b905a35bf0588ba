package engine

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

const subnetYAML = `
services:
  web:
    image: busybox
    command: sleep infinity
    networks:
      front:
        aliases: [site]
networks:
  front:
    ipam:
      config:
        - subnet: ${SUBNET-172.99.0.0/16}
`

// connectSpy records the attachments the engine asks for.
type connectSpy struct {
	*fake.Backend
	mu       sync.Mutex
	attaches []core.NetworkAttach
}

func (s *connectSpy) ConnectNetwork(ctx context.Context, network, container string, a core.NetworkAttach) error {
	s.mu.Lock()
	s.attaches = append(s.attaches, a)
	s.mu.Unlock()
	return s.Backend.ConnectNetwork(ctx, network, container, a)
}

// noConnector is a backend without the optional NetworkConnector.
type noConnector struct{ backend.Backend }

func upWithSubnet(t *testing.T, b backend.Backend, subnet string) *eventLog {
	t.Helper()
	env := map[string]string{}
	if subnet != "" {
		env["SUBNET"] = subnet
	}
	e, log := newEngine(t, b, loadEnv(t, subnetYAML, env))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	return log
}

func TestUpRecreatesChangedNetworkAndReconnects(t *testing.T) {
	b := &connectSpy{Backend: newFake()}
	upWithSubnet(t, b, "")
	ctx := context.Background()
	before, err := b.Inspect(ctx, "demo-web-1")
	if err != nil {
		t.Fatal(err)
	}
	n1, _ := b.InspectNetwork(ctx, "demo_front")
	if n1.Labels[LabelConfigHash] == "" {
		t.Fatalf("network has no config hash label: %v", n1.Labels)
	}

	// Nothing changed: the network stays.
	upWithSubnet(t, b, "")
	if n, _ := b.InspectNetwork(ctx, "demo_front"); n.ID != n1.ID {
		t.Fatal("an unchanged network was recreated")
	}

	// A dry run says the network is removed and created again.
	dry, _ := newEngine(t, b, loadEnv(t, subnetYAML, map[string]string{"SUBNET": "192.168.0.0/16"}))
	plans, err := dry.PlanUp(ctxT(t), UpOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var ops []string
	for _, pl := range plans {
		for _, op := range pl.Ops {
			if op.Resource == "network:front" {
				ops = append(ops, string(op.Type))
			}
		}
	}
	if !slices.Equal(ops, []string{string(OpRemoveNetwork), string(OpCreateNetwork)}) {
		t.Fatalf("dry run plans %v for the changed network", ops)
	}

	log := upWithSubnet(t, b, "192.168.0.0/16")
	n2, err := b.InspectNetwork(ctx, "demo_front")
	if err != nil {
		t.Fatal(err)
	}
	if n2.ID == n1.ID || n2.Labels[LabelConfigHash] == n1.Labels[LabelConfigHash] || n2.Labels[LabelProject] != "demo" {
		t.Fatalf("network not recreated with the new hash: %v → %v", n1, n2)
	}
	after, err := b.Inspect(ctx, "demo-web-1")
	if err != nil {
		t.Fatal(err)
	}
	if after.ID != before.ID || !after.Running() || !slices.Contains(after.Networks, "demo_front") {
		t.Fatalf("container recreated, stopped or not reconnected: %+v → %+v", before, after)
	}
	calls := b.Calls()
	if indexOf(calls, "DisconnectNetwork", "demo_front") < 0 || indexOf(calls, "ConnectNetwork", "demo_front") < 0 {
		t.Fatalf("no disconnect/connect: %v", b.Methods())
	}
	if len(b.attaches) != 1 || !slices.Contains(b.attaches[0].Aliases, "site") || !slices.Contains(b.attaches[0].Aliases, "web") {
		t.Fatalf("reconnected with %+v, want the aliases web and site", b.attaches)
	}
	if len(log.find(StatusRecreate, "demo_front")) != 1 {
		t.Fatalf("no Recreate event for the network: %+v", log.evs)
	}

	// A network made by a tool that writes no config hash is left as it is.
	if err := b.CreateNetwork(ctx, "legacy_front", core.NetworkConfig{Labels: map[string]string{
		LabelProject: "legacy", LabelNetwork: "front"}}); err != nil {
		t.Fatal(err)
	}
	l1, _ := b.InspectNetwork(ctx, "legacy_front")
	e, _ := newEngine(t, b, loadEnv(t, "name: legacy\n"+subnetYAML, map[string]string{"SUBNET": "10.77.0.0/16"}))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if l2, _ := b.InspectNetwork(ctx, "legacy_front"); l2.ID != l1.ID {
		t.Fatal("a network without the config hash label was recreated")
	}
}

// unsupportedConnector is a backend whose runtime has no network connect
// (nerdctl's CLI): it has the methods but says Unsupported.
type unsupportedConnector struct{ *fake.Backend }

func (u unsupportedConnector) DisconnectNetwork(context.Context, string, string, bool) error {
	return backend.Unsupported(u, "disconnect a container from a network")
}

func TestUpRecreatesContainersWhenBackendCannotConnect(t *testing.T) {
	for name, wrap := range map[string]func(*fake.Backend) backend.Backend{
		"without NetworkConnector": func(f *fake.Backend) backend.Backend { return noConnector{f} },
		"unsupported":              func(f *fake.Backend) backend.Backend { return unsupportedConnector{f} },
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake()
			b := wrap(f)
			upWithSubnet(t, b, "")
			ctx := context.Background()
			before, _ := f.Inspect(ctx, "demo-web-1")
			n1, _ := f.InspectNetwork(ctx, "demo_front")
			log := upWithSubnet(t, b, "192.168.0.0/16")
			n2, _ := f.InspectNetwork(ctx, "demo_front")
			after, err := f.Inspect(ctx, "demo-web-1")
			if err != nil {
				t.Fatal(err)
			}
			if n2.ID == n1.ID || after.ID == before.ID || !after.Running() || !slices.Contains(after.Networks, "demo_front") {
				t.Fatalf("want the network and its container recreated: %v → %v, %+v → %+v", n1, n2, before, after)
			}
			if len(log.find(StatusWarning, "")) == 0 {
				t.Fatalf("no warning saying the containers are recreated: %+v", log.evs)
			}
		})
	}
}

// A recreate that fails after the removal says what happened and which
// containers it left detached.
func TestUpNetworkRecreateFailureReported(t *testing.T) {
	b := newFake()
	upWithSubnet(t, b, "")
	b.Inject(fake.Fault{Method: "CreateNetwork", Match: "demo_front", Err: core.Errorf(core.KindBackendError, "boom")})
	e, log := newEngine(t, b, loadEnv(t, subnetYAML, map[string]string{"SUBNET": "192.168.0.0/16"}))
	err := e.Up(ctxT(t), UpOptions{})
	if err == nil || !strings.Contains(err.Error(), "recreating network demo_front") || !strings.Contains(err.Error(), "boom") ||
		core.AsError(err).Details["detachedContainers"] != "demo-web-1" {
		t.Fatalf("err = %v (%v)", err, core.AsError(err).Details)
	}
	if len(log.find(StatusError, "demo_front")) == 0 {
		t.Fatalf("no Error event for the network: %+v", log.evs)
	}
}

// A network whose IPAM is only subnets keeps the hash it had when
// NetworkConfig carried a list of subnets (the values were computed by that
// release): an upgrade must not recreate the networks of every live stack.
func TestNetworkHashOfSubnetsOnlyIsUnchanged(t *testing.T) {
	subnets := func(s ...string) *core.IPAM {
		ipam := &core.IPAM{}
		for _, sn := range s {
			ipam.Config = append(ipam.Config, core.IPAMPool{Subnet: sn})
		}
		return ipam
	}
	for _, tc := range []struct {
		name string
		cfg  core.NetworkConfig
		want string
	}{
		{"no IPAM", core.NetworkConfig{}, "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"},
		{"one subnet", core.NetworkConfig{IPAM: subnets("172.99.0.0/16")}, "3ddce4762dfd5071c349778bdeac6066561b5bc00a323910ebada6d65d0164d6"},
		{"every other field and two subnets", core.NetworkConfig{Driver: "bridge", Labels: map[string]string{"team": "a"}, Internal: true,
			EnableIPv6: true, Options: map[string]string{"com.docker.network.driver.mtu": "1400"}, IPAM: subnets("10.5.0.0/16", "fd00:5::/64")},
			"379dfa0525c37891c99702442b54c85cd88efea220eb937bdbc965d9a9b36b3f"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := networkHash(tc.cfg); got != tc.want {
				t.Fatalf("hash %s, want %s", got, tc.want)
			}
		})
	}
}

// Every IPAM field is part of the definition: changing one changes the
// hash, so an up recreates the network as docker compose does.
func TestNetworkHashCoversIPAM(t *testing.T) {
	base := func() core.NetworkConfig {
		return core.NetworkConfig{IPAM: &core.IPAM{Config: []core.IPAMPool{{Subnet: "10.5.0.0/16"}}}}
	}
	seen := map[string]string{networkHash(base()): "the subnet alone"}
	for _, tc := range []struct {
		name   string
		change func(*core.IPAM)
	}{
		{"driver", func(i *core.IPAM) { i.Driver = "default" }},
		{"options", func(i *core.IPAM) { i.Options = map[string]string{"k": "v"} }},
		{"gateway", func(i *core.IPAM) { i.Config[0].Gateway = "10.5.0.1" }},
		{"ip_range", func(i *core.IPAM) { i.Config[0].IPRange = "10.5.1.0/24" }},
		{"aux_addresses", func(i *core.IPAM) { i.Config[0].AuxAddresses = map[string]string{"r": "10.5.0.2"} }},
		{"another aux address", func(i *core.IPAM) { i.Config[0].AuxAddresses = map[string]string{"r": "10.5.0.3"} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := base()
			tc.change(cfg.IPAM)
			h := networkHash(cfg)
			if prev, dup := seen[h]; dup {
				t.Fatalf("%s hashes as %s", tc.name, prev)
			}
			seen[h] = tc.name
		})
	}
}
