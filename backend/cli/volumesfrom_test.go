package cli

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

const anonVolume = "8f3c2b1a9d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a"

// sourceMounts are a nerdctl container's mounts as its nerdctl/mounts label
// and its inspect give them: a named and an anonymous volume, a read-only
// bind, a tmpfs, and (as no real container has it there, to check it is
// never passed on) a bind of the runtime's own resolv.conf.
func sourceMounts(resolvConf string) string {
	return `[
	{"Type":"volume","Name":"demo_store","Source":"/var/lib/nerdctl/55e780ce/volumes/perrytest/demo_store/_data","Destination":"/store","Driver":"local","Mode":"","RW":true},
	{"Type":"volume","Name":"` + anonVolume + `","Source":"/var/lib/nerdctl/55e780ce/volumes/perrytest/` + anonVolume + `/_data","Destination":"/scratch/","Driver":"local","Mode":"","RW":true},
	{"Type":"bind","Source":"/srv/conf","Destination":"/conf","Mode":"ro","RW":false},
	{"Type":"tmpfs","Source":"","Destination":"/run/t","Mode":"size=64m","RW":true},
	{"Type":"bind","Source":"` + resolvConf + `","Destination":"/etc/resolv.conf","Mode":"bind,rprivate","RW":true}]`
}

// nerdctlSource is the live inspect of a running nerdctl container given
// mounts of its own (the label and Mounts, as nerdctl lists them).
func nerdctlSource(t *testing.T, mounts func(resolvConf string) string) string {
	t.Helper()
	var list []map[string]any
	if err := json.Unmarshal(fixture(t, "live-nerdctl-inspect-running.json"), &list); err != nil {
		t.Fatal(err)
	}
	m := mounts(list[0]["ResolvConfPath"].(string))
	list[0]["Mounts"] = json.RawMessage(m)
	list[0]["Config"].(map[string]any)["Labels"].(map[string]any)[nerdctlMountsLabel] = m
	out, err := json.Marshal(list)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// flagsWith are the arguments of argv that start with prefix.
func flagsWith(argv []string, prefix string) []string {
	var out []string
	for _, a := range argv {
		if strings.HasPrefix(a, prefix) {
			out = append(out, a)
		}
	}
	return out
}

// nerdctl's --volumes-from copies all of the source's mounts (its
// /etc/hosts and resolv.conf too) and makes the source's anonymous volumes
// the new container's, which `rm --volumes` then deletes: the backend
// passes the source's volumes and binds as mounts instead, by name, and
// never --volumes-from.
func TestNerdctlVolumesFromAsMounts(t *testing.T) {
	withMounts := nerdctlSource(t, sourceMounts)
	create := func(t *testing.T, f *fakeCLI, spec *core.ContainerSpec) []string {
		t.Helper()
		if _, err := Docker("nerdctl", f.bin).Create(t.Context(), spec); err != nil {
			t.Fatal(err)
		}
		argv := f.last()
		if got := flagsWith(argv, "--volumes-from"); len(got) > 0 {
			t.Errorf("nerdctl create got %q", got)
		}
		return argv
	}
	t.Run("volumes by name and binds, no tmpfs, no runtime files", func(t *testing.T) {
		f := newFakeCLI(t, "nerdctl")
		f.on("inspect", reply{stdout: withMounts}).on("create", reply{stdout: "c0ffee\n"})
		spec := &core.ContainerSpec{Image: "img", Name: "demo-app-1", VolumesFrom: []string{"demo-data-1"}}
		argv := create(t, f, spec)
		if calls := f.calls(); len(calls) != 2 || !slices.Equal(calls[0][1:], []string{"inspect", "--type=container", "--", "demo-data-1"}) {
			t.Fatalf("calls %q", calls)
		}
		want := []string{
			"--mount=type=bind,source=/srv/conf,target=/conf,readonly",
			"--mount=type=volume,source=" + anonVolume + ",target=/scratch",
			"--mount=type=volume,source=demo_store,target=/store",
		}
		if got := flagsWith(argv, "--mount"); !slices.Equal(got, want) {
			t.Fatalf("mounts %q, want %q", got, want)
		}
		if len(spec.VolumesFrom) != 1 || spec.Mounts != nil {
			t.Errorf("the caller's spec was changed: %+v", spec)
		}
	})
	t.Run(":ro mounts every one read-only; the spec's own paths win", func(t *testing.T) {
		f := newFakeCLI(t, "nerdctl")
		f.on("inspect", reply{stdout: withMounts}).on("create", reply{stdout: "c0ffee\n"})
		argv := create(t, f, &core.ContainerSpec{Image: "img", VolumesFrom: []string{"demo-data-1:ro"},
			Volumes: []string{"own:/store"}, Tmpfs: []string{"/conf:size=1m"}})
		want := []string{"--mount=type=volume,source=" + anonVolume + ",target=/scratch,readonly"}
		if got := flagsWith(argv, "--mount"); !slices.Equal(got, want) {
			t.Fatalf("mounts %q, want %q", got, want)
		}
		assertContiguous(t, "nerdctl create", argv, []string{"--volume=own:/store"})
	})
	t.Run("a later source replaces an earlier one's mount at the same path", func(t *testing.T) {
		f := newFakeCLI(t, "nerdctl")
		other := nerdctlSource(t, func(string) string {
			return `[{"Type":"volume","Name":"other_store","Source":"/x/_data","Destination":"/store","RW":true}]`
		})
		f.on("1", reply{stdout: withMounts}).on("2", reply{stdout: other}).on("create", reply{stdout: "c0ffee\n"})
		argv := create(t, f, &core.ContainerSpec{Image: "img", VolumesFrom: []string{"demo-data-1", "other-1"}})
		if got := flagsWith(argv, "--mount=type=volume,source=other_store"); len(got) != 1 || slices.Contains(argv, "--mount=type=volume,source=demo_store,target=/store") {
			t.Fatalf("argv %q: want other_store at /store instead of demo_store", argv)
		}
	})
	t.Run("a source without mounts of its own gives none of the runtime's files", func(t *testing.T) {
		f := newFakeCLI(t, "nerdctl")
		f.on("inspect", reply{stdout: string(fixture(t, "live-nerdctl-inspect-running.json"))}).on("create", reply{stdout: "c0ffee\n"})
		argv := create(t, f, &core.ContainerSpec{Image: "img", VolumesFrom: []string{"6ac34184"}})
		if got := flagsWith(argv, "--mount"); len(got) > 0 {
			t.Fatalf("mounts %q, want none", got)
		}
	})
	t.Run("a missing container is NotFound naming the entry", func(t *testing.T) {
		f := newFakeCLI(t, "nerdctl")
		f.on("inspect", reply{stderr: "time=\"2026-12-06T04:20:54Z\" level=fatal msg=\"1 errors:\\nno such container: ghost\"", exit: 1})
		_, err := Docker("nerdctl", f.bin).Create(t.Context(), &core.ContainerSpec{Image: "img", VolumesFrom: []string{"ghost"}})
		e := core.AsError(err)
		if e == nil || e.Kind != core.KindNotFound || !strings.Contains(e.Message, "ghost") || e.Details["field"] != "volumes_from[0]" {
			t.Fatalf("got %v (%+v), want NotFound naming ghost and volumes_from[0]", err, e)
		}
		if calls := f.calls(); len(calls) != 1 {
			t.Errorf("calls after the failed lookup: %q", calls)
		}
	})
	t.Run("docker takes the entries as they are", func(t *testing.T) {
		f := newFakeCLI(t, "docker")
		f.on("create", reply{stdout: "c0ffee\n"})
		spec := &core.ContainerSpec{Image: "img", VolumesFrom: []string{"demo-data-1:ro"}}
		if _, err := Docker("docker", f.bin).Create(t.Context(), spec); err != nil {
			t.Fatal(err)
		}
		if calls := f.calls(); len(calls) != 1 || !slices.Contains(calls[0], "--volumes-from=demo-data-1:ro") {
			t.Errorf("calls %q", calls)
		}
	})
}
