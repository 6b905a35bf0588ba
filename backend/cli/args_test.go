package cli

import (
	"encoding/json"
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// Pure argument-builder tests: no process runs.

var (
	dockerP  = DockerProtocol("docker", "docker")
	podmanP  = DockerProtocol("podman", "podman")
	nerdctlP = DockerProtocol("nerdctl", "nerdctl")
	appleP   = AppleProtocol()
	limaP    = LimaProtocol()
)

// checker lets a builder's two results feed a check: c(t).must(p.CreateArgs(s)).
type checker struct{ t *testing.T }

func c(t *testing.T) checker { return checker{t} }

func (c checker) must(args []string, err error) []string {
	c.t.Helper()
	if err != nil {
		c.t.Fatalf("unexpected error: %v", err)
	}
	return args
}

func TestDockerProtocolFlavors(t *testing.T) {
	tests := []struct {
		name, bin string
		want      Flavor
	}{
		{"docker", "docker", FlavorDocker},
		{"orbstack", "/usr/local/bin/docker", FlavorDocker},
		{"colima", "docker", FlavorDocker},
		{"podman", "podman", FlavorPodman},
		{"nerdctl", "nerdctl", FlavorNerdctl},
		{"rancher-desktop", "/Users/me/.rd/bin/nerdctl", FlavorNerdctl},
		{"podman-remote", "/usr/bin/podman-remote", FlavorPodman},
	}
	for _, tt := range tests {
		if got := DockerProtocol(tt.name, tt.bin).Flavor; got != tt.want {
			t.Errorf("DockerProtocol(%q, %q).Flavor = %q, want %q", tt.name, tt.bin, got, tt.want)
		}
	}
}

func TestOperationArgs(t *testing.T) {
	five, ten := 5, 10
	logs := backend.LogsOptions{Tail: &ten, Since: "10m", Timestamps: true}
	exec := backend.ExecOptions{Cmd: []string{"sh", "-c", "echo hi"}, Env: map[string]string{"B": "2", "A": "1"}, Workdir: "/w", User: "1000"}
	build := core.BuildSpec{Context: "/ctx", Dockerfile: "sub/Dockerfile", Args: map[string]string{"V": "1"}, Target: "prod",
		Labels: map[string]string{"l": "x"}, Network: "host", NoCache: true, Pull: true, Platform: "linux/amd64"}
	netCfg := core.NetworkConfig{Driver: "bridge", Labels: map[string]string{"k": "v"}, Internal: true, EnableIPv6: true,
		Options: map[string]string{"o": "1"}, IPAM: &core.IPAM{Config: []core.IPAMPool{{Subnet: "10.9.0.0/24"}}}}
	volCfg := core.VolumeConfig{Driver: "local", Labels: map[string]string{"k": "v"}, Options: map[string]string{"type": "tmpfs"}}
	list := backend.ListOptions{All: true, Labels: map[string]string{"app": "web", "tier": ""}}

	tests := []struct {
		name string
		got  func() ([]string, error)
		want []string
	}{
		{"docker start", ok(dockerP.StartArgs("c1")), []string{"start", "--", "c1"}},
		{"docker stop with timeout", ok(dockerP.StopArgs("c1", &five)), []string{"stop", "-t", "5", "--", "c1"}},
		{"docker stop default", ok(dockerP.StopArgs("c1", nil)), []string{"stop", "--", "c1"}},
		{"docker rm force", ok(dockerP.RemoveArgs("c1", true)), []string{"rm", "--volumes", "--force", "--", "c1"}},
		{"docker rm", ok(dockerP.RemoveArgs("c1", false)), []string{"rm", "--volumes", "--", "c1"}},
		{"docker rename", func() ([]string, error) { return dockerP.RenameArgs("c1", "c2") }, []string{"rename", "--", "c1", "c2"}},
		{"docker ps", func() ([]string, error) { return dockerP.ListArgs(list) },
			[]string{"ps", "--all", "--no-trunc", "--size=false", "--format={{json .}}", "--filter=label=app=web", "--filter=label=tier"}},
		{"podman ps is a JSON array", func() ([]string, error) { return podmanP.ListArgs(backend.ListOptions{}) },
			[]string{"ps", "--no-trunc", "--size=false", "--format=json"}},
		{"docker inspect", ok(dockerP.InspectArgs("c1")), []string{"inspect", "--type=container", "--", "c1"}},
		{"docker logs", func() ([]string, error) { return dockerP.LogsArgs("c1", logs, false) },
			[]string{"logs", "--tail=10", "--since=10m", "--timestamps", "--", "c1"}},
		{"podman logs uses --tail, never -n", func() ([]string, error) { return podmanP.LogsArgs("c1", backend.LogsOptions{Tail: &ten}, true) },
			[]string{"logs", "--tail=10", "--follow", "--", "c1"}},
		{"docker exec", func() ([]string, error) { return dockerP.ExecArgs("c1", exec) },
			[]string{"exec", "--env=A=1", "--env=B=2", "--workdir=/w", "--user=1000", "--", "c1", "sh", "-c", "echo hi"}},
		{"docker exec privileged", func() ([]string, error) {
			return dockerP.ExecArgs("c1", backend.ExecOptions{Cmd: []string{"id"}, Privileged: true})
		}, []string{"exec", "--privileged", "--", "c1", "id"}},
		{"podman exec privileged", func() ([]string, error) {
			return podmanP.ExecArgs("c1", backend.ExecOptions{Cmd: []string{"id"}, Privileged: true})
		}, []string{"exec", "--privileged", "--", "c1", "id"}},
		{"nerdctl exec privileged", func() ([]string, error) {
			return nerdctlP.ExecArgs("c1", backend.ExecOptions{Cmd: []string{"id"}, Privileged: true})
		}, []string{"exec", "--privileged", "--", "c1", "id"}},
		{"docker exec removes a variable with a bare --env", func() ([]string, error) {
			return dockerP.ExecArgs("c1", backend.ExecOptions{Cmd: []string{"env"}, Env: map[string]string{"A": "1"}, Unset: []string{"Z", "B"}})
		}, []string{"exec", "--env=A=1", "--env=B", "--env=Z", "--", "c1", "env"}},
		{"docker wait", func() ([]string, error) { return dockerP.WaitArgs("c1") }, []string{"wait", "--", "c1"}},
		{"docker pull", ok(dockerP.PullArgs("alpine:3")), []string{"pull", "--quiet", "--", "alpine:3"}},
		{"docker images", ok(dockerP.ListImagesArgs()), []string{"images", "--no-trunc", "--format={{json .}}"}},
		{"nerdctl images", ok(nerdctlP.ListImagesArgs()), []string{"images", "--no-trunc", "--format={{json .}}"}},
		{"docker image inspect", ok(dockerP.InspectImageArgs("alpine")), []string{"image", "inspect", "--", "alpine"}},
		{"docker rmi force", ok(dockerP.RemoveImageArgs("alpine", true)), []string{"rmi", "--force", "--", "alpine"}},
		{"docker build", func() ([]string, error) { return dockerP.BuildArgs(build, "app:1") },
			[]string{"build", "--file=/ctx/sub/Dockerfile", "--tag=app:1", "--build-arg=V=1", "--target=prod", "--label=l=x",
				"--network=host", "--no-cache", "--pull", "--platform=linux/amd64", "--force-rm", "--", "/ctx"}},
		{"docker network create", func() ([]string, error) { return dockerP.CreateNetworkArgs("n1", netCfg) },
			[]string{"network", "create", "--driver=bridge", "--label=k=v", "--internal", "--ipv6", "--opt=o=1", "--subnet=10.9.0.0/24", "--", "n1"}},
		{"docker network create without IPv4", func() ([]string, error) {
			return dockerP.CreateNetworkArgs("n1", core.NetworkConfig{EnableIPv6: true, EnableIPv4: &ipv4Off})
		}, []string{"network", "create", "--ipv6", "--ipv4=false", "--", "n1"}},
		{"docker network create with IPv4 asked for (the default)", func() ([]string, error) {
			return dockerP.CreateNetworkArgs("n1", core.NetworkConfig{EnableIPv4: &ipv4On})
		}, []string{"network", "create", "--", "n1"}},
		{"podman network create with IPv4 asked for (the default)", func() ([]string, error) {
			return podmanP.CreateNetworkArgs("n1", core.NetworkConfig{EnableIPv4: &ipv4On})
		}, []string{"network", "create", "--", "n1"}},
		{"docker network inspect", ok(dockerP.InspectNetworkArgs("n1")), []string{"network", "inspect", "--", "n1"}},
		{"docker network ls", func() ([]string, error) { return dockerP.ListNetworksArgs(map[string]string{"k": "v"}) },
			[]string{"network", "ls", "--no-trunc", "--format={{.ID}}", "--filter=label=k=v"}},
		{"docker network rm", ok(dockerP.RemoveNetworkArgs("n1")), []string{"network", "rm", "--", "n1"}},
		{"docker network connect", func() ([]string, error) {
			return dockerP.ConnectNetworkArgs(core.NetworkAttach{Name: "n2", Aliases: []string{"db"}, IPv4Address: "10.9.0.5", IPv6Address: "fd00::5"}, "c1")
		}, []string{"network", "connect", "--alias=db", "--ip=10.9.0.5", "--ip6=fd00::5", "--", "n2", "c1"}},
		{"docker volume create", func() ([]string, error) { return dockerP.CreateVolumeArgs("v1", volCfg) },
			[]string{"volume", "create", "--label=k=v", "--opt=type=tmpfs", "--", "v1"}},
		{"docker volume create with a driver", func() ([]string, error) { return dockerP.CreateVolumeArgs("v1", core.VolumeConfig{Driver: "nfs"}) },
			[]string{"volume", "create", "--driver=nfs", "--", "v1"}},
		{"docker volume inspect", ok(dockerP.InspectVolumeArgs("v1")), []string{"volume", "inspect", "--", "v1"}},
		{"docker volume ls", func() ([]string, error) { return dockerP.ListVolumesArgs(map[string]string{"k": ""}) },
			[]string{"volume", "ls", "--quiet", "--filter=label=k"}},
		{"docker volume rm force", ok(dockerP.RemoveVolumeArgs("v1", true)), []string{"volume", "rm", "--force", "--", "v1"}},
		{"docker version", ok(dockerP.VersionArgs()), []string{"version", "--format={{json .}}"}},
		{"podman version", ok(podmanP.VersionArgs()), []string{"version", "--format=json"}},

		{"apple start is attached", ok(appleP.StartArgs("c1")), []string{"start", "--attach", "--", "c1"}},
		{"apple stop", ok(appleP.StopArgs("c1", &five)), []string{"stop", "-t", "5", "--", "c1"}},
		{"apple delete", ok(appleP.RemoveArgs("c1", true)), []string{"delete", "--force", "--", "c1"}},
		{"apple list", func() ([]string, error) { return appleP.ListArgs(list) }, []string{"list", "--all", "--format=json"}},
		{"apple inspect", ok(appleP.InspectArgs("c1")), []string{"inspect", "--", "c1"}},
		{"apple logs", func() ([]string, error) { return appleP.LogsArgs("c1", backend.LogsOptions{Tail: &ten}, true) },
			[]string{"logs", "-n", "10", "--follow", "--", "c1"}},
		{"apple exec", func() ([]string, error) { return appleP.ExecArgs("c1", exec) },
			[]string{"exec", "--env=A=1", "--env=B=2", "--workdir=/w", "--user=1000", "--", "c1", "sh", "-c", "echo hi"}},
		{"apple image pull", ok(appleP.PullArgs("alpine")), []string{"image", "pull", "--", "alpine"}},
		{"apple image list", ok(appleP.ListImagesArgs()), []string{"image", "list", "--format=json"}},
		{"apple image delete", ok(appleP.RemoveImageArgs("alpine", false)), []string{"image", "delete", "--", "alpine"}},
		{"docker kill", ok(dockerP.KillArgs("c1", "SIGHUP")), []string{"kill", "--signal=SIGHUP", "--", "c1"}},
		{"apple kill", ok(appleP.KillArgs("-c1", "9")), []string{"kill", "--signal=9", "--", "-c1"}},
		{"podman build removes a failed step's container", func() ([]string, error) { return podmanP.BuildArgs(core.BuildSpec{Context: "/ctx"}, "app:1") },
			[]string{"build", "--tag=app:1", "--force-rm", "--", "/ctx"}},
		{"nerdctl build has no --force-rm", func() ([]string, error) { return nerdctlP.BuildArgs(core.BuildSpec{Context: "/ctx"}, "app:1") },
			[]string{"build", "--tag=app:1", "--", "/ctx"}},
		{"podman build with tags, hosts and /dev/shm", func() ([]string, error) {
			return podmanP.BuildArgs(core.BuildSpec{Context: "/ctx", Tags: []string{"app:2", "reg/app:2"}, ExtraHosts: []string{"db:10.0.0.2"}, ShmSize: 1 << 20}, "app:1")
		}, []string{"build", "--tag=app:1", "--tag=app:2", "--tag=reg/app:2", "--add-host=db:10.0.0.2", "--shm-size=1048576", "--force-rm", "--", "/ctx"}},
		{"nerdctl build with tags and hosts", func() ([]string, error) {
			return nerdctlP.BuildArgs(core.BuildSpec{Context: "/ctx", Tags: []string{"app:2"}, ExtraHosts: []string{"db:10.0.0.2"}}, "app:1")
		}, []string{"build", "--tag=app:1", "--tag=app:2", "--add-host=db:10.0.0.2", "--", "/ctx"}},
		{"apple build", func() ([]string, error) { build := build; build.Network = ""; return appleP.BuildArgs(build, "app:1") },
			[]string{"build", "--file=/ctx/sub/Dockerfile", "--tag=app:1", "--build-arg=V=1", "--target=prod", "--label=l=x",
				"--no-cache", "--pull", "--platform=linux/amd64", "--", "/ctx"}},
		{"apple network create", func() ([]string, error) {
			return appleP.CreateNetworkArgs("n1", core.NetworkConfig{Labels: map[string]string{"k": "v"}, Internal: true,
				IPAM: &core.IPAM{Config: []core.IPAMPool{{Subnet: "10.9.0.0/24"}, {Subnet: "fd00::/64"}}}})
		}, []string{"network", "create", "--label=k=v", "--internal", "--subnet=10.9.0.0/24", "--subnet-v6=fd00::/64", "--", "n1"}},
		{"apple network list", func() ([]string, error) { return appleP.ListNetworksArgs(nil) }, []string{"network", "list", "--format=json"}},
		{"apple network delete", ok(appleP.RemoveNetworkArgs("n1")), []string{"network", "delete", "--", "n1"}},
		{"apple volume create", func() ([]string, error) {
			return appleP.CreateVolumeArgs("v1", core.VolumeConfig{Labels: map[string]string{"k": "v"}, Options: map[string]string{"size": "1G"}})
		}, []string{"volume", "create", "--label=k=v", "--opt=size=1G", "--", "v1"}},
		{"apple volume delete", ok(appleP.RemoveVolumeArgs("v1", true)), []string{"volume", "delete", "--", "v1"}},
		{"apple version", ok(appleP.VersionArgs()), []string{"system", "version", "--format=json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.got()
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

var ipv4Off, ipv4On = false, true

func ok(args []string) func() ([]string, error) {
	return func() ([]string, error) { return args, nil }
}

func TestOperationArgsRejections(t *testing.T) {
	tests := []struct {
		name  string
		err   func() error
		field string
	}{
		{"apple has no rename", func() error { _, err := appleP.RenameArgs("a", "b"); return err }, "rename"},
		{"apple has no wait", func() error { _, err := appleP.WaitArgs("a"); return err }, "wait"},
		{"apple logs has no since", func() error { _, err := appleP.LogsArgs("a", backend.LogsOptions{Since: "1m"}, false); return err }, "logs.since"},
		{"apple logs has no timestamps", func() error { _, err := appleP.LogsArgs("a", backend.LogsOptions{Timestamps: true}, false); return err }, "logs.timestamps"},
		{"nerdctl build has no shm size", func() error {
			_, err := nerdctlP.BuildArgs(core.BuildSpec{Context: ".", ShmSize: 1}, "x")
			return err
		}, "build.shm_size"},
		{"apple build has no extra hosts", func() error {
			_, err := appleP.BuildArgs(core.BuildSpec{Context: ".", ExtraHosts: []string{"a:1.2.3.4"}}, "x")
			return err
		}, "build.extra_hosts"},
		{"apple build has no network", func() error {
			_, err := appleP.BuildArgs(core.BuildSpec{Context: ".", Network: "host"}, "x")
			return err
		}, "build.network"},
		{"apple network driver", func() error {
			_, err := appleP.CreateNetworkArgs("n", core.NetworkConfig{Driver: "bridge"})
			return err
		}, "driver"},
		{"apple network options", func() error {
			_, err := appleP.CreateNetworkArgs("n", core.NetworkConfig{Options: map[string]string{"a": "b"}})
			return err
		}, "options"},
		{"nerdctl network attachable", func() error {
			_, err := nerdctlP.CreateNetworkArgs("n", core.NetworkConfig{Attachable: true})
			return err
		}, "attachable"},
		{"podman network attachable", func() error {
			_, err := podmanP.CreateNetworkArgs("n", core.NetworkConfig{Attachable: true})
			return err
		}, "attachable"},
		{"podman network without IPv4", func() error {
			_, err := podmanP.CreateNetworkArgs("n", core.NetworkConfig{EnableIPv6: true, EnableIPv4: &ipv4Off})
			return err
		}, "enable_ipv4"},
		{"nerdctl network without IPv4", func() error {
			_, err := nerdctlP.CreateNetworkArgs("n", core.NetworkConfig{EnableIPv6: true, EnableIPv4: &ipv4Off})
			return err
		}, "enable_ipv4"},
		{"lima network without IPv4", func() error {
			_, err := limaP.CreateNetworkArgs("n", core.NetworkConfig{EnableIPv6: true, EnableIPv4: &ipv4Off})
			return err
		}, "enable_ipv4"},
		{"apple network without IPv4", func() error {
			_, err := appleP.CreateNetworkArgs("n", core.NetworkConfig{EnableIPv4: &ipv4Off})
			return err
		}, "enable_ipv4"},
		{"nerdctl volume driver", func() error { _, err := nerdctlP.CreateVolumeArgs("v", core.VolumeConfig{Driver: "nfs"}); return err }, "driver"},
		{"nerdctl volume options", func() error {
			_, err := nerdctlP.CreateVolumeArgs("v", core.VolumeConfig{Options: map[string]string{"a": "b"}})
			return err
		}, "options"},
		{"exec without a command", func() error { _, err := dockerP.ExecArgs("a", backend.ExecOptions{}); return err }, "cmd"},
		{"apple exec privileged", func() error {
			_, err := appleP.ExecArgs("a", backend.ExecOptions{Cmd: []string{"id"}, Privileged: true})
			return err
		}, "privileged"},
		{"podman exec cannot remove a variable", func() error {
			_, err := podmanP.ExecArgs("a", backend.ExecOptions{Cmd: []string{"id"}, Unset: []string{"K"}})
			return err
		}, "env"},
		{"nerdctl exec cannot remove a variable", func() error {
			_, err := nerdctlP.ExecArgs("a", backend.ExecOptions{Cmd: []string{"id"}, Unset: []string{"K"}})
			return err
		}, "env"},
		{"apple exec cannot remove a variable", func() error {
			_, err := appleP.ExecArgs("a", backend.ExecOptions{Cmd: []string{"id"}, Unset: []string{"K"}})
			return err
		}, "env"},
		{"build without context", func() error { _, err := dockerP.BuildArgs(core.BuildSpec{}, "x"); return err }, "build.context"},
		{"label key with =", func() error {
			_, err := dockerP.CreateVolumeArgs("v", core.VolumeConfig{Labels: map[string]string{"a=b": "c"}})
			return err
		}, "labels"},
		{"env value with NUL", func() error {
			_, err := dockerP.ExecArgs("a", backend.ExecOptions{Cmd: []string{"x"}, Env: map[string]string{"A": "x\x00y"}})
			return err
		}, "env"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.err()
			var e *core.Error
			if !errors.As(err, &e) {
				t.Fatalf("want a *core.Error, got %v", err)
			}
			if e.Kind != core.KindInvalidArgument && e.Kind != core.KindInternal {
				t.Errorf("kind %s", e.Kind)
			}
			if !strings.Contains(e.Message, tt.field) {
				t.Errorf("message %q does not name %q", e.Message, tt.field)
			}
		})
	}
}

// fieldCase is how one ContainerSpec field reaches each CLI: the tokens its
// argv must contain, or the field named in the rejection.
type fieldCase struct {
	field   string // the Go field name in core.ContainerSpec
	spec    core.ContainerSpec
	docker  []string // docker and podman tokens (in order, contiguous)
	connect []string // a docker `network connect` command it needs, if any
	podman  []string // when podman differs from docker (nil: same as docker)
	nerdctl []string // when nerdctl differs from docker (nil: same)
	apple   []string // nil: rejected by apple/container, naming jsonName
	// rejectedBy lists the docker flavors that reject the field.
	rejectedBy []Flavor
	jsonName   string
}

func fieldCases() []fieldCase {
	seven := 7
	zero := int64(0)
	return []fieldCase{
		{field: "Image", spec: core.ContainerSpec{}, docker: []string{"--", "img"}, apple: []string{"--", "img"}},
		// verify is resolved by the library before any backend; every protocol refuses it.
		{field: "Verify", jsonName: "verify", spec: core.ContainerSpec{Verify: &core.VerifyPolicy{Issuer: "i"}},
			rejectedBy: []Flavor{FlavorDocker, FlavorPodman, FlavorNerdctl}},
		{field: "Name", spec: core.ContainerSpec{Name: "web-1"}, docker: []string{"--name=web-1"}, apple: []string{"--name=web-1"}},
		{field: "Ports", spec: core.ContainerSpec{Ports: []string{"127.0.0.1:8080:80/tcp", "9000"}},
			docker: []string{"--publish=127.0.0.1:8080:80/tcp", "--publish=9000/tcp"}, apple: []string{"--publish=127.0.0.1:8080:80/tcp", "--publish=9000/tcp"}},
		{field: "Volumes", spec: core.ContainerSpec{Volumes: []string{"/src:/dst:ro"}}, docker: []string{"--volume=/src:/dst:ro"}, apple: []string{"--volume=/src:/dst:ro"}},
		{field: "Env", spec: core.ContainerSpec{Env: map[string]string{"B": "2", "A": "x=y"}}, docker: []string{"--env=A=x=y", "--env=B=2"}, apple: []string{"--env=A=x=y", "--env=B=2"}},
		// Removed from the image's environment: docker's bare --env (the
		// engine removes it), podman's --unsetenv; nerdctl's run cannot.
		{field: "UnsetEnv", jsonName: "unset_env", spec: core.ContainerSpec{Env: map[string]string{"A": "1"}, UnsetEnv: []string{"Z", "B"}},
			docker: []string{"--env=A=1", "--env=B", "--env=Z"}, podman: []string{"--env=A=1", "--unsetenv=B", "--unsetenv=Z"}, rejectedBy: []Flavor{FlavorNerdctl}},
		{field: "Cmd", spec: core.ContainerSpec{Cmd: []string{"sh", "-c", "echo hi"}}, docker: []string{"--", "img", "sh", "-c", "echo hi"}, apple: []string{"--", "img", "sh", "-c", "echo hi"}},
		{field: "Entrypoint", spec: core.ContainerSpec{Entrypoint: []string{"/init", "--verbose"}, Cmd: []string{"run"}},
			docker: []string{"--entrypoint=/init", "--", "img", "--verbose", "run"}, apple: []string{"--entrypoint=/init", "--", "img", "--verbose", "run"}},
		{field: "Network", spec: core.ContainerSpec{Network: "backend"}, docker: []string{"--network=backend"}, apple: []string{"--network=backend"}},
		{field: "Rm", spec: core.ContainerSpec{Rm: true}, docker: []string{"--rm"}, apple: []string{"--rm"}},
		{field: "ReadOnly", spec: core.ContainerSpec{ReadOnly: true}, docker: []string{"--read-only"}, apple: []string{"--read-only"}},
		{field: "Seccomp", jsonName: "seccomp", spec: core.ContainerSpec{Seccomp: "unconfined"}, docker: []string{"--security-opt=seccomp=unconfined"}},
		{field: "Privileged", jsonName: "privileged", spec: core.ContainerSpec{Privileged: true}, docker: []string{"--privileged"}},
		{field: "User", spec: core.ContainerSpec{User: "1000:1000"}, docker: []string{"--user=1000:1000"}, apple: []string{"--user=1000:1000"}},
		{field: "Workdir", spec: core.ContainerSpec{Workdir: "/app"}, docker: []string{"--workdir=/app"}, apple: []string{"--workdir=/app"}},
		{field: "CapAdd", spec: core.ContainerSpec{CapAdd: []string{"NET_ADMIN"}}, docker: []string{"--cap-add=NET_ADMIN"}, apple: []string{"--cap-add=NET_ADMIN"}},
		{field: "CapDrop", spec: core.ContainerSpec{CapDrop: []string{"ALL"}}, docker: []string{"--cap-drop=ALL"}, apple: []string{"--cap-drop=ALL"}},
		{field: "Labels", spec: core.ContainerSpec{Labels: map[string]string{"perry.test": "1"}}, docker: []string{"--label=perry.test=1"}, apple: []string{"--label=perry.test=1"}},
		{field: "Hostname", jsonName: "hostname", spec: core.ContainerSpec{Hostname: "h1"}, docker: []string{"--hostname=h1"}},
		{field: "Domainname", jsonName: "domainname", spec: core.ContainerSpec{Domainname: "example.org"}, docker: []string{"--domainname=example.org"}},
		{field: "NetworkAliases", jsonName: "network_aliases", spec: core.ContainerSpec{Network: "n1", NetworkAliases: []string{"db"}},
			docker: []string{"--network=n1", "--network-alias=db"}, nerdctl: []string{"--network=n1", "--hostname=db"}},
		{field: "Networks", spec: core.ContainerSpec{Network: "n1", Networks: []core.NetworkAttach{{Name: "n2", Aliases: []string{"x", "y"}, IPv4Address: "10.0.0.9"}}},
			docker: []string{"--network=n1"}, connect: []string{"network", "connect", "--alias=x", "--alias=y", "--ip=10.0.0.9", "--", "n2", "ID"},
			nerdctl: nil, rejectedBy: []Flavor{FlavorNerdctl}, jsonName: "networks[0].aliases"},
		{field: "Restart", spec: core.ContainerSpec{Restart: "on-failure:3"}, docker: []string{"--restart=on-failure:3"}, apple: []string{"--restart=on-failure:3"}},
		{field: "Healthcheck", jsonName: "healthcheck", spec: core.ContainerSpec{Healthcheck: &core.Healthcheck{Test: []string{"CMD", "wget", "-q", "http://x/a b"},
			Interval: "5s", Timeout: "2s", Retries: 3, StartPeriod: "1s"}},
			docker:     []string{"--health-cmd=wget -q 'http://x/a b'", "--health-interval=5s", "--health-timeout=2s", "--health-retries=3", "--health-start-period=1s"},
			rejectedBy: []Flavor{FlavorNerdctl}},
		{field: "StopSignal", jsonName: "stop_signal", spec: core.ContainerSpec{StopSignal: "SIGINT"}, docker: []string{"--stop-signal=SIGINT"}},
		{field: "StopTimeout", jsonName: "stop_timeout", spec: core.ContainerSpec{StopTimeout: &seven}, docker: []string{"--stop-timeout=7"}},
		{field: "ExtraHosts", jsonName: "extra_hosts", spec: core.ContainerSpec{ExtraHosts: []string{"db:10.0.0.2"}}, docker: []string{"--add-host=db:10.0.0.2"}},
		{field: "DNS", spec: core.ContainerSpec{DNS: []string{"1.1.1.1"}}, docker: []string{"--dns=1.1.1.1"}, apple: []string{"--dns=1.1.1.1"}},
		{field: "DNSSearch", spec: core.ContainerSpec{DNSSearch: []string{"example.org"}}, docker: []string{"--dns-search=example.org"}, apple: []string{"--dns-search=example.org"}},
		{field: "DNSOpt", spec: core.ContainerSpec{DNSOpt: []string{"ndots:2"}}, docker: []string{"--dns-option=ndots:2"}, apple: []string{"--dns-option=ndots:2"}},
		{field: "Tmpfs", spec: core.ContainerSpec{Tmpfs: []string{"/run"}}, docker: []string{"--tmpfs=/run"}, apple: []string{"--tmpfs=/run"}},
		{field: "ShmSize", jsonName: "shm_size", spec: core.ContainerSpec{ShmSize: 67108864}, docker: []string{"--shm-size=67108864"}},
		{field: "Memory", spec: core.ContainerSpec{Memory: 536870912}, docker: []string{"--memory=536870912"}, apple: []string{"--memory=512M"}},
		{field: "MemoryReserve", jsonName: "memory_reservation", spec: core.ContainerSpec{MemoryReserve: 1 << 20}, docker: []string{"--memory-reservation=1048576"}},
		{field: "CPUs", spec: core.ContainerSpec{CPUs: 2}, docker: []string{"--cpus=2"}, apple: []string{"--cpus=2"}},
		{field: "PidsLimit", jsonName: "pids_limit", spec: core.ContainerSpec{PidsLimit: 100}, docker: []string{"--pids-limit=100"}},
		{field: "MemorySwap", jsonName: "memswap_limit", spec: core.ContainerSpec{MemorySwap: -1}, docker: []string{"--memory-swap=-1"}},
		{field: "CPUShares", jsonName: "cpu_shares", spec: core.ContainerSpec{CPUShares: 512}, docker: []string{"--cpu-shares=512"}},
		{field: "CPUPeriod", jsonName: "cpu_period", spec: core.ContainerSpec{CPUPeriod: 100000}, docker: []string{"--cpu-period=100000"}},
		{field: "CPUQuota", jsonName: "cpu_quota", spec: core.ContainerSpec{CPUQuota: 50000}, docker: []string{"--cpu-quota=50000"}},
		{field: "CPUSet", jsonName: "cpuset", spec: core.ContainerSpec{CPUSet: "0-1,3"}, docker: []string{"--cpuset-cpus=0-1,3"}},
		{field: "OomScoreAdj", jsonName: "oom_score_adj", spec: core.ContainerSpec{OomScoreAdj: -500}, docker: []string{"--oom-score-adj=-500"}},
		{field: "GroupAdd", jsonName: "group_add", spec: core.ContainerSpec{GroupAdd: []string{"audio", "100"}}, docker: []string{"--group-add=audio", "--group-add=100"}},
		{field: "Devices", jsonName: "devices", spec: core.ContainerSpec{Devices: []core.Device{{Source: "/dev/null", Target: "/dev/n", Permissions: "rw"}, {Source: "/dev/zero"}}},
			docker: []string{"--device=/dev/null:/dev/n:rw", "--device=/dev/zero:/dev/zero"}},
		// --gpus, a CSV record; the CLIs add the gpu capability themselves.
		// podman's CLI has no --gpus.
		{field: "DeviceRequests", jsonName: "device_requests", spec: core.ContainerSpec{DeviceRequests: []core.DeviceRequest{{Count: -1, Capabilities: []string{"gpu"}}}},
			docker: []string{"--gpus=count=all"}, rejectedBy: []Flavor{FlavorPodman}},
		{field: "DeviceRequests", jsonName: "device_requests", spec: core.ContainerSpec{DeviceRequests: []core.DeviceRequest{
			{DeviceIDs: []string{"0", "GPU-3"}, Driver: "nvidia", Capabilities: []string{"gpu", "utility"}}, {Count: 2, Capabilities: []string{"compute", "gpu"}}}},
			docker: []string{`--gpus="device=0,GPU-3",driver=nvidia,capabilities=utility`, "--gpus=count=2,capabilities=compute"}, rejectedBy: []Flavor{FlavorPodman}},
		// nerdctl's --gpus ignores options; docker's reads them as CSV.
		{field: "DeviceRequests", jsonName: "device_requests", spec: core.ContainerSpec{DeviceRequests: []core.DeviceRequest{{Count: 1, Capabilities: []string{"gpu"}, Options: map[string]string{"b": "2", "a": "1"}}}},
			docker: []string{`--gpus=count=1,"options=a=1,b=2"`}, rejectedBy: []Flavor{FlavorPodman, FlavorNerdctl}},
		// A request for another kind of device cannot go through --gpus.
		{field: "DeviceRequests", jsonName: "device_requests", spec: core.ContainerSpec{DeviceRequests: []core.DeviceRequest{{Count: 1, Driver: "tpu", Capabilities: []string{"tpu"}}}},
			rejectedBy: []Flavor{FlavorDocker, FlavorPodman, FlavorNerdctl}},
		{field: "MemSwappiness", jsonName: "mem_swappiness", spec: core.ContainerSpec{MemSwappiness: &zero}, docker: []string{"--memory-swappiness=0"}},
		{field: "OomKillDisable", jsonName: "oom_kill_disable", spec: core.ContainerSpec{OomKillDisable: true}, docker: []string{"--oom-kill-disable"}},
		{field: "Blkio", jsonName: "blkio_config", spec: core.ContainerSpec{Blkio: &core.Blkio{Weight: 300}}, docker: []string{"--blkio-weight=300"}},
		// nerdctl has --blkio-weight alone; TestNerdctlRefusesBlkioDeviceLists names each list.
		{field: "Blkio", jsonName: "blkio_config", spec: core.ContainerSpec{Blkio: &core.Blkio{
			WeightDevice:  []core.WeightDevice{{Path: "/dev/sda", Weight: 10}},
			DeviceReadBps: []core.ThrottleDevice{{Path: "/dev/sda", Rate: 1 << 20}}, DeviceReadIOps: []core.ThrottleDevice{{Path: "/dev/sdb", Rate: 100}},
			DeviceWriteBps: []core.ThrottleDevice{{Path: "/dev/sda", Rate: 0}}, DeviceWriteIOps: []core.ThrottleDevice{{Path: "/dev/sdb", Rate: 5}}}},
			docker: []string{"--blkio-weight-device=/dev/sda:10", "--device-read-bps=/dev/sda:1048576", "--device-read-iops=/dev/sdb:100",
				"--device-write-bps=/dev/sda:0", "--device-write-iops=/dev/sdb:5"},
			rejectedBy: []Flavor{FlavorNerdctl}},
		// podman reads these flags as CSV lists.
		{field: "Blkio", jsonName: "blkio_config", spec: core.ContainerSpec{Blkio: &core.Blkio{DeviceReadBps: []core.ThrottleDevice{{Path: `/dev/disk/by-id/a"b`, Rate: 1}}}},
			docker: []string{`--device-read-bps=/dev/disk/by-id/a"b:1`}, podman: []string{`--device-read-bps="/dev/disk/by-id/a""b:1"`},
			rejectedBy: []Flavor{FlavorNerdctl}},
		{field: "Cgroup", jsonName: "cgroup", spec: core.ContainerSpec{Cgroup: "private"}, docker: []string{"--cgroupns=private"}},
		// podman's --runtime is a global flag, not run's.
		{field: "Runtime", jsonName: "runtime", spec: core.ContainerSpec{Runtime: "runc"}, docker: []string{"--runtime=runc"}, rejectedBy: []Flavor{FlavorPodman}},
		{field: "UsernsMode", jsonName: "userns_mode", spec: core.ContainerSpec{UsernsMode: "host"}, docker: []string{"--userns=host"}, rejectedBy: []Flavor{FlavorNerdctl}},
		{field: "MacAddress", jsonName: "mac_address", spec: core.ContainerSpec{Network: "n1", MacAddress: "92-D0-C6-0A-29-33"},
			docker: []string{"--network=n1", "--mac-address=92:d0:c6:0a:29:33"}},
		{field: "StorageOpt", jsonName: "storage_opt", spec: core.ContainerSpec{StorageOpt: map[string]string{"size": "1G"}},
			docker: []string{"--storage-opt=size=1G"}, rejectedBy: []Flavor{FlavorPodman, FlavorNerdctl}},
		// docker's --annotation came with Docker 24 (API 1.43); the docker flavour refuses them.
		{field: "Annotations", jsonName: "annotations", spec: core.ContainerSpec{Annotations: map[string]string{"b": "x,y", "a": "1"}},
			podman: []string{"--annotation=a=1", `--annotation="b=x,y"`}, nerdctl: []string{"--annotation=a=1", "--annotation=b=x,y"},
			rejectedBy: []Flavor{FlavorDocker}},
		// nerdctl's Backend turns volumes_from into mounts before the
		// arguments are built (TestNerdctlVolumesFromAsMounts): its
		// arguments refuse them.
		{field: "VolumesFrom", jsonName: "volumes_from", spec: core.ContainerSpec{VolumesFrom: []string{"demo-data-1", "other:rw"}},
			docker: []string{"--volumes-from=demo-data-1", "--volumes-from=other:rw"}, rejectedBy: []Flavor{FlavorNerdctl}},
		{field: "VolumesFrom", jsonName: "volumes_from", spec: core.ContainerSpec{VolumesFrom: []string{"demo-data-1", "demo-logs-1:ro"}},
			docker: []string{"--volumes-from=demo-data-1", "--volumes-from=demo-logs-1:ro"}, rejectedBy: []Flavor{FlavorNerdctl}},
		{field: "Init", spec: core.ContainerSpec{Init: true}, docker: []string{"--init"}, apple: []string{"--init"}},
		{field: "Pid", jsonName: "pid", spec: core.ContainerSpec{Pid: "host"}, docker: []string{"--pid=host"}},
		{field: "Ipc", jsonName: "ipc", spec: core.ContainerSpec{Ipc: "private"}, docker: []string{"--ipc=private"}},
		{field: "SecurityOpt", jsonName: "security_opt", spec: core.ContainerSpec{SecurityOpt: []string{"no-new-privileges"}}, docker: []string{"--security-opt=no-new-privileges"}},
		{field: "Sysctls", jsonName: "sysctls", spec: core.ContainerSpec{Sysctls: map[string]string{"net.core.somaxconn": "1024"}}, docker: []string{"--sysctl=net.core.somaxconn=1024"}},
		{field: "Ulimits", spec: core.ContainerSpec{Ulimits: []core.Ulimit{{Name: "nofile", Soft: 1024, Hard: 2048}}}, docker: []string{"--ulimit=nofile=1024:2048"}, apple: []string{"--ulimit=nofile=1024:2048"}},
		{field: "Expose", jsonName: "expose", spec: core.ContainerSpec{Expose: []string{"8080"}}, docker: []string{"--expose=8080"}, rejectedBy: []Flavor{FlavorNerdctl}},
		{field: "Platform", spec: core.ContainerSpec{Platform: "linux/arm64"}, docker: []string{"--platform=linux/arm64"}, apple: []string{"--platform=linux/arm64"}},
		{field: "Tty", spec: core.ContainerSpec{Tty: true}, docker: []string{"--tty"}, apple: []string{"--tty"}},
		{field: "StdinOpen", spec: core.ContainerSpec{StdinOpen: true}, docker: []string{"--interactive"}, apple: []string{"--interactive"}},
		{field: "LogDriver", jsonName: "log_driver", spec: core.ContainerSpec{LogDriver: "json-file"}, docker: []string{"--log-driver=json-file"}},
		{field: "LogOpts", jsonName: "log_opts", spec: core.ContainerSpec{LogOpts: map[string]string{"max-size": "10m"}}, docker: []string{"--log-opt=max-size=10m"}},
		{field: "Mounts", spec: core.ContainerSpec{Mounts: []core.Mount{{Type: "volume", Source: "data,1", Target: "/data", ReadOnly: true, NoCopy: true}}},
			docker: []string{`--mount=type=volume,"source=data,1",target=/data,readonly,volume-nocopy`}, apple: nil, jsonName: "mounts[0]"},
		// A volume's subpath: docker's volume-subpath (CLI 26), podman's
		// subpath (5.4), quoted in the CSV record; nerdctl's --mount has none.
		{field: "Mounts", spec: core.ContainerSpec{Mounts: []core.Mount{{Type: "volume", Source: "data", Target: "/data", ReadOnly: true, Subpath: `a,b/"c`}}},
			docker: []string{`--mount=type=volume,source=data,target=/data,readonly,"volume-subpath=a,b/""c"`},
			podman: []string{`--mount=type=volume,source=data,target=/data,readonly,"subpath=a,b/""c"`},
			apple:  nil, rejectedBy: []Flavor{FlavorNerdctl}, jsonName: "mounts[0].subpath"},
	}
}

// TestEveryContainerSpecFieldIsMappedOrRejected is Property 3 written out:
// each field of ContainerSpec, alone, reaches every protocol's argv in its
// flag form or is rejected naming it. The reflection check makes a field
// added to ContainerSpec fail here until a case says how it maps.
func TestEveryContainerSpecFieldIsMappedOrRejected(t *testing.T) {
	cases := fieldCases()
	covered := map[string]bool{}
	for _, fc := range cases {
		covered[fc.field] = true
	}
	st := reflect.TypeOf(core.ContainerSpec{})
	for i := 0; i < st.NumField(); i++ {
		if !covered[st.Field(i).Name] {
			t.Errorf("ContainerSpec.%s has no case: say how every protocol maps or rejects it", st.Field(i).Name)
		}
	}
	for _, fc := range cases {
		spec := fc.spec
		spec.Image = "img"
		t.Run(fc.field, func(t *testing.T) {
			for _, p := range []Protocol{dockerP, podmanP, nerdctlP, limaP} {
				want := fc.docker
				if p.Flavor == FlavorPodman && fc.podman != nil {
					want = fc.podman
				}
				if p.Flavor == FlavorNerdctl && fc.nerdctl != nil {
					want = fc.nerdctl
				}
				args, err := p.CreateArgs(&spec)
				if slices.Contains(fc.rejectedBy, p.Flavor) {
					assertRejected(t, p, err, fc.jsonName)
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", p.who(), err)
				}
				assertContiguous(t, p.who(), args, want)
				if fc.connect != nil {
					connects, err := p.ConnectArgs(&spec, "ID")
					if err != nil || len(connects) != 1 || !slices.Equal(connects[0], fc.connect) {
						t.Errorf("%s connect: %q, %v; want %q", p.who(), connects, err, fc.connect)
					}
				}
			}
			args, err := appleP.CreateArgs(&spec)
			if fc.apple == nil {
				assertRejected(t, appleP, err, fc.jsonName)
				return
			}
			if err != nil {
				t.Fatalf("apple: %v", err)
			}
			assertContiguous(t, "apple", args, fc.apple)
		})
	}
}

// nerdctl takes blkio_config.weight alone: each per-device list is refused
// naming itself, and the weight passes.
func TestNerdctlRefusesBlkioDeviceLists(t *testing.T) {
	dev := []core.ThrottleDevice{{Path: "/dev/sda", Rate: 1}}
	for field, b := range map[string]*core.Blkio{
		"blkio_config.weight_device":     {Weight: 300, WeightDevice: []core.WeightDevice{{Path: "/dev/sda", Weight: 10}}},
		"blkio_config.device_read_bps":   {DeviceReadBps: dev},
		"blkio_config.device_read_iops":  {DeviceReadIOps: dev},
		"blkio_config.device_write_bps":  {DeviceWriteBps: dev},
		"blkio_config.device_write_iops": {DeviceWriteIOps: dev},
	} {
		for _, p := range []Protocol{nerdctlP, limaP} {
			_, err := p.CreateArgs(&core.ContainerSpec{Image: "img", Blkio: b})
			assertRejected(t, p, err, field)
			if e := core.AsError(err); e == nil || e.Details["field"] != field {
				t.Errorf("%s %s: details %v", p.who(), field, err)
			}
		}
	}
	args, err := nerdctlP.CreateArgs(&core.ContainerSpec{Image: "img", Blkio: &core.Blkio{Weight: 300}})
	if err != nil || !slices.Contains(args, "--blkio-weight=300") {
		t.Errorf("nerdctl weight: %q, %v", args, err)
	}
}

// nerdctl's arguments never carry --volumes-from (it would tie the
// source's anonymous volumes to the new container): an entry that reaches
// them, which its Backend turns into mounts first, is refused naming the
// first.
func TestNerdctlArgsRefuseVolumesFrom(t *testing.T) {
	for _, p := range []Protocol{nerdctlP, limaP} {
		for _, entries := range [][]string{{"a"}, {"a:rw", "b:ro"}} {
			args, err := p.CreateArgs(&core.ContainerSpec{Image: "img", VolumesFrom: entries})
			assertRejected(t, p, err, "volumes_from[0]")
			if len(args) > 0 {
				t.Errorf("%s: arguments %q with the refusal", p.who(), args)
			}
		}
	}
}

func assertRejected(t *testing.T, p Protocol, err error, field string) {
	t.Helper()
	var e *core.Error
	if !errors.As(err, &e) || e.Kind != core.KindInvalidArgument {
		t.Fatalf("%s: want an InvalidArgument rejection naming %q, got %v", p.who(), field, err)
	}
	if !strings.Contains(e.Message, field) {
		t.Errorf("%s: message %q does not name field %q", p.who(), e.Message, field)
	}
	if strings.Contains(e.Message, "not supported") && !strings.Contains(e.Message, p.Runtime) {
		t.Errorf("%s: message %q does not name the runtime", p.who(), e.Message)
	}
}

// assertContiguous checks that want appears in args as a contiguous run.
func assertContiguous(t *testing.T, who string, args, want []string) {
	t.Helper()
	for i := 0; i+len(want) <= len(args); i++ {
		if slices.Equal(args[i:i+len(want)], want) {
			return
		}
	}
	t.Errorf("%s: argv %q lacks %q", who, args, want)
}

func TestCreateArgsShape(t *testing.T) {
	spec := &core.ContainerSpec{Image: "-img", Name: "n", Cmd: []string{"--help"}}
	args := c(t).must(dockerP.CreateArgs(spec))
	want := []string{"create", "--name=n", "--", "-img", "--help"}
	if !slices.Equal(args, want) {
		t.Errorf("create: %q, want %q", args, want)
	}
	run := c(t).must(dockerP.RunArgs(spec))
	if !slices.Equal(run, []string{"run", "--detach", "--name=n", "--", "-img", "--help"}) {
		t.Errorf("run: %q", run)
	}
	// An empty, non-nil entrypoint resets the image's.
	reset := c(t).must(dockerP.CreateArgs(&core.ContainerSpec{Image: "img", Entrypoint: []string{}}))
	if !slices.Contains(reset, "--entrypoint=") {
		t.Errorf("entrypoint reset missing: %q", reset)
	}
}

func TestCreateArgsNetworks(t *testing.T) {
	spec := &core.ContainerSpec{Image: "img", Networks: []core.NetworkAttach{
		{Name: "front", Aliases: []string{"web"}, IPv4Address: "10.1.0.2"},
		{Name: "back", Aliases: []string{"api"}},
	}}
	args := c(t).must(dockerP.CreateArgs(spec))
	assertContiguous(t, "docker", args, []string{"--network=front", "--network-alias=web", "--ip=10.1.0.2"})
	connects, err := dockerP.ConnectArgs(spec, "c1")
	if err != nil || len(connects) != 1 || !slices.Equal(connects[0], []string{"network", "connect", "--alias=api", "--", "back", "c1"}) {
		t.Errorf("docker connects %q %v", connects, err)
	}
	// nerdctl takes every network at creation but no aliases.
	_, err = nerdctlP.CreateArgs(spec)
	assertRejected(t, nerdctlP, err, "network_aliases")
	plain := &core.ContainerSpec{Image: "img", Network: "front", Networks: []core.NetworkAttach{{Name: "back"}, {Name: "front"}}}
	args = c(t).must(nerdctlP.CreateArgs(plain))
	assertContiguous(t, "nerdctl", args, []string{"--network=front", "--network=back"})
	if c, _ := nerdctlP.ConnectArgs(plain, "c1"); c != nil {
		t.Errorf("nerdctl needs no connect: %q", c)
	}
	args = c(t).must(appleP.CreateArgs(plain))
	assertContiguous(t, "apple", args, []string{"--network=front", "--network=back"})
}

func TestNerdctlSliceFlagsAreCSVQuoted(t *testing.T) {
	// nerdctl declares --dns-search, --add-host, … as StringSlice, which
	// splits on commas unless the value is CSV-quoted.
	spec := &core.ContainerSpec{Image: "img", DNSSearch: []string{"a,b"}, ExtraHosts: []string{`x"y:1.2.3.4`}}
	args := c(t).must(nerdctlP.CreateArgs(spec))
	assertContiguous(t, "nerdctl", args, []string{`--add-host="x""y:1.2.3.4"`})
	assertContiguous(t, "nerdctl", args, []string{`--dns-search="a,b"`})
	args = c(t).must(dockerP.CreateArgs(spec)) // docker's list flags do not split
	assertContiguous(t, "docker", args, []string{`--dns-search=a,b`})
}

func TestHealthcheckForms(t *testing.T) {
	tests := []struct {
		name string
		hc   core.Healthcheck
		want []string
	}{
		{"shell form", core.Healthcheck{Test: []string{"CMD-SHELL", "curl -f localhost || exit 1"}}, []string{"--health-cmd=curl -f localhost || exit 1"}},
		{"exec form is quoted", core.Healthcheck{Test: []string{"CMD", "echo", "it's ok"}}, []string{`--health-cmd=echo 'it'\''s ok'`}},
		{"NONE disables", core.Healthcheck{Test: []string{"NONE"}}, []string{"--no-healthcheck"}},
		{"disable", core.Healthcheck{Disable: true}, []string{"--no-healthcheck"}},
		{"start interval on docker", core.Healthcheck{Test: []string{"CMD-SHELL", "true"}, StartInterval: "1s"}, []string{"--health-cmd=true", "--health-start-interval=1s"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hc := tt.hc
			args := c(t).must(dockerP.CreateArgs(&core.ContainerSpec{Image: "img", Healthcheck: &hc}))
			assertContiguous(t, "docker", args, tt.want)
		})
	}
	bad := []struct {
		name  string
		p     Protocol
		hc    core.Healthcheck
		field string
	}{
		{"unknown test kind", dockerP, core.Healthcheck{Test: []string{"RUN", "x"}}, "healthcheck.test"},
		{"bad duration", dockerP, core.Healthcheck{Test: []string{"CMD-SHELL", "true"}, Interval: "5 seconds"}, "healthcheck.interval"},
		{"podman start interval", podmanP, core.Healthcheck{Test: []string{"CMD-SHELL", "true"}, StartInterval: "1s"}, "healthcheck.start_interval"},
		{"nerdctl has none", nerdctlP, core.Healthcheck{Test: []string{"CMD-SHELL", "true"}}, "healthcheck"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			hc := tt.hc
			_, err := tt.p.CreateArgs(&core.ContainerSpec{Image: "img", Healthcheck: &hc})
			assertRejected(t, tt.p, err, tt.field)
		})
	}
}

func TestAppleSpecRejections(t *testing.T) {
	tests := []struct {
		name  string
		spec  core.ContainerSpec
		field string
	}{
		{"memory not in MiB", core.ContainerSpec{Memory: 1000}, "memory"},
		{"fractional cpus", core.ContainerSpec{CPUs: 1.5}, "cpus"},
		{"tmpfs options", core.ContainerSpec{Tmpfs: []string{"/run:size=1m"}}, "tmpfs"},
		{"network alias", core.ContainerSpec{Networks: []core.NetworkAttach{{Name: "n", Aliases: []string{"a"}}}}, "networks[0].aliases"},
		{"network address", core.ContainerSpec{Networks: []core.NetworkAttach{{Name: "n", IPv4Address: "10.0.0.2"}}}, "networks[0].ipv4_address"},
		{"tmpfs size", core.ContainerSpec{Mounts: []core.Mount{{Type: "tmpfs", Target: "/t", TmpfsSize: 10}}}, "mounts[0].tmpfs_size"},
		{"nocopy", core.ContainerSpec{Mounts: []core.Mount{{Type: "volume", Source: "v", Target: "/t", NoCopy: true}}}, "mounts[0].nocopy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			spec.Image = "img"
			_, err := appleP.CreateArgs(&spec)
			var e *core.Error
			if !errors.As(err, &e) || e.Kind != core.KindInvalidArgument || !strings.Contains(e.Message, tt.field) {
				t.Errorf("want InvalidArgument naming %q, got %v", tt.field, err)
			}
		})
	}
	args := c(t).must(appleP.CreateArgs(&core.ContainerSpec{Image: "img", Mounts: []core.Mount{
		{Type: "bind", Source: "/h", Target: "/c", ReadOnly: true}, {Type: "tmpfs", Target: "/t"}}}))
	assertContiguous(t, "apple", args, []string{"--mount=type=bind,source=/h,target=/c,readonly", "--tmpfs=/t"})
}

func TestSpecValidationErrors(t *testing.T) {
	tests := []struct {
		name string
		spec *core.ContainerSpec
	}{
		{"nil spec", nil},
		{"no image", &core.ContainerSpec{}},
		{"bad name", &core.ContainerSpec{Image: "img", Name: "-x"}},
		{"NUL in a label value", &core.ContainerSpec{Image: "img", Labels: map[string]string{"a": "\x00"}}},
		{"bad mount type", &core.ContainerSpec{Image: "img", Mounts: []core.Mount{{Type: "npipe", Target: "/x"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, p := range []Protocol{dockerP, appleP} {
				if _, err := p.CreateArgs(tt.spec); core.KindOf(err) != core.KindInvalidArgument {
					t.Errorf("%s: want InvalidArgument, got %v", p.who(), err)
				}
			}
		})
	}
}

// The JSON names used in messages are the spec's own.
func TestRejectionNamesAreJSONNames(t *testing.T) {
	data, _ := json.Marshal(core.ContainerSpec{Image: "i", Privileged: true, ShmSize: 1, LogOpts: map[string]string{"a": "b"}})
	for _, name := range []string{"privileged", "shm_size", "log_opts"} {
		if !strings.Contains(string(data), `"`+name+`"`) {
			t.Errorf("%s is not a JSON name of ContainerSpec", name)
		}
	}
}
