package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/perryts/perry-container/core"
)

// An engine before API 1.44 (the fake speaks 1.41) is given a container's
// MAC address as Config.MacAddress, the only place it reads one, with the
// rest of the create request as the client would send it; its answers,
// errors included, come back as the client's would.
func TestCreateSendsMacAddressInConfigBeforeAPI144(t *testing.T) {
	var (
		mu   sync.Mutex
		got  map[string]json.RawMessage
		path string
		name string
	)
	conflict := false
	b := fakeEngine(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/containers/create") {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		path, name = r.URL.Path, r.URL.Query().Get("name")
		got = nil
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("create body %q: %v", body, err)
		}
		if conflict {
			w.WriteHeader(http.StatusConflict)
			w.Write([]byte(`{"message":"Conflict. The container name \"/perry-mac\" is already in use"}`))
			return true
		}
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"Id":"c0ffee","Warnings":[]}`))
		return true
	})
	spec := &core.ContainerSpec{Image: "img", Name: "perry-mac", Cmd: []string{"true"}, Memory: 64 << 20,
		Labels: map[string]string{"perry.test": "1"}, MacAddress: "92-D0-C6-0A-29-33"}
	h, err := b.Create(t.Context(), spec)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if h.ID != "c0ffee" || h.Name != "perry-mac" {
		t.Errorf("handle %+v", h)
	}
	mu.Lock()
	if path != "/v1.41/containers/create" || name != "perry-mac" {
		t.Errorf("request %s?name=%s", path, name)
	}
	var cfg struct {
		Image      string
		Cmd        []string
		Labels     map[string]string
		MacAddress string
	}
	var hc struct{ Memory int64 }
	// The engine reads Config's fields at the top of the body, as
	// container.CreateRequest inlines them ("Config cannot be empty"
	// otherwise, as a live engine answered an earlier version of this).
	whole, _ := json.Marshal(got)
	if err := json.Unmarshal(whole, &cfg); err != nil || json.Unmarshal(got["HostConfig"], &hc) != nil {
		t.Fatalf("request %s: %v", got, err)
	}
	if _, nested := got["Config"]; nested {
		t.Errorf("the request nests Config: %s", got)
	}
	mu.Unlock()
	if cfg.MacAddress != "92:d0:c6:0a:29:33" || cfg.Image != "img" || len(cfg.Cmd) != 1 || cfg.Labels["perry.test"] != "1" || hc.Memory != 64<<20 {
		t.Errorf("Config %+v HostConfig %+v", cfg, hc)
	}

	// The engine's refusal is reported as the client's would be: a name in
	// use is a conflict naming the container.
	mu.Lock()
	conflict = true
	mu.Unlock()
	_, err = b.Create(t.Context(), spec)
	e := core.AsError(err)
	if e == nil || e.Kind != core.KindBackendError || e.Details["conflict"] != "perry-mac" || !strings.Contains(e.Message, "already in use") {
		t.Fatalf("conflict: %v (%+v)", err, e)
	}
}

// volumes_from reaches the engine as HostConfig.VolumesFrom, entries as
// given ("container[:ro|:rw]"), on either path of a create request: the
// client's, and the hand-made one of an engine before API 1.44 given a MAC
// address.
func TestCreateSendsVolumesFrom(t *testing.T) {
	var (
		mu     sync.Mutex
		bodies []map[string]json.RawMessage
	)
	b := fakeEngine(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/containers/create") {
			return false
		}
		body, _ := io.ReadAll(r.Body)
		var got map[string]json.RawMessage
		if err := json.Unmarshal(body, &got); err != nil {
			t.Errorf("create body %q: %v", body, err)
		}
		mu.Lock()
		bodies = append(bodies, got)
		mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"Id":"c0ffee","Warnings":[]}`))
		return true
	})
	want := []string{"demo-data-1:ro", "backup", "4f0c2d9e1a7b:rw"}
	for _, mac := range []string{"", "92:d0:c6:0a:29:33"} {
		spec := &core.ContainerSpec{Image: "img", Name: "demo-app-1", VolumesFrom: want, MacAddress: mac}
		if _, err := b.Create(t.Context(), spec); err != nil {
			t.Fatalf("Create (mac %q): %v", mac, err)
		}
	}
	mu.Lock()
	sent := slices.Clone(bodies)
	mu.Unlock()
	if len(sent) != 2 {
		t.Fatalf("%d create requests, want 2", len(sent))
	}
	for i, got := range sent {
		var hc struct{ VolumesFrom []string }
		if err := json.Unmarshal(got["HostConfig"], &hc); err != nil {
			t.Fatalf("request %d HostConfig %s: %v", i, got["HostConfig"], err)
		}
		if !slices.Equal(hc.VolumesFrom, want) {
			t.Errorf("request %d: HostConfig.VolumesFrom = %q, want %q", i, hc.VolumesFrom, want)
		}
	}
	// A bad entry is refused before any request, naming it.
	_, err := b.Create(t.Context(), &core.ContainerSpec{Image: "img", VolumesFrom: []string{"data:z"}})
	if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), `volumes_from[0] "data:z"`) {
		t.Errorf("a bad mode: %v, want InvalidArgument naming volumes_from[0]", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 2 {
		t.Errorf("a bad entry reached the engine")
	}
}
