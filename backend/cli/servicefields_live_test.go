package cli

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/moby/client/pkg/versions"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// serviceFieldsProbe prints, as key=value lines, what a process in the
// container sees of its MAC address, user namespace, cgroup namespace
// (cgns, compared between a private and a host container), swappiness,
// OOM killer and block IO settings, on cgroup v1 or v2. cgpath
// is the process's cgroup as it sees it: "/" in a private cgroup
// namespace, the container's own path in the host's.
const serviceFieldsProbe = `echo mac=$(cat /sys/class/net/eth0/address)
echo uidmap=$(cat /proc/self/uid_map)
echo cgns=$(readlink /proc/self/ns/cgroup)
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  echo cgpath=$(grep '^0::' /proc/self/cgroup | cut -d: -f3)
  echo weight=$(cat /sys/fs/cgroup/io.bfq.weight 2>/dev/null || cat /sys/fs/cgroup/io.weight 2>/dev/null)
  echo io=$(cat /sys/fs/cgroup/io.max 2>/dev/null)
else
  echo cgpath=$(grep ':memory:' /proc/self/cgroup | cut -d: -f3)
  echo swappiness=$(cat /sys/fs/cgroup/memory/memory.swappiness)
  echo oomkill=$(grep '^oom_kill_disable ' /sys/fs/cgroup/memory/memory.oom_control | cut -d' ' -f2)
  echo weight=$(cat /sys/fs/cgroup/blkio/blkio.bfq.weight 2>/dev/null || cat /sys/fs/cgroup/blkio/blkio.weight 2>/dev/null)
  echo rbps=$(cat /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device)
  echo wbps=$(cat /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device)
  echo riops=$(cat /sys/fs/cgroup/blkio/blkio.throttle.read_iops_device)
  echo wiops=$(cat /sys/fs/cgroup/blkio/blkio.throttle.write_iops_device)
fi`

// cgpathProbe prints only the process's cgroup and cgroup namespace, as
// serviceFieldsProbe does.
const cgpathProbe = `echo cgns=$(readlink /proc/self/ns/cgroup)
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  echo cgpath=$(grep '^0::' /proc/self/cgroup | cut -d: -f3)
else
  echo cgpath=$(grep ':memory:' /proc/self/cgroup | cut -d: -f3)
fi`

// The service fields of docker compose that each CLI runtime takes reach
// the container (docker, and podman and nerdctl when they are installed):
// mac_address, cgroup, mem_swappiness, oom_kill_disable and blkio_config
// everywhere (the per-device lists not on nerdctl), userns_mode on docker
// and podman, runtime on docker and nerdctl, annotations on podman and
// nerdctl. What a process sees is read from inside the container; what it
// cannot see (the runtime, the user namespace mode, annotations) from the
// runtime's inspect. storage_opt is left out: it needs a storage driver
// with quotas (overlay2 on xfs mounted with pquota), which CI hosts lack.
//
// The engines run on this machine, so the host's cgroup version and block
// devices are read here: swappiness and the OOM killer are cgroup v1 knobs
// (the runtimes drop them on v2), and a block IO weight only takes effect
// with a weight-based IO scheduler (the runtimes drop it without one).
func TestRuntimesApplyMoreServiceFields(t *testing.T) {
	onCLIRuntimes(t, func(t *testing.T, name string, b *Backend) {
		v1 := !fileExists("/sys/fs/cgroup/cgroup.controllers")
		cname := uniqueName("svcfields")
		mac := randomMAC(t)
		spec := &core.ContainerSpec{Image: testImage, Name: cname, Labels: testLabels(cname),
			Cmd:    []string{"sh", "-c", serviceFieldsProbe},
			Memory: 64 << 20, MacAddress: strings.ToUpper(mac), Cgroup: "private",
		}
		swappiness := int64(10)
		if v1 {
			spec.MemSwappiness, spec.OomKillDisable = &swappiness, true
		} else {
			t.Log("cgroup v2: mem_swappiness and oom_kill_disable are not checked (v1 knobs)")
		}
		weight := hostBlkioWeight()
		dev, devNum := hostBlockDevice()
		if weight || (dev != "" && name != "nerdctl") {
			spec.Blkio = &core.Blkio{}
		}
		if weight {
			spec.Blkio.Weight = 300
		} else {
			t.Log("no weight-based IO scheduler on this host: blkio_config.weight is not checked")
		}
		if dev != "" && name != "nerdctl" {
			spec.Blkio.DeviceReadBps = []core.ThrottleDevice{{Path: dev, Rate: 1 << 20}}
			spec.Blkio.DeviceWriteBps = []core.ThrottleDevice{{Path: dev, Rate: 2 << 20}}
			spec.Blkio.DeviceReadIOps = []core.ThrottleDevice{{Path: dev, Rate: 100}}
			spec.Blkio.DeviceWriteIOps = []core.ThrottleDevice{{Path: dev, Rate: 200}}
		} else if dev == "" {
			t.Log("no block device on this host: the blkio_config device limits are not checked")
		}
		switch name {
		case "docker":
			spec.Runtime, spec.UsernsMode = "runc", "host"
		case "podman":
			spec.UsernsMode = "host"
			spec.Annotations = map[string]string{"perry.test.annotation": cname}
		case "nerdctl":
			spec.Runtime = "io.containerd.runc.v2"
			spec.Annotations = map[string]string{"perry.test.annotation": cname}
		}
		if v := b.engineAPI(t.Context()); name == "docker" && versions.LessThan(v, "1.44") {
			// The docker CLI sets a MAC per network, which older
			// engines refuse: so is it refused here, naming the field.
			if _, err := b.Create(t.Context(), spec); core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "mac_address") {
				t.Fatalf("a MAC address on Engine API %s through the docker CLI: %v", v, err)
			}
			spec.MacAddress, mac = "", ""
		}
		h := create(t, b, spec, true)
		got := probeOutput(t, b, h.ID)

		want := map[string][]string{
			"mac": {mac},
			// userns_mode host, or the runtime's default: no mapping.
			"uidmap": {"0 0 4294967295"},
			"cgpath": {"/"},
		}
		if mac == "" {
			delete(want, "mac")
		}
		if v1 {
			want["swappiness"] = []string{"10"}
			want["oomkill"] = []string{"1"}
		}
		if weight {
			// v1 CFQ 300, BFQ "default 300" (v1 and v2); v2 io.weight
			// runc's conversion 1+(300-10)*9999/990 = 2930.
			want["weight"] = []string{"300", "default 300", "default 2930"}
		}
		if spec.Blkio != nil && len(spec.Blkio.DeviceReadBps) > 0 {
			if v1 {
				want["rbps"] = []string{devNum + " 1048576"}
				want["wbps"] = []string{devNum + " 2097152"}
				want["riops"] = []string{devNum + " 100"}
				want["wiops"] = []string{devNum + " 200"}
			} else if line := devNum + " rbps=1048576 wbps=2097152 riops=100 wiops=200"; !strings.Contains(got["io"], line) {
				t.Errorf("io.max %q lacks %q", got["io"], line)
			}
		}
		for k, vs := range want {
			if !slices.Contains(vs, got[k]) {
				t.Errorf("%s = %q, want one of %q", k, got[k], vs)
			}
		}

		// cgroup: host, for the other side of the namespace check.
		hostName := uniqueName("svcfields-cghost")
		hh := create(t, b, &core.ContainerSpec{Image: testImage, Name: hostName, Labels: testLabels(hostName),
			Cmd: []string{"sh", "-c", cgpathProbe}, Cgroup: "host"}, true)
		hostGot := probeOutput(t, b, hh.ID)
		if p := hostGot["cgpath"]; p == "" || p == "/" {
			t.Errorf("cgroup host: the process's cgroup is %q, want the container's path in the host's namespace", p)
		}
		if got["cgns"] == "" || got["cgns"] == hostGot["cgns"] {
			t.Errorf("cgroup private: namespace %q, the same as cgroup host's %q", got["cgns"], hostGot["cgns"])
		}

		// What the process cannot see, from the runtime's inspect.
		switch name {
		case "docker":
			var ins []struct {
				HostConfig struct{ Runtime, UsernsMode string }
			}
			runtimeJSON(t, b, &ins, b.proto.InspectArgs(h.ID)...)
			if len(ins) != 1 || ins[0].HostConfig.Runtime != "runc" || ins[0].HostConfig.UsernsMode != "host" {
				t.Errorf("docker inspect HostConfig: %+v, want Runtime runc, UsernsMode host", ins)
			}
		case "podman":
			var ins []struct {
				Config     struct{ Annotations map[string]string }
				HostConfig struct{ UsernsMode string }
			}
			runtimeJSON(t, b, &ins, b.proto.InspectArgs(h.ID)...)
			if len(ins) != 1 || ins[0].Config.Annotations["perry.test.annotation"] != cname {
				t.Errorf("podman inspect annotations: %+v, want perry.test.annotation=%s", ins, cname)
			}
			// podman reports the host's user namespace as "" or "host".
			if len(ins) == 1 && ins[0].HostConfig.UsernsMode != "" && ins[0].HostConfig.UsernsMode != "host" {
				t.Errorf("podman inspect UsernsMode %q, want host", ins[0].HostConfig.UsernsMode)
			}
		case "nerdctl":
			// nerdctl's docker-style inspect has no HostConfig: the
			// runtime and the OCI spec's annotations are in its native
			// inspect (containerd's container record).
			var native []struct {
				Runtime struct{ Name string }
				Spec    struct {
					Annotations map[string]string `json:"annotations"`
				}
			}
			runtimeJSON(t, b, &native, "container", "inspect", "--mode=native", "--", h.ID)
			if len(native) != 1 || native[0].Runtime.Name != "io.containerd.runc.v2" {
				t.Errorf("nerdctl native inspect runtime: %+v, want io.containerd.runc.v2", native)
			}
			if len(native) != 1 || native[0].Spec.Annotations["perry.test.annotation"] != cname {
				t.Errorf("nerdctl native inspect annotations: %+v, want perry.test.annotation=%s", native, cname)
			}
		}
	})
}

// probeOutput waits for a probe container to exit 0 and reads its
// key=value lines.
func probeOutput(t *testing.T, b *Backend, id string) map[string]string {
	t.Helper()
	if code := waitExit(t, b, id); code != 0 {
		t.Fatalf("probe exit code %d", code)
	}
	logs, err := b.Logs(t.Context(), id, backend.LogsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, l := range strings.Split(logs.Stdout, "\n") {
		if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok {
			got[k] = strings.Join(strings.Fields(v), " ") // the shell's spacing of a file's columns
		}
	}
	t.Logf("probe:\n%s", logs.Stdout)
	return got
}

// runtimeJSON runs the runtime's CLI with args and decodes its JSON output.
func runtimeJSON(t *testing.T, b *Backend, v any, args ...string) {
	t.Helper()
	out, err := b.run(t.Context(), args)
	if err != nil || out.code != 0 {
		t.Fatalf("%s %q: %v (exit %d) %s", b.bin, args, err, out.code, out.stderr)
	}
	if err := json.Unmarshal(out.stdout, v); err != nil {
		t.Fatalf("%s %q: %v\n%s", b.bin, args, err, out.stdout)
	}
}

// randomMAC is a random locally administered unicast address, lower case.
func randomMAC(t *testing.T) string {
	var buf [6]byte
	if _, err := rand.Read(buf[:]); err != nil {
		t.Fatal(err)
	}
	buf[0] = buf[0]&^1 | 2 // unicast, locally administered
	return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", buf[0], buf[1], buf[2], buf[3], buf[4], buf[5])
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// hostBlkioWeight reports whether the host's cgroups take a block IO
// weight (a weight-based IO scheduler: CFQ or BFQ on v1; the io
// controller's io.weight or io.bfq.weight on v2).
func hostBlkioWeight() bool {
	if fileExists("/sys/fs/cgroup/blkio/blkio.weight") || fileExists("/sys/fs/cgroup/blkio/blkio.bfq.weight") {
		return true
	}
	for _, pat := range []string{"/sys/fs/cgroup/*/io.weight", "/sys/fs/cgroup/*/io.bfq.weight"} {
		if m, _ := filepath.Glob(pat); len(m) > 0 {
			return true
		}
	}
	return false
}

// hostBlockDevice is a block device of the host, as its /dev path and its
// "major:minor", for the blkio_config device limits; "" when there is none
// (loop and RAM disks are passed over).
func hostBlockDevice() (path, num string) {
	entries, _ := os.ReadDir("/sys/block")
	for _, e := range entries {
		n := e.Name()
		if strings.HasPrefix(n, "loop") || strings.HasPrefix(n, "ram") || strings.HasPrefix(n, "zram") {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/sys/block", n, "dev"))
		if err != nil || !fileExists("/dev/"+n) {
			continue
		}
		return "/dev/" + n, strings.TrimSpace(string(data))
	}
	return "", ""
}
