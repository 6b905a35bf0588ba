package fake

import (
	"archive/tar"
	"bytes"
	"io"
	"reflect"
	"slices"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// A commit files an image that records what was asked and the container's
// own files (not its volume's); the containers of the image start with
// them. One without a reference is known by its id only.
func TestCommitRecordsTheImage(t *testing.T) {
	b := New("busybox")
	ctx := t.Context()
	if _, err := b.Run(ctx, &core.ContainerSpec{Image: "busybox", Name: "c1", Cmd: []string{"sleep", "60"},
		Mounts: []core.Mount{{Type: "volume", Source: "data", Target: "/data"}}}); err != nil {
		t.Fatal(err)
	}
	for p, content := range map[string]string{"/etc/motd": "hi\n", "/data/kept": "in the volume\n"} {
		if err := b.WriteFile("c1", p, content); err != nil {
			t.Fatal(err)
		}
	}
	opts := backend.CommitOptions{Reference: "snap:1", Author: "Ann", Message: "why", Changes: []string{"ENV A=1"}, NoPause: true}
	id, err := b.Commit(ctx, "c1", opts)
	if err != nil {
		t.Fatal(err)
	}
	img, err := b.InspectImage(ctx, "snap:1")
	if err != nil || img.ID != id || img.Repository != "snap" || img.Tag != "1" {
		t.Fatalf("the committed image: %+v, %v (id %s)", img, err, id)
	}
	cm, ok := b.CommitOf("snap:1")
	if !ok || cm.Container == "" || !reflect.DeepEqual(cm.CommitOptions, opts) || !reflect.DeepEqual(cm.Files, map[string]string{"/etc/motd": "hi\n"}) {
		t.Fatalf("CommitOf = %+v, %v", cm, ok)
	}
	if _, err := b.Run(ctx, &core.ContainerSpec{Image: "snap:1", Name: "c2", Cmd: []string{"sleep", "60"}}); err != nil {
		t.Fatal(err)
	}
	if out, err := b.Exec(ctx, "c2", backend.ExecOptions{Cmd: []string{"cat", "/etc/motd"}}); err != nil || out.Stdout != "hi\n" {
		t.Fatalf("the file in a container of the image: %+v, %v", out, err)
	}
	dangling, err := b.Commit(ctx, "c1", backend.CommitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if img, err := b.InspectImage(ctx, dangling); err != nil || img.Repository != "<none>" || img.Tag != "<none>" {
		t.Fatalf("an untagged commit: %+v, %v", img, err)
	}
	if _, err := b.Commit(ctx, "nope", opts); core.KindOf(err) != core.KindNotFound {
		t.Fatalf("commit of an unknown container: %v", err)
	}
}

// Export writes the container's own files as a tar, directories first,
// and the same bytes every time.
func TestExportIsATarOfTheOwnFiles(t *testing.T) {
	b := New("busybox")
	ctx := t.Context()
	if _, err := b.Create(ctx, &core.ContainerSpec{Image: "busybox", Name: "c1",
		Mounts: []core.Mount{{Type: "volume", Source: "data", Target: "/data"}}}); err != nil {
		t.Fatal(err)
	}
	for p, content := range map[string]string{"/etc/motd": "hi\n", "/a.txt": "a\n", "/data/x": "volume\n"} {
		if err := b.WriteFile("c1", p, content); err != nil {
			t.Fatal(err)
		}
	}
	var first, second bytes.Buffer
	if err := b.Export(ctx, "c1", &first); err != nil {
		t.Fatal(err)
	}
	if err := b.Export(ctx, "c1", &second); err != nil || !bytes.Equal(first.Bytes(), second.Bytes()) {
		t.Fatalf("a second export differs (%v)", err)
	}
	var names []string
	tr := tar.NewReader(&first)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, h.Name)
	}
	if want := []string{"a.txt", "etc/", "etc/motd"}; !slices.Equal(names, want) {
		t.Fatalf("entries %q, want %q", names, want)
	}
	var none bytes.Buffer
	if err := b.Export(ctx, "nope", &none); core.KindOf(err) != core.KindNotFound || none.Len() != 0 {
		t.Fatalf("export of an unknown container: %v, %d bytes", err, none.Len())
	}
}
