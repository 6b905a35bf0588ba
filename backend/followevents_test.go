package backend

import (
	"context"
	"testing"
)

// TestFollowEventsStopsOnAStreamThatEndsAtOnce: a follower that ends at once
// every time is no rotation: the stream ends after five, not in a loop; and
// without resume the first end is the end.
func TestFollowEventsStopsOnAStreamThatEndsAtOnce(t *testing.T) {
	for _, tc := range []struct {
		resume bool
		want   int
	}{{true, 5}, {false, 1}} {
		n := 0
		err := FollowEvents(t.Context(), EventsOptions{}, tc.resume, func(context.Context, string, func(ContainerEvent)) error {
			n++
			return nil
		}, func(ContainerEvent) {})
		if err != nil || n != tc.want {
			t.Errorf("resume %v: %d followers (%v), want %d", tc.resume, n, err, tc.want)
		}
	}
}
