package swarm

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

// fakeEngine answers /_ping and /info with a node in the given swarm state.
func fakeEngine(t *testing.T, state string, manager bool) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.41")
		switch {
		case strings.HasSuffix(r.URL.Path, "/_ping"):
			_, _ = w.Write([]byte("OK"))
		case strings.HasSuffix(r.URL.Path, "/info"):
			_ = json.NewEncoder(w).Encode(map[string]any{
				"Name":  "node-a",
				"Swarm": map[string]any{"LocalNodeState": state, "ControlAvailable": manager, "NodeID": "abc"},
			})
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return "tcp://" + strings.TrimPrefix(srv.URL, "http://")
}

func TestRequireManager(t *testing.T) {
	cases := []struct {
		state   string
		manager bool
		want    string // in the message; "" means no error
	}{
		{"active", true, ""},
		{"inactive", false, "docker swarm init"},
		{"active", false, "docker node promote abc"},
		{"locked", false, "docker swarm unlock"},
	}
	for _, tc := range cases {
		t.Run(tc.state, func(t *testing.T) {
			t.Setenv("DOCKER_CERT_PATH", "")
			t.Setenv("DOCKER_TLS_VERIFY", "")
			c, err := New(fakeEngine(t, tc.state, tc.manager))
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			n, err := c.RequireManager(context.Background())
			if tc.want == "" {
				if err != nil || !n.Manager || n.NodeID != "abc" || n.Hostname != "node-a" {
					t.Fatalf("manager: %+v %v", n, err)
				}
				return
			}
			ce := core.AsError(err)
			if err == nil || ce.Kind != core.KindBackendNotAvailable || !strings.Contains(ce.Message, tc.want) {
				t.Fatalf("err %v, want BackendNotAvailable saying %q", err, tc.want)
			}
		})
	}
}

func TestLabelFilters(t *testing.T) {
	f := labelFilters(map[string]string{"b": "", "a": "1"})
	if !f["label"]["a=1"] || !f["label"]["b"] || len(f["label"]) != 2 {
		t.Fatalf("%v", f)
	}
}
