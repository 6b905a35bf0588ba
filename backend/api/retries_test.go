package api_test

import (
	"net/http"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// TestCreateNetworkRetriesWhenInterfacesChanged: podman's API service fails
// a network create whose subnet search met an interface that came or went
// (nothing is created); the create is tried again, and any other failure
// is not.
func TestCreateNetworkRetriesWhenInterfacesChanged(t *testing.T) {
	for _, tc := range []struct {
		name      string
		failures  int32 // creates answered with failure before one succeeds
		message   string
		wantErr   bool
		wantCalls int32
	}{
		{"interfaces changed", 2, "route ip+net: no such network interface", false, 3},
		{"gives up", 100, "route ip+net: no such network interface", true, 1 + backend.CreateRetries},
		{"other failure", 100, "subnet already used", true, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var creates atomic.Int32
			b := fakeEngine(t, func(w http.ResponseWriter, r *http.Request) bool {
				switch {
				case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/networks"):
					w.Write([]byte("[]"))
				case r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/networks/create"):
					if creates.Add(1) <= tc.failures {
						w.WriteHeader(http.StatusInternalServerError)
						w.Write([]byte(`{"message":"` + tc.message + `"}`))
						break
					}
					w.WriteHeader(http.StatusCreated)
					w.Write([]byte(`{"Id":"n1id"}`))
				default:
					return false
				}
				return true
			})
			err := b.CreateNetwork(t.Context(), "n1", core.NetworkConfig{})
			if (err != nil) != tc.wantErr {
				t.Fatalf("CreateNetwork: %v, want error %v", err, tc.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("error %q does not carry the engine's message %q", err, tc.message)
			}
			if n := creates.Load(); n != tc.wantCalls {
				t.Fatalf("%d creates, want %d", n, tc.wantCalls)
			}
		})
	}
}
