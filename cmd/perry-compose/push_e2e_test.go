package main

import (
	"context"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/crane"
	"github.com/google/go-containerregistry/pkg/registry"
)

// TestE2EPushToALocalRegistry: push uploads the image a service builds to
// the registry its image names (one served on 127.0.0.1 here, which the
// engine reaches over plain HTTP), and skips services that build nothing.
func TestE2EPushToALocalRegistry(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "app"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "app", "Dockerfile"), []byte("FROM perry-test/busybox:latest\nLABEL perry.test=1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ref := strings.TrimPrefix(srv.URL, "http://") + "/perrytest/pushed:1"
	yaml := "services:\n  app:\n    build: ./app\n    image: " + ref + "\n  db:\n    image: perry-test/busybox:latest\n"
	if err := os.WriteFile(filepath.Join(dir, "compose.yaml"), []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	s := newStack(t, "push", dir, "")
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = s.b.RemoveImage(ctx, ref, true)
	})
	s.must("build")
	r := s.must("--progress", "plain", "push")
	for _, want := range []string{ref + "  Pushed", "db  Skipped"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("push progress lacks %q:\n%s", want, r.stderr)
		}
	}
	if _, err := crane.Digest(ref, crane.Insecure); err != nil {
		t.Fatalf("the registry has no %s after push: %v", ref, err)
	}
	// A service that is not in the project.
	if r := s.run("push", "nope"); r.code == 0 || !strings.Contains(r.stderr, "no such service: nope") {
		t.Fatalf("push nope: %+v", r)
	}
}
