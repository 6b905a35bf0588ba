package fake

import (
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// volumes_from copies the source container's mounts as the engines do:
// read-only with ":ro", the container's own mounts taking the place of a
// copied one at the same destination; a file written into a volume in one
// container is seen in every container that mounts it.
func TestVolumesFromCopiesMounts(t *testing.T) {
	ctx := context.Background()
	b := New("busybox")
	if err := b.CreateVolume(ctx, "shared", core.VolumeConfig{}); err != nil {
		t.Fatal(err)
	}
	src, err := b.Run(ctx, &core.ContainerSpec{Image: "busybox", Name: "data", Cmd: []string{"sleep", "100"},
		Volumes: []string{"shared:/data", "/anon", "/host/conf:/conf:ro", "shared:/other"}})
	if err != nil {
		t.Fatal(err)
	}
	srcMounts, err := b.Mounts(src.ID)
	if err != nil {
		t.Fatal(err)
	}
	anon := srcMounts[0]
	if anon.Destination != "/anon" || !anon.Anonymous || anon.Source == "" {
		t.Fatalf("source mounts %+v", srcMounts)
	}
	app, err := b.Run(ctx, &core.ContainerSpec{Image: "busybox", Name: "app", Cmd: []string{"sleep", "100"},
		VolumesFrom: []string{"data:ro"}, Volumes: []string{"/other"}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := b.Mounts(app.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[3].Destination != "/other" || !got[3].Anonymous || got[3].Source == "shared" {
		t.Fatalf("the container's own /other does not replace the copied one: %+v", got)
	}
	want := []MountPoint{
		{Type: "volume", Source: anon.Source, Destination: "/anon", Anonymous: true},
		{Type: "bind", Source: "/host/conf", Destination: "/conf"},
		{Type: "volume", Source: "shared", Destination: "/data"},
	}
	if !reflect.DeepEqual(got[:3], want) {
		t.Fatalf("mounts %+v, want %+v (all read-only)", got[:3], want)
	}

	// A file the source writes into its volume is the dependent's too; the
	// dependent's own writes there are lost (read-only).
	exec := func(id, script string) core.ContainerLogs {
		t.Helper()
		out, err := b.Exec(ctx, id, backend.ExecOptions{Cmd: []string{"sh", "-c", script}})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	exec(src.ID, "echo hello > /data/f; echo anon > /anon/g")
	if out := exec(app.ID, "cat /data/f /anon/g"); out.Stdout != "hello\nanon\n" {
		t.Fatalf("the dependent reads %q", out.Stdout)
	}
	exec(app.ID, "echo mine > /data/h")
	if out := exec(src.ID, "cat /data/h"); *out.ExitCode == 0 {
		t.Fatalf("a write through a read-only mount reached the volume: %q", out.Stdout)
	}
	if err := b.WriteFile(src.ID, "/data/w", "x"); err != nil {
		t.Fatal(err)
	}
	if out := exec(app.ID, "cat /data/w"); out.Stdout != "x" {
		t.Fatalf("WriteFile into the volume: the dependent reads %q", out.Stdout)
	}
	// Without a mode, each mount keeps its own: the bind stays read-only.
	rw, err := b.Create(ctx, &core.ContainerSpec{Image: "busybox", Name: "rw", VolumesFrom: []string{"data"}})
	if err != nil {
		t.Fatal(err)
	}
	rwMounts, _ := b.Mounts(rw.ID)
	if !reflect.DeepEqual(rwMounts, srcMounts) {
		t.Fatalf("volumes_from without a mode: %+v, want the source's %+v", rwMounts, srcMounts)
	}

	// A volume in use cannot be removed; the source's anonymous volume
	// outlives the source while a dependent mounts it, and goes with the last.
	if err := b.RemoveVolume(ctx, "shared", true); err == nil || !strings.Contains(err.Error(), "in use") {
		t.Fatalf("removing a volume in use: %v", err)
	}
	for _, id := range []string{src.ID, rw.ID} {
		if err := b.Remove(ctx, id, true); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := b.InspectVolume(ctx, anon.Source); err != nil {
		t.Fatalf("the anonymous volume went while app mounts it: %v", err)
	}
	if out := exec(app.ID, "cat /anon/g"); out.Stdout != "anon\n" {
		t.Fatalf("after the source's removal the dependent reads %q", out.Stdout)
	}
	if err := b.Remove(ctx, app.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := b.InspectVolume(ctx, anon.Source); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("the anonymous volume outlived its last container: %v", err)
	}
	if err := b.RemoveVolume(ctx, "shared", false); err != nil {
		t.Fatal(err)
	}
}

// A volumes_from container that does not exist is NotFound, and nothing is
// created.
func TestVolumesFromMissingContainer(t *testing.T) {
	ctx := context.Background()
	b := New("busybox")
	_, err := b.Create(ctx, &core.ContainerSpec{Image: "busybox", Name: "app", Volumes: []string{"/anon"}, VolumesFrom: []string{"ghost"}})
	if core.KindOf(err) != core.KindNotFound || !strings.Contains(err.Error(), "ghost") {
		t.Fatalf("got %v, want NotFound naming ghost", err)
	}
	if vols, _ := b.ListVolumes(ctx, nil); len(vols) != 0 {
		t.Errorf("volumes made for a container that was not created: %+v", vols)
	}
}
