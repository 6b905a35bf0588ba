package fake

import (
	"context"
	"errors"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// TestRunWhoseStartFailsLeavesNothing: Run leaves a started container or
// nothing, so a failed start removes the container it created and returns no handle.
func TestRunWhoseStartFailsLeavesNothing(t *testing.T) {
	boom := core.Errorf(core.KindBackendError, "start refused")
	tests := []struct {
		name  string
		fault Fault
	}{
		{"every start fails", Fault{Method: "Start", Err: boom}},
		{"the first start fails", Fault{Method: "Start", N: 1, Err: boom}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New("busybox")
			b.Inject(tt.fault)
			ctx := context.Background()
			h, err := b.Run(ctx, &core.ContainerSpec{Image: "busybox", Name: "r1", Cmd: []string{"sleep", "100"}})
			if !errors.Is(err, boom) {
				t.Fatalf("Run: %v, want the start failure", err)
			}
			if h.ID != "" {
				t.Errorf("Run returned handle %+v with its error", h)
			}
			list, err := b.List(ctx, backend.ListOptions{All: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 0 {
				t.Errorf("containers left behind: %+v", list)
			}
		})
	}
}
