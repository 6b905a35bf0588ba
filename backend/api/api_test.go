package api_test

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log"
	"net"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/api"
	"github.com/perryts/perry-container/backend/contracttest"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

const testImage = contracttest.DefaultImage

// raw is a plain moby client, to check what the backend did independently
// of the backend's own reading of it.
func raw(t *testing.T) *client.Client {
	t.Helper()
	c, err := client.New(client.FromEnv)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// kindOf is core.KindOf that tolerates a nil error ("" then).
func kindOf(err error) core.Kind {
	if err == nil {
		return ""
	}
	return core.KindOf(err)
}

func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}

func name(kind string) string { return "perrytest-" + kind + "-" + randomHex(4) }

func labels() map[string]string { return map[string]string{"perry.test": "1"} }

func spec(kind string, cmd ...string) *core.ContainerSpec {
	return &core.ContainerSpec{Image: testImage, Name: name(kind), Cmd: cmd, Labels: labels()}
}

// cleanupCtx is a context for t.Cleanup, where t.Context is already done.
func cleanupCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), time.Minute)
}

// track removes a container in t.Cleanup; Remove takes the anonymous
// volumes the engine made for it (the contract's AnonymousVolumes).
func track(t *testing.T, b *api.Backend, id string) {
	t.Helper()
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := b.Remove(ctx, id, true); err != nil && kindOf(err) != core.KindNotFound {
			t.Errorf("cleanup: remove %s: %v", id, err)
		}
	})
}

func run(t *testing.T, b *api.Backend, s *core.ContainerSpec) core.ContainerHandle {
	t.Helper()
	h, err := b.Run(t.Context(), s)
	if h.ID != "" {
		track(t, b, h.ID)
	}
	if err != nil {
		t.Fatalf("Run(%s): %v", s.Name, err)
	}
	return h
}

func wait(t *testing.T, b *api.Backend, id string, want int) {
	t.Helper()
	code, err := b.Wait(t.Context(), id)
	if err != nil || code != want {
		t.Fatalf("Wait(%s) = %d, %v; want %d", id, code, err, want)
	}
}

func mkNetwork(t *testing.T, b *api.Backend, cfg core.NetworkConfig) string {
	t.Helper()
	n := name("net")
	cfg.Labels = labels()
	if err := b.CreateNetwork(t.Context(), n, cfg); err != nil {
		t.Fatalf("CreateNetwork: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := b.RemoveNetwork(ctx, n); err != nil && kindOf(err) != core.KindNotFound {
			t.Errorf("cleanup: remove network %s: %v", n, err)
		}
	})
	return n
}

func mkVolume(t *testing.T, b *api.Backend) string {
	t.Helper()
	v := name("vol")
	if err := b.CreateVolume(t.Context(), v, core.VolumeConfig{Labels: labels()}); err != nil {
		t.Fatalf("CreateVolume: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		if err := b.RemoveVolume(ctx, v, true); err != nil && kindOf(err) != core.KindNotFound {
			t.Errorf("cleanup: remove volume %s: %v", v, err)
		}
	})
	return v
}

func TestContract(t *testing.T) {
	contracttest.Run(t, testenv.RequireEngine(t), contracttest.Options{})
}

func TestInfoLocal(t *testing.T) {
	b := testenv.RequireEngine(t)
	info, err := b.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode != "local" || info.Strategy != "api" || info.IsolationLevel != core.IsolationContainer || info.Name != "docker" || info.Version == "" || !strings.HasPrefix(info.Endpoint, "unix://") {
		t.Errorf("Info = %+v, want local, api, Container, docker, a version, a unix:// endpoint", info)
	}
}

// startProxy forwards TCP connections on 127.0.0.1 to the engine's unix
// socket, so the backend can be tested as a remote (tcp://) engine.
func startProxy(t *testing.T) string {
	t.Helper()
	sock := "/var/run/docker.sock"
	if h := os.Getenv("DOCKER_HOST"); strings.HasPrefix(h, "unix://") {
		sock = strings.TrimPrefix(h, "unix://")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		mu.Lock()
		defer mu.Unlock()
		for _, c := range conns {
			c.Close()
		}
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("unix", sock)
			if err != nil {
				in.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, in, out)
			mu.Unlock()
			// Each direction half-closes the other side when done, which
			// hijacked exec streams rely on.
			pipe := func(dst, src net.Conn) {
				defer wg.Done()
				_, _ = io.Copy(dst, src)
				if cw, ok := dst.(interface{ CloseWrite() error }); ok {
					_ = cw.CloseWrite()
				}
			}
			wg.Add(2)
			go pipe(out, in)
			go pipe(in, out)
		}
	}()
	return "tcp://" + ln.Addr().String()
}

// TestRemoteTCP is the server-first case: the engine reached over TCP is
// "remote" and behaves the same.
func TestRemoteTCP(t *testing.T) {
	testenv.RequireEngine(t)
	host := startProxy(t)
	b := testenv.RequireEngineAt(t, host)
	info, err := b.Info(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode != "remote" || info.Endpoint != host {
		t.Errorf("Info over TCP = %+v, want Mode remote and Endpoint %s", info, host)
	}
	contracttest.Run(t, b, contracttest.Options{Only: []string{"Info", "Lifecycle"}})
}

func TestNewRejectsBadHosts(t *testing.T) {
	for _, host := range []string{"bogus", "ssh://user@example.test", "tcp://"} {
		if _, err := api.New(host, "docker"); kindOf(err) != core.KindInvalidArgument {
			t.Errorf("New(%q) = %v, want InvalidArgument", host, err)
		}
	}
}

func TestEngineDown(t *testing.T) {
	b, err := api.New("unix://"+filepath.Join(t.TempDir(), "none.sock"), "docker")
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	err = b.Check(t.Context())
	if kindOf(err) != core.KindBackendNotAvailable {
		t.Fatalf("Check on a missing socket = %v, want BackendNotAvailable", err)
	}
	if _, err := b.Inspect(t.Context(), "x"); kindOf(err) != core.KindBackendNotAvailable {
		t.Errorf("Inspect on a missing socket = %v, want BackendNotAvailable", err)
	}
}

// TestCreateFieldMapping creates containers (not started) and checks with
// the raw client that each spec field reached the engine.
func TestCreateFieldMapping(t *testing.T) {
	b := testenv.RequireEngine(t)
	rc := raw(t)
	bindDir := t.TempDir()
	vol := mkVolume(t, b)
	n1 := mkNetwork(t, b, core.NetworkConfig{})
	octet := 100 + int(randomHex(1)[0])%100
	subnet := fmt.Sprintf("10.231.%d.0/24", octet)
	ip := fmt.Sprintf("10.231.%d.10", octet)
	n2 := mkNetwork(t, b, core.NetworkConfig{IPAM: &core.IPAM{Config: []core.IPAMPool{{Subnet: subnet}}}})
	profile := filepath.Join(t.TempDir(), "seccomp.json")
	if err := os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	seven := 7
	type inspect = container.InspectResponse
	tests := []struct {
		name  string
		set   func(*core.ContainerSpec)
		check func(t *testing.T, c inspect)
	}{
		{"cmd entrypoint env labels", func(s *core.ContainerSpec) {
			s.Entrypoint = []string{"/bin/sh", "-c"}
			s.Cmd = []string{"echo hi"}
			s.Env = map[string]string{"A": "1", "B": "two words"}
			s.Labels["perry.extra"] = "x"
		}, func(t *testing.T, c inspect) {
			wantEq(t, "Entrypoint", c.Config.Entrypoint, []string{"/bin/sh", "-c"})
			wantEq(t, "Cmd", c.Config.Cmd, []string{"echo hi"})
			wantContains(t, "Env", c.Config.Env, "A=1", "B=two words")
			wantEq(t, "Labels", c.Config.Labels["perry.extra"], "x")
		}},
		{"user workdir hostname domainname tty stdin", func(s *core.ContainerSpec) {
			s.User, s.Workdir, s.Hostname, s.Domainname, s.Tty, s.StdinOpen = "nobody", "/tmp", "perryhost", "example.test", true, true
		}, func(t *testing.T, c inspect) {
			wantEq(t, "User", c.Config.User, "nobody")
			wantEq(t, "WorkingDir", c.Config.WorkingDir, "/tmp")
			wantEq(t, "Hostname", c.Config.Hostname, "perryhost")
			wantEq(t, "Domainname", c.Config.Domainname, "example.test")
			wantEq(t, "Tty", c.Config.Tty, true)
			wantEq(t, "OpenStdin", c.Config.OpenStdin, true)
		}},
		{"stop signal and timeout", func(s *core.ContainerSpec) {
			s.StopSignal, s.StopTimeout = "SIGUSR1", &seven
		}, func(t *testing.T, c inspect) {
			wantEq(t, "StopSignal", c.Config.StopSignal, "SIGUSR1")
			if c.Config.StopTimeout == nil || *c.Config.StopTimeout != 7 {
				t.Errorf("StopTimeout = %v, want 7", c.Config.StopTimeout)
			}
		}},
		{"ports and expose", func(s *core.ContainerSpec) {
			s.Ports = []string{"127.0.0.1:18080:80/tcp", "9090/udp", "127.0.0.1::81"}
			s.Expose = []string{"7000", "7001/udp"}
		}, func(t *testing.T, c inspect) {
			lo := netip.MustParseAddr("127.0.0.1")
			wantEq(t, "80/tcp", c.HostConfig.PortBindings[network.MustParsePort("80/tcp")], []network.PortBinding{{HostIP: lo, HostPort: "18080"}})
			wantEq(t, "81/tcp", c.HostConfig.PortBindings[network.MustParsePort("81/tcp")], []network.PortBinding{{HostIP: lo, HostPort: ""}})
			if _, ok := c.HostConfig.PortBindings[network.MustParsePort("9090/udp")]; !ok {
				t.Errorf("9090/udp is not published: %v", c.HostConfig.PortBindings)
			}
			for _, p := range []string{"80/tcp", "81/tcp", "9090/udp", "7000/tcp", "7001/udp"} {
				if _, ok := c.Config.ExposedPorts[network.MustParsePort(p)]; !ok {
					t.Errorf("%s is not exposed: %v", p, c.Config.ExposedPorts)
				}
			}
		}},
		{"volumes", func(s *core.ContainerSpec) {
			s.Volumes = []string{bindDir + ":/bind:ro", vol + ":/named", "/anon"}
		}, func(t *testing.T, c inspect) {
			wantEq(t, "Binds", c.HostConfig.Binds, []string{bindDir + ":/bind:ro", vol + ":/named"})
			if _, ok := c.Config.Volumes["/anon"]; !ok {
				t.Errorf("anonymous volume /anon missing: %v", c.Config.Volumes)
			}
		}},
		{"mounts", func(s *core.ContainerSpec) {
			s.Mounts = []core.Mount{
				{Type: "bind", Source: bindDir, Target: "/m/bind", ReadOnly: true},
				{Type: "volume", Source: vol, Target: "/m/vol", NoCopy: true},
				{Type: "tmpfs", Target: "/m/tmp", TmpfsSize: 1 << 20},
			}
		}, func(t *testing.T, c inspect) {
			m := c.HostConfig.Mounts
			if len(m) != 3 {
				t.Fatalf("Mounts = %+v, want 3", m)
			}
			wantEq(t, "bind", [4]any{m[0].Type, m[0].Source, m[0].Target, m[0].ReadOnly}, [4]any{mount.TypeBind, bindDir, "/m/bind", true})
			wantEq(t, "volume", [3]any{m[1].Type, m[1].Source, m[1].VolumeOptions != nil && m[1].VolumeOptions.NoCopy}, [3]any{mount.TypeVolume, vol, true})
			wantEq(t, "tmpfs", [2]any{m[2].Type, m[2].TmpfsOptions != nil && m[2].TmpfsOptions.SizeBytes == 1<<20}, [2]any{mount.TypeTmpfs, true})
		}},
		{"tmpfs", func(s *core.ContainerSpec) { s.Tmpfs = []string{"/run:size=1m", "/cache"} },
			func(t *testing.T, c inspect) {
				wantEq(t, "Tmpfs", c.HostConfig.Tmpfs, map[string]string{"/run": "size=1m", "/cache": ""})
			}},
		{"networks aliases ipv4", func(s *core.ContainerSpec) {
			s.Network, s.NetworkAliases = n1, []string{"alias-one"}
			s.Networks = []core.NetworkAttach{{Name: n2, Aliases: []string{"alias-two"}, IPv4Address: ip}}
		}, func(t *testing.T, c inspect) {
			wantEq(t, "NetworkMode", string(c.HostConfig.NetworkMode), n1)
			e1, e2 := c.NetworkSettings.Networks[n1], c.NetworkSettings.Networks[n2]
			if e1 == nil || e2 == nil {
				t.Fatalf("networks = %v, want %s and %s", c.NetworkSettings.Networks, n1, n2)
			}
			wantContains(t, n1+" aliases", e1.Aliases, "alias-one")
			wantContains(t, n2+" aliases", e2.Aliases, "alias-two")
			if e2.IPAMConfig == nil || e2.IPAMConfig.IPv4Address.String() != ip {
				t.Errorf("%s IPAMConfig = %+v, want %s", n2, e2.IPAMConfig, ip)
			}
		}},
		{"networks only: the first at create", func(s *core.ContainerSpec) {
			s.Networks = []core.NetworkAttach{{Name: n2, IPv4Address: ip}, {Name: n1}}
		}, func(t *testing.T, c inspect) {
			wantEq(t, "NetworkMode", string(c.HostConfig.NetworkMode), n2)
			if len(c.NetworkSettings.Networks) != 2 {
				t.Errorf("networks = %v, want %s and %s", c.NetworkSettings.Networks, n1, n2)
			}
		}},
		{"network mode none", func(s *core.ContainerSpec) { s.Network = "none" },
			func(t *testing.T, c inspect) { wantEq(t, "NetworkMode", string(c.HostConfig.NetworkMode), "none") }},
		{"healthcheck", func(s *core.ContainerSpec) {
			s.Healthcheck = &core.Healthcheck{Test: []string{"CMD", "true"}, Interval: "2s", Timeout: "1500ms", Retries: 3, StartPeriod: "5s"}
		}, func(t *testing.T, c inspect) {
			h := c.Config.Healthcheck
			if h == nil {
				t.Fatal("no healthcheck")
			}
			wantEq(t, "Test", h.Test, []string{"CMD", "true"})
			wantEq(t, "durations", [3]time.Duration{h.Interval, h.Timeout, h.StartPeriod}, [3]time.Duration{2 * time.Second, 1500 * time.Millisecond, 5 * time.Second})
			wantEq(t, "Retries", h.Retries, 3)
		}},
		{"healthcheck disabled", func(s *core.ContainerSpec) { s.Healthcheck = &core.Healthcheck{Disable: true} },
			func(t *testing.T, c inspect) { wantEq(t, "Test", c.Config.Healthcheck.Test, []string{"NONE"}) }},
		{"restart on-failure:3", func(s *core.ContainerSpec) { s.Restart = "on-failure:3" },
			func(t *testing.T, c inspect) {
				wantEq(t, "RestartPolicy", c.HostConfig.RestartPolicy, container.RestartPolicy{Name: "on-failure", MaximumRetryCount: 3})
			}},
		{"restart unless-stopped", func(s *core.ContainerSpec) { s.Restart = "unless-stopped" },
			func(t *testing.T, c inspect) {
				wantEq(t, "RestartPolicy", string(c.HostConfig.RestartPolicy.Name), "unless-stopped")
			}},
		{"resources", func(s *core.ContainerSpec) {
			s.ShmSize, s.Memory, s.MemoryReserve, s.CPUs, s.PidsLimit = 64<<20, 128<<20, 32<<20, 0.5, 100
			s.Ulimits = []core.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}}
		}, func(t *testing.T, c inspect) {
			h := c.HostConfig
			wantEq(t, "sizes", [4]int64{h.ShmSize, h.Memory, h.MemoryReservation, h.NanoCPUs}, [4]int64{64 << 20, 128 << 20, 32 << 20, 5e8})
			if h.PidsLimit == nil || *h.PidsLimit != 100 {
				t.Errorf("PidsLimit = %v, want 100", h.PidsLimit)
			}
			if len(h.Ulimits) != 1 || *h.Ulimits[0] != (container.Ulimit{Name: "nofile", Soft: 1024, Hard: 2048}) {
				t.Errorf("Ulimits = %+v", h.Ulimits)
			}
		}},
		{"cpu swap oom groups devices", func(s *core.ContainerSpec) {
			s.Memory, s.MemorySwap = 64<<20, 128<<20
			s.CPUShares, s.CPUPeriod, s.CPUQuota, s.CPUSet = 512, 100000, 50000, "0"
			s.OomScoreAdj, s.GroupAdd = 100, []string{"100"}
			s.Devices = []core.Device{{Source: "/dev/null", Target: "/dev/perrynull", Permissions: "rw"}}
		}, func(t *testing.T, c inspect) {
			h := c.HostConfig
			wantEq(t, "cpu and swap", [5]int64{h.MemorySwap, h.CPUShares, h.CPUPeriod, h.CPUQuota, int64(h.OomScoreAdj)},
				[5]int64{128 << 20, 512, 100000, 50000, 100})
			wantEq(t, "CpusetCpus", h.CpusetCpus, "0")
			wantEq(t, "GroupAdd", h.GroupAdd, []string{"100"})
			wantEq(t, "Devices", h.Devices, []container.DeviceMapping{{PathOnHost: "/dev/null", PathInContainer: "/dev/perrynull", CgroupPermissions: "rw"}})
		}},
		{"swappiness oom blkio namespaces runtime", func(s *core.ContainerSpec) {
			// storage_opt is left out: it needs a storage driver with
			// quotas (overlay2 on xfs with pquota), which CI hosts lack.
			swappiness := int64(10)
			s.Memory, s.MemSwappiness, s.OomKillDisable = 64<<20, &swappiness, true
			s.Blkio = &core.Blkio{DeviceReadBps: []core.ThrottleDevice{{Path: "/dev/null", Rate: 1 << 20}},
				DeviceWriteIOps: []core.ThrottleDevice{{Path: "/dev/null", Rate: 100}}}
			s.Cgroup, s.UsernsMode, s.Runtime = "private", "host", "runc"
		}, func(t *testing.T, c inspect) {
			h := c.HostConfig
			if h.MemorySwappiness == nil || *h.MemorySwappiness != 10 {
				t.Errorf("MemorySwappiness = %v, want 10", h.MemorySwappiness)
			}
			if h.OomKillDisable == nil || !*h.OomKillDisable {
				t.Errorf("OomKillDisable = %v, want true", h.OomKillDisable)
			}
			if len(h.BlkioDeviceReadBps) != 1 || h.BlkioDeviceReadBps[0].String() != "/dev/null:1048576" ||
				len(h.BlkioDeviceWriteIOps) != 1 || h.BlkioDeviceWriteIOps[0].String() != "/dev/null:100" {
				t.Errorf("BlkioDeviceReadBps %v BlkioDeviceWriteIOps %v", h.BlkioDeviceReadBps, h.BlkioDeviceWriteIOps)
			}
			wantEq(t, "CgroupnsMode", string(h.CgroupnsMode), "private")
			wantEq(t, "UsernsMode", string(h.UsernsMode), "host")
			wantEq(t, "Runtime", h.Runtime, "runc")
		}},
		{"sysctls init pid ipc", func(s *core.ContainerSpec) {
			s.Sysctls = map[string]string{"net.core.somaxconn": "1024"}
			s.Init, s.Pid, s.Ipc = true, "host", "shareable"
		}, func(t *testing.T, c inspect) {
			wantEq(t, "Sysctls", c.HostConfig.Sysctls, map[string]string{"net.core.somaxconn": "1024"})
			if c.HostConfig.Init == nil || !*c.HostConfig.Init {
				t.Errorf("Init = %v, want true", c.HostConfig.Init)
			}
			wantEq(t, "PidMode", string(c.HostConfig.PidMode), "host")
			wantEq(t, "IpcMode", string(c.HostConfig.IpcMode), "shareable")
		}},
		{"security", func(s *core.ContainerSpec) {
			s.SecurityOpt = []string{"no-new-privileges"}
			s.Seccomp, s.ReadOnly, s.Privileged = "unconfined", true, true
			s.CapAdd, s.CapDrop = []string{"NET_ADMIN"}, []string{"MKNOD"}
		}, func(t *testing.T, c inspect) {
			wantContains(t, "SecurityOpt", c.HostConfig.SecurityOpt, "no-new-privileges", "seccomp=unconfined")
			wantEq(t, "ReadonlyRootfs", c.HostConfig.ReadonlyRootfs, true)
			wantEq(t, "Privileged", c.HostConfig.Privileged, true)
			wantContains(t, "CapAdd", c.HostConfig.CapAdd, "CAP_NET_ADMIN")
			wantContains(t, "CapDrop", c.HostConfig.CapDrop, "CAP_MKNOD")
		}},
		{"seccomp profile file", func(s *core.ContainerSpec) { s.Seccomp = profile },
			func(t *testing.T, c inspect) {
				wantContains(t, "SecurityOpt", c.HostConfig.SecurityOpt, `seccomp={"defaultAction":"SCMP_ACT_ALLOW"}`)
			}},
		{"name resolution", func(s *core.ContainerSpec) {
			s.ExtraHosts = []string{"db:10.0.0.5", "cache=10.0.0.6"}
			s.DNS, s.DNSSearch, s.DNSOpt = []string{"1.1.1.1"}, []string{"example.test"}, []string{"ndots:2"}
		}, func(t *testing.T, c inspect) {
			wantEq(t, "ExtraHosts", c.HostConfig.ExtraHosts, []string{"db:10.0.0.5", "cache:10.0.0.6"})
			wantEq(t, "DNS", c.HostConfig.DNS, []netip.Addr{netip.MustParseAddr("1.1.1.1")})
			wantEq(t, "DNSSearch", c.HostConfig.DNSSearch, []string{"example.test"})
			wantEq(t, "DNSOptions", c.HostConfig.DNSOptions, []string{"ndots:2"})
		}},
		{"logging", func(s *core.ContainerSpec) {
			s.LogDriver, s.LogOpts = "json-file", map[string]string{"max-size": "1m"}
		}, func(t *testing.T, c inspect) {
			// The engine adds its own default options (max-file …).
			wantEq(t, "LogConfig.Type", c.HostConfig.LogConfig.Type, "json-file")
			wantEq(t, "LogConfig max-size", c.HostConfig.LogConfig.Config["max-size"], "1m")
		}},
		{"rm", func(s *core.ContainerSpec) { s.Rm = true },
			func(t *testing.T, c inspect) { wantEq(t, "AutoRemove", c.HostConfig.AutoRemove, true) }},
		{"platform", func(s *core.ContainerSpec) { s.Platform = "linux/" + runtime.GOARCH },
			func(t *testing.T, c inspect) { wantEq(t, "Platform", c.Platform, "linux") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := spec("map", "sleep", "3600")
			tt.set(s)
			h, err := b.Create(t.Context(), s)
			if h.ID != "" {
				track(t, b, h.ID)
			}
			if err != nil {
				t.Fatalf("Create: %v", err)
			}
			res, err := rc.ContainerInspect(t.Context(), h.ID, client.ContainerInspectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			wantEq(t, "Image", res.Container.Config.Image, testImage)
			wantEq(t, "Name", strings.TrimPrefix(res.Container.Name, "/"), s.Name)
			tt.check(t, res.Container)
		})
	}
}

func wantEq[T any](t *testing.T, what string, got, want T) {
	t.Helper()
	if fmt.Sprintf("%#v", got) != fmt.Sprintf("%#v", want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

func wantContains(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !slices.Contains(got, w) {
			t.Errorf("%s = %q, lacks %q", what, got, w)
		}
	}
}

// TestCreateAppliesMacAddress runs containers with a fixed MAC address, on
// a network of their own and on the default one, and reads the address
// back from the started container's endpoint: on an engine before API 1.44
// it travels in the create request's Config (legacyCreate), on a newer one
// on the endpoint.
func TestCreateAppliesMacAddress(t *testing.T) {
	b := testenv.RequireEngine(t)
	rc := raw(t)
	n := mkNetwork(t, b, core.NetworkConfig{})
	for _, network := range []string{n, ""} {
		t.Run("network "+network, func(t *testing.T) {
			mac := "92:d0:" + strings.Join([]string{randomHex(1), randomHex(1), randomHex(1), randomHex(1)}, ":")
			s := spec("mac", "sleep", "3600")
			s.Network, s.MacAddress = network, strings.ToUpper(mac)
			h := run(t, b, s)
			res, err := rc.ContainerInspect(t.Context(), h.ID, client.ContainerInspectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			key := network
			if key == "" {
				key = "bridge"
			}
			ep := res.Container.NetworkSettings.Networks[key]
			if ep == nil || ep.MacAddress.String() != mac {
				t.Fatalf("endpoint %s: %+v, want MAC %s", key, ep, mac)
			}
		})
	}
}

// TestCreateRejects checks that what the engine cannot be told is refused
// with InvalidArgument naming the field, before anything is created.
func TestCreateRejects(t *testing.T) {
	b := testenv.RequireEngine(t)
	tests := []struct {
		field string
		set   func(*core.ContainerSpec)
	}{
		{"ports[0]", func(s *core.ContainerSpec) { s.Ports = []string{"eighty"} }},
		{"ports[1]", func(s *core.ContainerSpec) { s.Ports = []string{"80", "1.2.3:80:80"} }},
		{"expose[0]", func(s *core.ContainerSpec) { s.Expose = []string{"80/icmp"} }},
		{"volumes[0]", func(s *core.ContainerSpec) { s.Volumes = []string{"/a:/b:bogus"} }},
		{"mounts[0]", func(s *core.ContainerSpec) { s.Mounts = []core.Mount{{Type: "npipe", Target: "/x"}} }},
		{"mounts[0]", func(s *core.ContainerSpec) {
			s.Mounts = []core.Mount{{Type: "bind", Source: "/tmp", Target: "/x", NoCopy: true}}
		}},
		{"tmpfs[0]", func(s *core.ContainerSpec) { s.Tmpfs = []string{"relative"} }},
		{"restart", func(s *core.ContainerSpec) { s.Restart = "sometimes" }},
		{"restart", func(s *core.ContainerSpec) { s.Restart = "always:3" }},
		{"healthcheck.interval", func(s *core.ContainerSpec) {
			s.Healthcheck = &core.Healthcheck{Test: []string{"CMD", "true"}, Interval: "soon"}
		}},
		{"healthcheck.test", func(s *core.ContainerSpec) { s.Healthcheck = &core.Healthcheck{Test: []string{"true"}} }},
		{"dns[0]", func(s *core.ContainerSpec) { s.DNS = []string{"dns.example"} }},
		{"extra_hosts[0]", func(s *core.ContainerSpec) { s.ExtraHosts = []string{"nohost"} }},
		{"networks", func(s *core.ContainerSpec) { s.Network, s.Networks = "host", []core.NetworkAttach{{Name: "x"}} }},
		{"network_aliases", func(s *core.ContainerSpec) { s.Network, s.NetworkAliases = "host", []string{"a"} }},
		{"network", func(s *core.ContainerSpec) { s.Network = "service:db" }},
		{"networks[0].ipv4_address", func(s *core.ContainerSpec) {
			s.Network, s.Networks = "bridge", []core.NetworkAttach{{Name: "other", IPv4Address: "fd00::1"}}
		}},
		{"cpus", func(s *core.ContainerSpec) { s.CPUs = -1 }},
		{"seccomp", func(s *core.ContainerSpec) { s.Seccomp = "/nonexistent/profile.json" }},
		{"platform", func(s *core.ContainerSpec) { s.Platform = "linux//v7" }},
		{"spec", func(s *core.ContainerSpec) { s.Image = "" }},
	}
	ctx := t.Context()
	rc := raw(t)
	if v, _ := rc.ServerVersion(ctx, client.ServerVersionOptions{}); v.APIVersion < "1.44" {
		tests = append(tests, struct {
			field string
			set   func(*core.ContainerSpec)
		}{"healthcheck.start_interval", func(s *core.ContainerSpec) {
			s.Healthcheck = &core.Healthcheck{Test: []string{"CMD", "true"}, StartInterval: "1s"}
		}})
	}
	for _, tt := range tests {
		s := spec("reject", "true")
		tt.set(s)
		h, err := b.Create(ctx, s)
		if h.ID != "" {
			track(t, b, h.ID)
		}
		if kindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), tt.field) {
			t.Errorf("%s: Create = %v, want InvalidArgument naming %s", tt.field, err, tt.field)
		}
	}
	if list, err := b.List(ctx, backend.ListOptions{All: true, Labels: map[string]string{"perry.test": "1"}}); err == nil {
		for _, c := range list {
			if strings.HasPrefix(c.Name, "perrytest-reject-") {
				t.Errorf("a rejected spec created container %s", c.Name)
			}
		}
	}
}

func TestCreateErrors(t *testing.T) {
	b := testenv.RequireEngine(t)
	ctx := t.Context()
	img := "perrytest-missing-" + randomHex(4) + ":latest"
	_, err := b.Create(ctx, &core.ContainerSpec{Image: img, Labels: labels()})
	if kindOf(err) != core.KindNotFound || !strings.Contains(err.Error(), img) {
		t.Errorf("Create with a missing image = %v, want NotFound naming %s", err, img)
	}
	// Engines before API 1.44 check the network only at start: either way
	// the error names the network, not the container.
	net := name("missing-net")
	s := spec("errnet", "true")
	s.Network = net
	h, err := b.Run(ctx, s)
	if h.ID != "" {
		track(t, b, h.ID)
	}
	if kindOf(err) != core.KindNotFound || !strings.Contains(err.Error(), net) {
		t.Errorf("Run on a missing network = %v, want NotFound naming %s", err, net)
	}
	// A missing extra network fails at connect: nothing may be left behind.
	s = spec("errnet2", "true")
	s.Networks = []core.NetworkAttach{{Name: "bridge"}, {Name: net}}
	h, err = b.Create(ctx, s)
	if h.ID != "" {
		track(t, b, h.ID)
	}
	if kindOf(err) != core.KindNotFound || !strings.Contains(err.Error(), net) {
		t.Errorf("Create with a missing second network = %v, want NotFound naming %s", err, net)
	}
	if _, err := b.Inspect(ctx, s.Name); kindOf(err) != core.KindNotFound {
		t.Errorf("after a failed connect the container %s still exists (%v)", s.Name, err)
	}
	// A name in use is a conflict.
	first := run(t, b, spec("dup", "sleep", "3600"))
	_, err = b.Create(ctx, &core.ContainerSpec{Image: testImage, Name: first.Name, Labels: labels()})
	if e := core.AsError(err); e == nil || e.Kind != core.KindBackendError || e.Details["conflict"] != first.Name {
		t.Errorf("Create with a taken name = %#v, want a BackendError with conflict %s", err, first.Name)
	}
	// Exec in a stopped container is the engine's refusal, not NotFound.
	stopped := run(t, b, spec("stopped", "true"))
	wait(t, b, stopped.ID, 0)
	if _, err := b.Exec(ctx, stopped.ID, backend.ExecOptions{Cmd: []string{"true"}}); kindOf(err) != core.KindBackendError {
		t.Errorf("Exec in a stopped container = %v, want BackendError", err)
	}
}

// TestInjection: values with quotes, ;, $(…), backticks and newlines reach
// the container literally, through env, cmd and exec alike.
func TestInjection(t *testing.T) {
	b := testenv.RequireEngine(t)
	ctx := t.Context()
	values := map[string]string{
		"P_QUOTES": `it's "quoted"`,
		"P_SEMI":   "a; echo pwned; exit 9",
		"P_SUBST":  "$(id) `id` ${HOME} $$",
		"P_NL":     "line1\nline2",
		"P_BS":     `back\slash \n`,
		"P_GLOB":   "* ? [a]",
	}
	s := spec("inject", "sleep", "3600")
	s.Env = values
	h := run(t, b, s)

	out, err := b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"env"}})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range values {
		if !strings.Contains(out.Stdout, k+"="+v+"\n") {
			t.Errorf("container env: %s=%q not literal in %q", k, v, out.Stdout)
		}
	}
	execEnv := map[string]string{}
	for k, v := range values {
		execEnv["X"+k] = v
	}
	out, err = b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"env"}, Env: execEnv})
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range execEnv {
		if !strings.Contains(out.Stdout, k+"="+v+"\n") {
			t.Errorf("exec env: %s=%q not literal in %q", k, v, out.Stdout)
		}
	}
	args := []string{`"q"`, "'s'", ";", "&&", "$(id)", "`id`", "a\nb", "|", ">", "/tmp/x"}
	out, err = b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: append([]string{"echo"}, args...)})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(args, " ") + "\n"; out.Stdout != want || *out.ExitCode != 0 {
		t.Errorf("exec echo = %q (exit %d), want %q", out.Stdout, *out.ExitCode, want)
	}
	// The shell expands the variable, never its content.
	out, err = b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"sh", "-c", `printf '%s' "$P_SUBST"`}})
	if err != nil {
		t.Fatal(err)
	}
	if out.Stdout != values["P_SUBST"] {
		t.Errorf("printf $P_SUBST = %q, want %q", out.Stdout, values["P_SUBST"])
	}
	// Through the container's own cmd.
	c := run(t, b, spec("inject-cmd", append([]string{"echo"}, args...)...))
	wait(t, b, c.ID, 0)
	logs, err := b.Logs(ctx, c.ID, backend.LogsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if want := strings.Join(args, " ") + "\n"; logs.Stdout != want {
		t.Errorf("cmd echo logs = %q, want %q", logs.Stdout, want)
	}
}

func TestLogs(t *testing.T) {
	b := testenv.RequireEngine(t)
	ctx := t.Context()

	// The pause orders the lines: stdout and stderr are separate pipes, and a
	// tail counts lines of both in the order the engine logged them.
	h := run(t, b, spec("demux", "sh", "-c", "echo out1; echo err1 >&2; sleep 0.3; echo out2"))
	wait(t, b, h.ID, 0)
	logs, err := b.Logs(ctx, h.ID, backend.LogsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if logs.Stdout != "out1\nout2\n" || logs.Stderr != "err1\n" {
		t.Errorf("Logs = stdout %q stderr %q, want demultiplexed streams", logs.Stdout, logs.Stderr)
	}
	one := 1
	if logs, _ := b.Logs(ctx, h.ID, backend.LogsOptions{Tail: &one}); logs.Stdout != "out2\n" || logs.Stderr != "" {
		t.Errorf("Logs(tail 1) = %+v, want just stdout \"out2\\n\"", logs)
	}

	ts, err := b.Logs(ctx, h.ID, backend.LogsOptions{Timestamps: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSpace(ts.Stdout), "\n") {
		stamp, rest, _ := strings.Cut(line, " ")
		if _, err := time.Parse(time.RFC3339Nano, stamp); err != nil || !strings.HasPrefix(rest, "out") {
			t.Errorf("Logs(timestamps) line %q: want \"<RFC 3339> out…\"", line)
		}
	}
	if l, err := b.Logs(ctx, h.ID, backend.LogsOptions{Since: "1h"}); err != nil || l.Stdout != "out1\nout2\n" {
		t.Errorf("Logs(since 1h) = %q, %v; want everything", l.Stdout, err)
	}
	future := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	if l, err := b.Logs(ctx, h.ID, backend.LogsOptions{Since: future}); err != nil || l.Stdout != "" || l.Stderr != "" {
		t.Errorf("Logs(since %s) = %+v, %v; want nothing", future, l, err)
	}
	if _, err := b.Logs(ctx, h.ID, backend.LogsOptions{Since: "yesterday"}); kindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "since") {
		t.Errorf("Logs(since yesterday) = %v, want InvalidArgument naming since", err)
	}

	// With a TTY there is one raw stream.
	s := spec("tty", "sh", "-c", "echo out; echo err >&2")
	s.Tty = true
	h = run(t, b, s)
	wait(t, b, h.ID, 0)
	logs, err = b.Logs(ctx, h.ID, backend.LogsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if logs.Stdout != "out\r\nerr\r\n" || logs.Stderr != "" {
		t.Errorf("TTY Logs = stdout %q stderr %q, want the raw terminal stream in stdout", logs.Stdout, logs.Stderr)
	}
}

// lineWriter signals when a line arrives, to show FollowLogs streams.
type lineWriter struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	first chan struct{}
	once  sync.Once
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	if strings.Contains(w.buf.String(), "first\n") {
		w.once.Do(func() { close(w.first) })
	}
	return len(p), nil
}

func (w *lineWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

func TestFollowLogs(t *testing.T) {
	b := testenv.RequireEngine(t)
	ctx := t.Context()
	h := run(t, b, spec("follow", "sh", "-c", "echo first; sleep 3; echo second; echo err >&2"))
	out := &lineWriter{first: make(chan struct{})}
	var errOut bytes.Buffer
	done := make(chan error, 1)
	go func() { done <- b.FollowLogs(ctx, h.ID, backend.LogsOptions{}, out, &errOut) }()
	select {
	case <-out.first:
		// The first line came while the container still runs: streamed,
		// not collected at the end.
		info, err := b.Inspect(ctx, h.ID)
		if err != nil || !info.Running() {
			t.Errorf("when the first line arrived the container was %q (%v), want running", info.State, err)
		}
	case err := <-done:
		t.Fatalf("FollowLogs ended before the first line: %v", err)
	case <-time.After(20 * time.Second):
		t.Fatal("no line from FollowLogs within 20s")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("FollowLogs: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("FollowLogs did not end when the container exited")
	}
	if out.String() != "first\nsecond\n" || errOut.String() != "err\n" {
		t.Errorf("FollowLogs = stdout %q stderr %q", out.String(), errOut.String())
	}

	// Cancelling the context ends the stream without an error.
	sl := run(t, b, spec("follow-cancel", "sleep", "3600"))
	cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := b.FollowLogs(cctx, sl.ID, backend.LogsOptions{}, io.Discard, io.Discard); err != nil {
		t.Errorf("FollowLogs ended by its context = %v, want nil", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("FollowLogs took %v to notice its context ended", d)
	}
	if err := b.FollowLogs(ctx, name("missing"), backend.LogsOptions{}, io.Discard, io.Discard); kindOf(err) != core.KindNotFound {
		t.Errorf("FollowLogs of an unknown container = %v, want NotFound", err)
	}
}

func TestExec(t *testing.T) {
	b := testenv.RequireEngine(t)
	ctx := t.Context()
	s := spec("exec", "sleep", "3600")
	s.Workdir = "/etc"
	h := run(t, b, s)
	out, err := b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"id", "-u"}, User: "nobody"})
	if err != nil || out.Stdout != "65534\n" {
		t.Errorf("exec id -u as nobody = %q, %v; want 65534", out.Stdout, err)
	}
	out, err = b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"pwd"}})
	if err != nil || out.Stdout != "/etc\n" {
		t.Errorf("exec pwd = %q, %v; want the container's workdir /etc", out.Stdout, err)
	}
	out, err = b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"sh", "-c", "echo o; echo e >&2; exit 2"}})
	if err != nil || out.Stdout != "o\n" || out.Stderr != "e\n" || out.ExitCode == nil || *out.ExitCode != 2 {
		t.Errorf("exec = %+v, %v; want stdout o, stderr e, exit 2", out, err)
	}
	if _, err := b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"/no/such/binary"}}); err != nil {
		// The engine reports a missing binary as exit code 126/127, or as an
		// error at start; either way nothing hangs.
		t.Logf("exec of a missing binary: %v", err)
	}
	if _, err := b.Exec(ctx, h.ID, backend.ExecOptions{}); kindOf(err) != core.KindInvalidArgument {
		t.Errorf("exec without cmd = %v, want InvalidArgument", err)
	}
	cctx, cancel := context.WithTimeout(ctx, 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = b.Exec(cctx, h.ID, backend.ExecOptions{Cmd: []string{"sleep", "30"}})
	if k := kindOf(err); k != core.KindTimeout {
		t.Errorf("exec past its deadline = %v, want Timeout", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("exec past its deadline returned after %v", d)
	}
}

func TestInspectDetails(t *testing.T) {
	b := testenv.RequireEngine(t)
	ctx := t.Context()
	s := spec("details", "sleep", "3600")
	s.Ports = []string{"127.0.0.1::80", "81"}
	s.Expose = []string{"90"}
	s.Healthcheck = &core.Healthcheck{Test: []string{"CMD", "true"}, Interval: "100ms"}
	h := run(t, b, s)
	var info core.ContainerInfo
	testenv.Eventually(t, 20*time.Second, "the container to be healthy", func() bool {
		var err error
		if info, err = b.Inspect(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
		return info.Health == "healthy"
	})
	if info.Health != "healthy" || !strings.HasSuffix(info.Status, "(healthy)") || !strings.HasPrefix(info.Status, "Up ") {
		t.Errorf("health %q status %q, want healthy and \"Up … (healthy)\"", info.Health, info.Status)
	}
	if !regexp.MustCompile(`^\d+\.\d+\.\d+\.\d+$`).MatchString(info.IPAddress) || !slices.Equal(info.Networks, []string{"bridge"}) {
		t.Errorf("IPAddress %q networks %v, want an IPv4 on bridge", info.IPAddress, info.Networks)
	}
	var published, exposedOnly int
	for _, p := range info.Ports {
		switch {
		case regexp.MustCompile(`^127\.0\.0\.1:\d+->80/tcp$`).MatchString(p):
			published++
		case regexp.MustCompile(`^(0\.0\.0\.0|\[::\]):\d+->81/tcp$`).MatchString(p):
			published++
		case p == "90/tcp":
			exposedOnly++
		}
	}
	if published < 2 || exposedOnly != 1 {
		t.Errorf("Ports = %q, want 127.0.0.1:N->80/tcp, 0.0.0.0:N->81/tcp and 90/tcp", info.Ports)
	}
	list, err := b.List(ctx, backend.ListOptions{Labels: labels()})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range list {
		if c.ID == h.ID && (c.Health != "healthy" || len(c.Ports) < 2 || c.IPAddress != info.IPAddress) {
			t.Errorf("List entry %+v disagrees with Inspect %+v", c, info)
		}
	}
}

// TestRename renames, and a taken name is a conflict naming it.
func TestRename(t *testing.T) {
	b := testenv.RequireEngine(t)
	ctx := t.Context()
	a := run(t, b, spec("rena", "sleep", "3600"))
	c := run(t, b, spec("renb", "sleep", "3600"))
	newName := name("renamed")
	if err := b.Rename(ctx, a.ID, newName); err != nil {
		t.Fatal(err)
	}
	if info, err := b.Inspect(ctx, newName); err != nil || info.ID != a.ID {
		t.Errorf("Inspect(new name) = %v, %v", info.ID, err)
	}
	err := b.Rename(ctx, a.ID, c.Name)
	if e := core.AsError(err); e == nil || e.Kind != core.KindBackendError || e.Details["conflict"] != c.Name {
		t.Errorf("Rename to a taken name = %v, want a conflict on %s", err, c.Name)
	}
}

func TestBuildOptions(t *testing.T) {
	b := testenv.RequireEngine(t)
	ctx := t.Context()
	rc := raw(t)
	bb, err := os.ReadFile("/bin/busybox")
	if err != nil {
		t.Fatalf("static busybox: %v (apt-get install busybox-static)", err)
	}
	dir := t.TempDir()
	write := func(rel, content string, mode os.FileMode) {
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	write("busybox", string(bb), 0o755)
	write("Dockerfile", `FROM scratch AS base
COPY busybox /bin/busybox
COPY ctx /ctx
ARG PERRY_ARG=default
LABEL perry.arg=$PERRY_ARG
CMD ["/bin/busybox", "find", "/ctx", "-type", "f"]
FROM base AS final
LABEL perry.stage=final
`, 0o644)
	write("ctx/keep.txt", "keep", 0o644)
	write("ctx/secret.txt", "secret", 0o644)
	write("ctx/logs/a.log", "a", 0o644)
	write("ctx/logs/keep.log", "k", 0o644)
	write(".dockerignore", "# test\nctx/secret.txt\nctx/logs\n!ctx/logs/keep.log\n", 0o644)

	ref := name("build") + ":v1"
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		_ = b.RemoveImage(ctx, ref, true)
	})
	err = b.Build(ctx, core.BuildSpec{
		Context: dir, Target: "base",
		Args:   map[string]string{"PERRY_ARG": "from args; $(id)"},
		Labels: map[string]string{"perry.test": "1", "perry.label": "x"},
	}, ref)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	ins, err := rc.ImageInspect(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	l := ins.Config.Labels
	if l["perry.arg"] != "from args; $(id)" || l["perry.label"] != "x" || l["perry.test"] != "1" || l["perry.stage"] != "" {
		t.Errorf("image labels = %v: want the build arg, the build labels and no final-stage label", l)
	}
	h := run(t, b, &core.ContainerSpec{Image: ref, Name: name("built"), Labels: labels()})
	wait(t, b, h.ID, 0)
	logs, err := b.Logs(ctx, h.ID, backend.LogsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	files := strings.Fields(logs.Stdout)
	slices.Sort(files)
	if want := []string{"/ctx/keep.txt", "/ctx/logs/keep.log"}; !slices.Equal(files, want) {
		t.Errorf("files in the image = %v, want %v (.dockerignore honoured)", files, want)
	}

	// A Dockerfile outside the context.
	other := filepath.Join(t.TempDir(), "Other.Dockerfile")
	if err := os.WriteFile(other, []byte("FROM scratch\nCOPY ctx/keep.txt /keep.txt\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ref2 := name("build") + ":outside"
	t.Cleanup(func() {
		ctx, cancel := cleanupCtx()
		defer cancel()
		_ = b.RemoveImage(ctx, ref2, true)
	})
	if err := b.Build(ctx, core.BuildSpec{Context: dir, Dockerfile: other, Labels: labels()}, ref2); err != nil {
		t.Errorf("Build with a Dockerfile outside the context: %v", err)
	}

	// Build errors carry the builder's message.
	for _, tt := range []struct{ dockerfile, want string }{
		{"FROM scratch\nCOPY does-not-exist /x\n", "does-not-exist"},
		{"FROM scratch\nCOPY busybox /bin/busybox\nRUN [\"/bin/busybox\", \"false\"]\n", "non-zero code"},
	} {
		bad := t.TempDir()
		if err := os.WriteFile(filepath.Join(bad, "Dockerfile"), []byte(tt.dockerfile), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(bad, "busybox"), bb, 0o755); err != nil {
			t.Fatal(err)
		}
		ref := name("badbuild") + ":v1"
		err := b.Build(ctx, core.BuildSpec{Context: bad, Labels: labels()}, ref)
		if kindOf(err) != core.KindBackendError || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Build(%q) = %v, want a BackendError mentioning %q", tt.dockerfile, err, tt.want)
		}
		ctx, cancel := cleanupCtx()
		_ = b.RemoveImage(ctx, ref, true)
		cancel()
	}
	if err := b.Build(ctx, core.BuildSpec{Context: dir}, "Not A Ref"); kindOf(err) != core.KindInvalidArgument {
		t.Errorf("Build with a bad image name = %v, want InvalidArgument", err)
	}
	if err := b.Build(ctx, core.BuildSpec{Context: filepath.Join(dir, "nope")}, ref); kindOf(err) != core.KindInvalidArgument {
		t.Errorf("Build of a missing context = %v, want InvalidArgument", err)
	}
}

func TestPullErrors(t *testing.T) {
	b := testenv.RequireEngine(t)
	ctx := t.Context()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	ref := u.Host + "/perrytest/" + name("nope") + ":v1"
	if err := b.PullImage(ctx, ref); kindOf(err) != core.KindNotFound || !strings.Contains(err.Error(), ref) {
		t.Errorf("PullImage of a missing image = %v, want NotFound naming %s", err, ref)
	}
	if err := b.PullImage(ctx, "Bad Ref!"); kindOf(err) != core.KindInvalidArgument {
		t.Errorf("PullImage(bad ref) = %v, want InvalidArgument", err)
	}
}

// TestCreateNetworkIPAM creates a network with every IPAM field the
// engine applies (podman's API: subnet, gateway and ip_range; it refuses
// the rest) and reads it back with a raw client.
func TestCreateNetworkIPAM(t *testing.T) {
	for _, tc := range []struct {
		name string
		host string
		b    func(t *testing.T) *api.Backend
	}{
		{"docker", "", func(t *testing.T) *api.Backend { return testenv.RequireEngine(t) }},
		{"podman", "unix://" + testenv.PodmanSocket, func(t *testing.T) *api.Backend { return testenv.RequirePodmanAPI(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := tc.b(t)
			octet := 100 + int(randomHex(1)[0])%100
			at := func(host string) string { return fmt.Sprintf("10.232.%d.%s", octet, host) }
			// A gateway other than the default first address, outside the range.
			pool := core.IPAMPool{Subnet: at("0/24"), Gateway: at("126"), IPRange: at("128/25")}
			if tc.name == "docker" {
				pool.AuxAddresses = map[string]string{"router": at("2")}
			}
			n := mkNetwork(t, b, core.NetworkConfig{IPAM: &core.IPAM{Driver: "default", Config: []core.IPAMPool{pool}}})
			c, err := client.New(client.FromEnv, client.WithHost(cmp.Or(tc.host, os.Getenv("DOCKER_HOST"), client.DefaultDockerHost)))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			res, err := c.NetworkInspect(t.Context(), n, client.NetworkInspectOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ipam := res.Network.IPAM
			want := network.IPAMConfig{Subnet: netip.MustParsePrefix(pool.Subnet), Gateway: netip.MustParseAddr(pool.Gateway)}
			if tc.name == "docker" {
				// podman's compatible API does not report the range.
				want.IPRange = netip.MustParsePrefix(pool.IPRange)
				want.AuxAddress = map[string]netip.Addr{"router": netip.MustParseAddr(at("2"))}
			}
			if ipam.Driver != "default" || len(ipam.Config) != 1 || !reflect.DeepEqual(ipam.Config[0], want) {
				t.Fatalf("IPAM %+v, want driver default and %+v", ipam, want)
			}
		})
	}
}
