package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/api"
	"github.com/perryts/perry-container/core"
)

// TestExecCreateCarriesOptions: an exec's user, working directory,
// environment (a variable to remove bare, after the others) and privileged
// flag reach the engine's exec create, attached or not; the engine's 409
// for a stopped container is a conflict.
func TestExecCreateCarriesOptions(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies []map[string]any
	)
	b := fakeEngine(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/containers/c1/exec") {
			return false
		}
		var body map[string]any
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			t.Errorf("exec create body: %v", err)
		}
		mu.Lock()
		bodies = append(bodies, body)
		mu.Unlock()
		w.WriteHeader(http.StatusConflict)
		w.Write([]byte(`{"message":"container c1 is not running"}`))
		return true
	})
	opts := backend.ExecOptions{Cmd: []string{"id"}, Env: map[string]string{"A": "1"}, Unset: []string{"Z", "B"}, Workdir: "/w", User: "nobody", Privileged: true}
	_, err := b.Exec(t.Context(), "c1", opts)
	if ce := core.AsError(err); ce.Details["conflict"] == nil {
		t.Fatalf("Exec = %v, want a conflict", err)
	}
	if _, err := b.ExecInteractive(t.Context(), "c1", opts, backend.InteractiveIO{Stdout: io.Discard, Stderr: io.Discard}); err == nil {
		t.Fatal("ExecInteractive: no error")
	}
	want := map[string]any{"User": "nobody", "WorkingDir": "/w", "Privileged": true, "Env": []any{"A=1", "B", "Z"}, "Cmd": []any{"id"}}
	if len(bodies) != 2 {
		t.Fatalf("%d exec creates, want 2", len(bodies))
	}
	for i, body := range bodies {
		for k, v := range want {
			if !reflect.DeepEqual(body[k], v) {
				t.Errorf("exec create %d: %s = %#v, want %#v", i+1, k, body[k], v)
			}
		}
	}
}

// podman's API answers a bare variable "badly formed": an exec that removes
// one is refused naming env before anything is sent; so is a variable both
// set and removed, on any engine.
func TestExecUnsetRefused(t *testing.T) {
	sent := false
	handle := func(w http.ResponseWriter, r *http.Request) bool {
		if strings.HasSuffix(r.URL.Path, "/exec") {
			sent = true
		}
		return false
	}
	cases := []struct {
		name   string
		b      *api.Backend
		opts   backend.ExecOptions
		substr string
	}{
		{"podman", fakeEngineAt(t, "podman", "1.41", handle), backend.ExecOptions{Cmd: []string{"id"}, Unset: []string{"K"}}, "podman"},
		{"set and unset", fakeEngine(t, handle), backend.ExecOptions{Cmd: []string{"id"}, Env: map[string]string{"K": "v"}, Unset: []string{"K"}}, "both"},
		{"a bad key", fakeEngine(t, handle), backend.ExecOptions{Cmd: []string{"id"}, Unset: []string{"K=v"}}, "="},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.b.Exec(t.Context(), "c1", tc.opts)
			if e := core.AsError(err); e == nil || e.Kind != core.KindInvalidArgument || !strings.Contains(e.Message, tc.substr) || e.Details["argument"] != "env" {
				t.Fatalf("Exec = %v, want InvalidArgument naming env", err)
			}
			if _, err := tc.b.ExecInteractive(t.Context(), "c1", tc.opts, backend.InteractiveIO{Stdout: io.Discard, Stderr: io.Discard}); core.KindOf(err) != core.KindInvalidArgument {
				t.Fatalf("ExecInteractive = %v, want InvalidArgument", err)
			}
			if sent {
				t.Fatal("the exec reached the engine")
			}
		})
	}
}
