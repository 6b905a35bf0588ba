package cli

import (
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// cgroupProbe prints, as key=value lines, what a process in the container
// sees of the CPU, swap, OOM, group and device settings, on cgroup v1 or v2.
const cgroupProbe = `echo oom=$(cat /proc/self/oom_score_adj)
echo groups=$(id -G)
test -c /dev/perrynull && echo device=char
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
  echo shares=$(cat /sys/fs/cgroup/cpu.weight)
  echo cpuset=$(cat /sys/fs/cgroup/cpuset.cpus.effective)
  echo quota=$(cat /sys/fs/cgroup/cpu.max)
  echo swap=$(cat /sys/fs/cgroup/memory.swap.max)
else
  echo shares=$(cat /sys/fs/cgroup/cpu/cpu.shares)
  echo cpuset=$(cat /sys/fs/cgroup/cpuset/cpuset.cpus)
  echo quota=$(cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us) $(cat /sys/fs/cgroup/cpu/cpu.cfs_period_us)
  echo swap=$(cat /sys/fs/cgroup/memory/memory.memsw.limit_in_bytes)
fi`

// The cgroup fields reach the process on every CLI runtime of the machine:
// docker, and podman and nerdctl when they are installed. Read from inside
// the container, as nerdctl's inspect does not report them.
func TestRuntimesApplyCgroupFields(t *testing.T) {
	onCLIRuntimes(t, func(t *testing.T, name string, b *Backend) {
		cname := uniqueName("cgroup")
		spec := &core.ContainerSpec{Image: testImage, Name: cname, Labels: testLabels(cname),
			Cmd:    []string{"sh", "-c", cgroupProbe},
			Memory: 64 << 20, MemorySwap: 96 << 20,
			CPUShares: 512, CPUPeriod: 100000, CPUQuota: 50000, CPUSet: "0",
			OomScoreAdj: 100, GroupAdd: []string{"4242"},
			Devices: []core.Device{{Source: "/dev/null", Target: "/dev/perrynull", Permissions: "rw"}},
		}
		h := create(t, b, spec, true)
		if code := waitExit(t, b, h.ID); code != 0 {
			t.Fatalf("probe exit code %d", code)
		}
		logs, err := b.Logs(t.Context(), h.ID, backend.LogsOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, l := range strings.Split(logs.Stdout, "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok {
				got[k] = v
			}
		}
		want := map[string][]string{
			"oom":    {"100"},
			"device": {"char"},
			"cpuset": {"0"},
			// v1 shares 512; v2 weight 1+(512-2)*9999/262142 = 20.
			"shares": {"512", "20"},
			"quota":  {"50000 100000"},
			// v1 memory+swap bytes; v2 swap alone (96-64 MiB).
			"swap": {"100663296", "33554432"},
		}
		for k, vs := range want {
			if !slices.Contains(vs, got[k]) {
				t.Errorf("%s = %q, want one of %q\n%s", k, got[k], vs, logs.Stdout)
			}
		}
		if !slices.Contains(strings.Fields(got["groups"]), "4242") {
			t.Errorf("groups %q lack 4242", got["groups"])
		}
	})
}
