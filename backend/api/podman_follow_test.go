package api_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
	"github.com/perryts/perry-container/internal/testenv"
)

// TestPodmanFollowOfFinishedLongLog: through podman's API service, a
// followed 100,000-line log of a container that has exited arrives whole
// and in order (podman's follow lost most of it; see podman.go).
func TestPodmanFollowOfFinishedLongLog(t *testing.T) {
	b := testenv.RequirePodmanAPI(t)
	var buf [4]byte
	_, _ = rand.Read(buf[:])
	name := "perrytest-follow-" + hex.EncodeToString(buf[:])
	const n = 100000
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	h, err := b.Run(ctx, &core.ContainerSpec{Image: testenv.Image, Name: name, Labels: map[string]string{"perry.test": "1"}, Cmd: []string{"seq", "1", fmt.Sprint(n)}})
	if h.ID != "" {
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			if err := b.Remove(ctx, h.ID, true); err != nil {
				t.Errorf("cleanup: %v", err)
			}
		})
	}
	if err != nil {
		t.Fatal(err)
	}
	if code, err := b.Wait(ctx, h.ID); err != nil || code != 0 {
		t.Fatalf("wait: %d %v", code, err)
	}
	var out bytes.Buffer
	if err := b.FollowLogs(ctx, h.ID, backend.LogsOptions{}, &out, nil); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	bad := 0
	for i, l := range lines {
		if l != fmt.Sprint(i+1) {
			bad++
		}
	}
	if len(lines) != n || bad != 0 {
		t.Errorf("followed %d lines, %d out of place; want 1..%d", len(lines), bad, n)
	}

	// An exec in the stopped container: Docker's answer, a BackendError
	// naming the container in conflict.
	res, err := b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"true"}})
	if e := core.AsError(err); e == nil || e.Kind != core.KindBackendError || e.Details["conflict"] != h.ID {
		t.Errorf("exec in a stopped container = %+v, %v; want a BackendError with conflict %s", res, err, h.ID)
	}
}
