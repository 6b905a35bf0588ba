package engine

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

// gpus and deploy.resources.reservations.devices become device requests
// in docker compose's order (reservations first); a gpus entry asks for
// the gpu capability besides its own, "gpus: all" for every GPU. The
// reservations docker compose ignores (cpus, pids, generic resources are
// Swarm's) are warned about, not refused.
func TestConvertDeviceRequests(t *testing.T) {
	p := load(t, `
services:
  web:
    image: busybox
    gpus:
      - driver: nvidia
        device_ids: ["0", "GPU-3"]
        capabilities: [utility]
      - count: 2
        capabilities: [gpu]
    deploy:
      resources:
        reservations:
          cpus: "0.5"
          memory: 64M
          devices:
            - capabilities: [gpu]
            - driver: tpu
              count: 1
              capabilities: [tpu]
              options: {mode: fast}
  all:
    image: busybox
    gpus: all
`)
	e, _ := newEngine(t, newFake(), p)
	m, web := convertedService(t, e, "web")
	want := []core.DeviceRequest{
		{Count: -1, Capabilities: []string{"gpu"}}, // neither count nor device_ids: all
		{Driver: "tpu", Count: 1, Capabilities: []string{"tpu"}, Options: map[string]string{"mode": "fast"}},
		{Driver: "nvidia", DeviceIDs: []string{"0", "GPU-3"}, Capabilities: []string{"utility", "gpu"}},
		{Count: 2, Capabilities: []string{"gpu"}},
	}
	if !reflect.DeepEqual(web.spec.DeviceRequests, want) {
		t.Errorf("DeviceRequests = %+v, want %+v", web.spec.DeviceRequests, want)
	}
	if web.spec.MemoryReserve != 64<<20 {
		t.Errorf("memory reservation = %d", web.spec.MemoryReserve)
	}
	if !slices.ContainsFunc(web.warnings, func(w string) bool { return strings.Contains(w, "reservations.cpus is swarm-only") }) {
		t.Errorf("warnings %q do not say reservations.cpus is ignored", web.warnings)
	}
	all := m.services["all"]
	if all.convErr != nil || !reflect.DeepEqual(all.spec.DeviceRequests, []core.DeviceRequest{{Count: -1, Capabilities: []string{"gpu"}}}) {
		t.Errorf("gpus: all = %+v, %v", all.spec.DeviceRequests, all.convErr)
	}
}

// A changed device request recreates the service's containers: it is part
// of the service's configuration hash.
func TestDeviceRequestsChangeTheConfigHash(t *testing.T) {
	hash := func(yaml string) string {
		t.Helper()
		e, _ := newEngine(t, newFake(), load(t, yaml))
		_, s := convertedService(t, e, "web")
		return s.hash
	}
	one := hash("services:\n  web:\n    image: busybox\n    gpus: [{count: 1}]\n")
	two := hash("services:\n  web:\n    image: busybox\n    gpus: [{count: 2}]\n")
	if one == two {
		t.Error("gpus count 1 and 2 have one hash")
	}
}

// An environment entry without a value, unset where compose runs, is
// removed from what the image sets (docker compose sends it bare); one the
// environment resolves is set. A runtime that cannot remove one gets the
// spec without it, and the user a warning naming it.
func TestEnvironmentWithoutValueIsUnset(t *testing.T) {
	yaml := `
services:
  web:
    image: busybox
    environment: [DEBUG, HOME_DIR, LEVEL=3]
`
	for _, tc := range []struct {
		name       string
		noUnsetEnv bool
		wantUnset  []string
	}{
		{"runtime that removes", false, []string{"DEBUG"}},
		{"runtime that cannot", true, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := &featureBackend{Backend: newFake(), name: "x", noUnsetEnv: tc.noUnsetEnv}
			e, _ := newEngine(t, b, loadEnv(t, yaml, map[string]string{"HOME_DIR": "/h"}))
			_, s := convertedService(t, e, "web")
			if !reflect.DeepEqual(s.spec.Env, map[string]string{"HOME_DIR": "/h", "LEVEL": "3"}) || !slices.Equal(s.spec.UnsetEnv, tc.wantUnset) {
				t.Errorf("env %v unset %q, want unset %q", s.spec.Env, s.spec.UnsetEnv, tc.wantUnset)
			}
			warned := slices.ContainsFunc(s.warnings, func(w string) bool { return strings.Contains(w, "environment DEBUG has no value") })
			if warned != tc.noUnsetEnv {
				t.Errorf("warnings %q", s.warnings)
			}
		})
	}
}
