package api_test

import (
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/moby/moby/api/types/container"
	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// requests records the create requests a fake engine receives and answers
// them as the engine does.
type requests struct {
	mu     sync.Mutex
	bodies map[string][]byte // by the path's last two elements: "networks/create", "containers/create"
}

func (q *requests) handle(w http.ResponseWriter, r *http.Request) bool {
	path := r.URL.Path
	switch {
	case r.Method == http.MethodGet && strings.HasSuffix(path, "/networks"):
		w.Write([]byte(`[]`))
		return true
	case r.Method == http.MethodGet && strings.Contains(path, "/networks/"):
		w.Write([]byte(`{"Name":"n","Id":"n1"}`))
		return true
	case r.Method == http.MethodPost && (strings.HasSuffix(path, "/networks/create") || strings.HasSuffix(path, "/containers/create")):
		body, _ := io.ReadAll(r.Body)
		q.mu.Lock()
		if q.bodies == nil {
			q.bodies = map[string][]byte{}
		}
		q.bodies[path[strings.LastIndex(path[:strings.LastIndex(path, "/")], "/")+1:]] = body
		q.mu.Unlock()
		w.WriteHeader(http.StatusCreated)
		w.Write([]byte(`{"Id":"c0ffee"}`))
		return true
	}
	return false
}

func (q *requests) body(key string) []byte {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.bodies[key]
}

// An IPv6-only network (enable_ipv4: false) reaches an engine of API 1.48
// as EnableIPv4 false; an engine of API 1.41 (this machine's Docker 20.10)
// would ignore the field and create the network with IPv4, so nothing is
// sent and the create is refused naming the field and the version; podman
// refuses it at any version.
func TestCreateNetworkEnableIPv4ByEngineVersion(t *testing.T) {
	f := false
	cfg := core.NetworkConfig{EnableIPv6: true, EnableIPv4: &f,
		IPAM: &core.IPAM{Config: []core.IPAMPool{{Subnet: "fd00:5::/64"}}}}
	for _, tc := range []struct {
		name, runtime, version string
		refused                string
	}{
		{"docker on API 1.48", "docker", "1.48", ""},
		{"docker on API 1.41", "docker", "1.41", "API version 1.41"},
		{"podman", "podman", "1.41", "not supported by podman"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &requests{}
			b := fakeEngineAt(t, tc.runtime, tc.version, q.handle)
			err := b.CreateNetwork(t.Context(), "v6only", cfg)
			body := q.body("networks/create")
			if tc.refused != "" {
				e := core.AsError(err)
				if err == nil || e.Kind != core.KindInvalidArgument || e.Details["field"] != "network.enable_ipv4" || !strings.Contains(e.Message, tc.refused) {
					t.Fatalf("got %v, want InvalidArgument naming network.enable_ipv4 and %q", err, tc.refused)
				}
				if body != nil {
					t.Fatalf("the network was created: %s", body)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var req struct {
				Name       string
				EnableIPv4 *bool
				EnableIPv6 *bool
			}
			if err := json.Unmarshal(body, &req); err != nil || req.Name != "v6only" || req.EnableIPv4 == nil || *req.EnableIPv4 ||
				req.EnableIPv6 == nil || !*req.EnableIPv6 {
				t.Fatalf("request %s (%v), want EnableIPv4 false and EnableIPv6 true", body, err)
			}
		})
	}
}

// A volume's subpath reaches an engine of API 1.45 or later as the mount's
// VolumeOptions.Subpath; an older engine (API 1.41 here) would mount the
// whole volume, so nothing is created and the create is refused naming the
// mount's field; podman's compatible API takes the field and ignores it,
// so it is refused there too.
func TestCreateSubpathByEngineVersion(t *testing.T) {
	spec := &core.ContainerSpec{Image: "img", Name: "perry-sub",
		Mounts: []core.Mount{{Type: "volume", Source: "data", Target: "/x", Subpath: "sub/dir", ReadOnly: true}}}
	for _, tc := range []struct {
		name, runtime, version string
		refused                string
	}{
		{"docker on API 1.48", "docker", "1.48", ""},
		{"docker on API 1.45", "docker", "1.45", ""},
		{"docker on API 1.41", "docker", "1.41", "API version 1.41 is too old"},
		{"docker on API 1.44", "docker", "1.44", "API version 1.44 is too old"},
		{"podman reporting API 1.48", "podman", "1.48", "not supported by podman"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := &requests{}
			b := fakeEngineAt(t, tc.runtime, tc.version, q.handle)
			_, err := b.Create(t.Context(), spec)
			body := q.body("containers/create")
			if tc.refused != "" {
				e := core.AsError(err)
				if err == nil || e.Kind != core.KindInvalidArgument || !strings.Contains(e.Message, "mounts[0].subpath") ||
					!strings.Contains(e.Message, "volumes[].volume.subpath") || !strings.Contains(e.Message, tc.refused) {
					t.Fatalf("got %v, want InvalidArgument naming mounts[0].subpath and %q", err, tc.refused)
				}
				if body != nil {
					t.Fatalf("the container was created: %s", body)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var req struct {
				HostConfig struct {
					Mounts []struct {
						Type, Source, Target string
						ReadOnly             bool
						VolumeOptions        *struct{ Subpath string }
					}
				}
			}
			if err := json.Unmarshal(body, &req); err != nil || len(req.HostConfig.Mounts) != 1 {
				t.Fatalf("request %s: %v", body, err)
			}
			m := req.HostConfig.Mounts[0]
			if m.Type != "volume" || m.Source != "data" || m.Target != "/x" || !m.ReadOnly || m.VolumeOptions == nil || m.VolumeOptions.Subpath != "sub/dir" {
				t.Fatalf("mount %+v in %s", m, body)
			}
		})
	}
}

// Device requests (compose's gpus and reservations.devices) reach the
// Docker engine as HostConfig.DeviceRequests, each request's capabilities
// one set that must all be offered, as docker compose sends them; podman's
// compatible API would answer 201 and run the container without the
// devices, so nothing is created there and the field is named.
func TestCreateDeviceRequests(t *testing.T) {
	spec := &core.ContainerSpec{Image: "img", Name: "perry-gpu", DeviceRequests: []core.DeviceRequest{
		{Count: -1, Capabilities: []string{"gpu"}},
		{Driver: "nvidia", DeviceIDs: []string{"0", "GPU-3"}, Capabilities: []string{"gpu", "utility"}, Options: map[string]string{"a": "1"}},
	}}
	t.Run("docker", func(t *testing.T) {
		q := &requests{}
		b := fakeEngineAt(t, "docker", "1.41", q.handle)
		if _, err := b.Create(t.Context(), spec); err != nil {
			t.Fatal(err)
		}
		var req struct {
			HostConfig struct{ DeviceRequests []container.DeviceRequest }
		}
		if err := json.Unmarshal(q.body("containers/create"), &req); err != nil {
			t.Fatal(err)
		}
		want := []container.DeviceRequest{
			{Count: -1, Capabilities: [][]string{{"gpu"}}},
			{Driver: "nvidia", DeviceIDs: []string{"0", "GPU-3"}, Capabilities: [][]string{{"gpu", "utility"}}, Options: map[string]string{"a": "1"}},
		}
		if !reflect.DeepEqual(req.HostConfig.DeviceRequests, want) {
			t.Fatalf("DeviceRequests = %+v, want %+v", req.HostConfig.DeviceRequests, want)
		}
	})
	t.Run("podman", func(t *testing.T) {
		q := &requests{}
		b := fakeEngineAt(t, "podman", "1.41", q.handle)
		_, err := b.Create(t.Context(), spec)
		if e := core.AsError(err); err == nil || e.Kind != core.KindInvalidArgument || !strings.Contains(e.Message, "device_requests") ||
			!strings.Contains(e.Message, "podman") {
			t.Fatalf("got %v, want InvalidArgument naming device_requests and podman", err)
		}
		if body := q.body("containers/create"); body != nil {
			t.Fatalf("the container was created: %s", body)
		}
	})
}

// A variable removed from the image's environment goes bare to the Docker
// engine, which removes it; podman's compatible API would fill it from its
// service's own environment or keep the image's value, so it is refused
// there, and podman says it cannot (the compose engine then warns).
func TestCreateUnsetEnv(t *testing.T) {
	spec := &core.ContainerSpec{Image: "img", Name: "perry-unset", Env: map[string]string{"A": "1"}, UnsetEnv: []string{"Z", "B"}}
	t.Run("docker", func(t *testing.T) {
		q := &requests{}
		b := fakeEngineAt(t, "docker", "1.41", q.handle)
		if !b.Supports(t.Context(), backend.FeatureUnsetEnv) {
			t.Error("the Docker engine says it cannot remove a variable")
		}
		if _, err := b.Create(t.Context(), spec); err != nil {
			t.Fatal(err)
		}
		var req struct{ Env []string }
		if err := json.Unmarshal(q.body("containers/create"), &req); err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(req.Env, []string{"A=1", "B", "Z"}) {
			t.Fatalf("Env = %q, want A=1 then the bare B and Z", req.Env)
		}
	})
	t.Run("podman", func(t *testing.T) {
		q := &requests{}
		b := fakeEngineAt(t, "podman", "1.41", q.handle)
		if b.Supports(t.Context(), backend.FeatureUnsetEnv) {
			t.Error("podman's compatible API says it can remove a variable")
		}
		_, err := b.Create(t.Context(), spec)
		if e := core.AsError(err); err == nil || e.Kind != core.KindInvalidArgument || !strings.Contains(e.Message, "unset_env") {
			t.Fatalf("got %v, want InvalidArgument naming unset_env", err)
		}
		if body := q.body("containers/create"); body != nil {
			t.Fatalf("the container was created: %s", body)
		}
	})
}
