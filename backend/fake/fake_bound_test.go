package fake

import (
	"context"
	"testing"
)

// Regression (stress64): the call log grew without bound, ~100 MB per
// round of 64 threads x 1000 calls on PERRY_CONTAINER_BACKEND=fake.
func TestCallLogIsBounded(t *testing.T) {
	b := New()
	ctx := context.Background()
	for i := 0; i < 3*maxCalls; i++ {
		_, _ = b.Inspect(ctx, "missing")
	}
	if n := len(b.Calls()); n > maxCalls || n < maxCalls/2 {
		t.Fatalf("%d calls kept, want between %d and %d", n, maxCalls/2, maxCalls)
	}
	if m := b.Methods(); m[len(m)-1] != "Inspect" {
		t.Fatalf("the most recent call is not kept: %v", m[len(m)-1])
	}
}
