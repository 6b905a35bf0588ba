package core

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"pgregory.net/rapid"
)

func genStrings(t *rapid.T, label string) []string {
	return rapid.SliceOfN(rapid.StringMatching(`[a-zA-Z0-9 ;$'"/:._-]{0,12}`), 0, 4).Draw(t, label)
}

func genMap(t *rapid.T, label string) map[string]string {
	m := rapid.MapOfN(rapid.StringMatching(`[A-Z][A-Z0-9_]{0,8}`), rapid.String(), 0, 4).Draw(t, label)
	if len(m) == 0 {
		return nil
	}
	return m
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}

func genSpec(t *rapid.T) ContainerSpec {
	return ContainerSpec{
		Image:      rapid.StringMatching(`[a-z0-9]{1,8}(/[a-z0-9]{1,8})?(:[a-z0-9.]{1,6})?`).Draw(t, "image"),
		Name:       rapid.StringMatching(`([a-z][a-z0-9_.-]{0,10})?`).Draw(t, "name"),
		Ports:      nilIfEmpty(genStrings(t, "ports")),
		Volumes:    nilIfEmpty(genStrings(t, "volumes")),
		Env:        genMap(t, "env"),
		Cmd:        nilIfEmpty(genStrings(t, "cmd")),
		Entrypoint: nilIfEmpty(genStrings(t, "entrypoint")),
		Network:    rapid.StringMatching(`[a-z]{0,6}`).Draw(t, "network"),
		Rm:         rapid.Bool().Draw(t, "rm"),
		ReadOnly:   rapid.Bool().Draw(t, "read_only"),
		Seccomp:    rapid.StringMatching(`[a-z/]{0,8}`).Draw(t, "seccomp"),
		Privileged: rapid.Bool().Draw(t, "privileged"),
		User:       rapid.StringMatching(`([0-9]{1,4}(:[0-9]{1,4})?)?`).Draw(t, "user"),
		Workdir:    rapid.StringMatching(`(/[a-z]{1,5}){0,3}`).Draw(t, "workdir"),
		CapAdd:     nilIfEmpty(genStrings(t, "cap_add")),
		CapDrop:    nilIfEmpty(genStrings(t, "cap_drop")),
		Labels:     genMap(t, "labels"),
		Hostname:   rapid.StringMatching(`[a-z]{0,6}`).Draw(t, "hostname"),
		Restart:    rapid.SampledFrom([]string{"", "no", "always", "on-failure:3", "unless-stopped"}).Draw(t, "restart"),
		Memory:     rapid.Int64Range(0, 1<<40).Draw(t, "memory"),
		CPUs:       float64(rapid.IntRange(0, 64).Draw(t, "cpus")) / 4,
		Init:       rapid.Bool().Draw(t, "init"),
	}
}

func roundTrip[T any](t *rapid.T, v T) {
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	var back T
	if err := DecodeStrict("v", data, &back); err != nil {
		t.Fatalf("decode %s: %v", data, err)
	}
	if !reflect.DeepEqual(v, back) {
		t.Fatalf("round trip changed the value:\n in: %#v\nout: %#v\njson: %s", v, back, data)
	}
}

// Feature: perry-container, Property 4: Data Model Serialization Round-Trip
func TestPropertyDataModelRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		roundTrip(t, genSpec(t))
		code := rapid.IntRange(0, 255).Draw(t, "exit")
		roundTrip(t, ContainerInfo{
			ID: rapid.StringMatching(`[0-9a-f]{12}`).Draw(t, "id"), Name: rapid.String().Draw(t, "n"),
			Image: rapid.String().Draw(t, "img"), Status: rapid.String().Draw(t, "status"),
			Ports: genStrings(t, "p"), Created: "2026-11-28T20:00:00Z", State: "exited", ExitCode: &code,
			Labels: genMap(t, "l"),
		})
		roundTrip(t, ContainerLogs{Stdout: rapid.String().Draw(t, "o"), Stderr: rapid.String().Draw(t, "e")})
		roundTrip(t, ImageInfo{ID: "sha256:" + rapid.StringMatching(`[0-9a-f]{8}`).Draw(t, "iid"),
			Repository: rapid.String().Draw(t, "repo"), Tag: rapid.String().Draw(t, "tag"),
			Size: rapid.Int64Min(0).Draw(t, "size"), Created: "2026-01-01T00:00:00Z"})
		roundTrip(t, BackendInfo{Name: rapid.String().Draw(t, "bn"), Available: rapid.Bool().Draw(t, "av"),
			Reason: rapid.String().Draw(t, "r"), Version: rapid.String().Draw(t, "v"),
			Mode:           rapid.SampledFrom([]string{"local", "remote"}).Draw(t, "mode"),
			IsolationLevel: rapid.SampledFrom([]IsolationLevel{IsolationNone, IsolationProcess, IsolationContainer, IsolationMicroVM, IsolationWasm}).Draw(t, "iso")})
		lit := rapid.String().Draw(t, "lit")
		roundTrip(t, WorkloadNode{ID: "a", Name: "a", Image: "img", Runtime: RuntimeSpec{Type: "oci"},
			Policy: PolicySpec{Tier: "hardened", NoNetwork: true},
			Env: map[string]WorkloadEnvValue{
				"LIT": {Literal: &lit},
				"REF": {Ref: &WorkloadRef{NodeID: "db", Projection: "endpoint", Port: "5432"}},
			}})
		roundTrip(t, StackStatus{Services: []ServiceStatus{{Service: "web", State: StateRunning, ContainerID: "abc"}}, Healthy: true})
		roundTrip(t, ServiceGraph{Nodes: []string{"db", "web"}, Edges: []Edge{{From: "web", To: "db"}}})
	})
}

func TestDecodeContainerSpec(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"minimal", `{"image":"busybox"}`, ""},
		{"unknown key is named", `{"image":"busybox","imgae":"x"}`, `unknown key "imgae"`},
		{"image required", `{"name":"x"}`, "image is required"},
		{"wrong type names the key", `{"image":"busybox","env":[1]}`, `key "env": expected a JSON object`},
		{"array instead of object", `[1]`, "expected a JSON object, got a JSON array"},
		{"trailing data", `{"image":"a"} {}`, "unexpected data"},
		{"bad name", `{"image":"a","name":"-x"}`, "name"},
		{"env key with =", `{"image":"a","env":{"A=B":"c"}}`, "env key"},
		{"image with space", `{"image":"a b"}`, "white space"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeContainerSpec("spec", []byte(tc.in))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("error = %v, want it to contain %q", err, tc.wantErr)
			}
			if KindOf(err) != KindInvalidArgument {
				t.Fatalf("kind = %s, want InvalidArgument", KindOf(err))
			}
		})
	}
}

func TestErrorKindsAndCodes(t *testing.T) {
	tests := []struct {
		kind Kind
		code int
	}{
		{KindNotFound, 404}, {KindInvalidArgument, 400}, {KindInvalidConfig, 400},
		{KindVerificationFailed, 403}, {KindPolicyViolation, 403}, {KindDependencyCycle, 422},
		{KindWorkloadRefResolutionFailed, 422}, {KindServiceStartupFailed, 500}, {KindInternal, 500},
		{KindNoBackendFound, 503}, {KindBackendNotAvailable, 503}, {KindTimeout, 504},
	}
	for _, tc := range tests {
		if got := tc.kind.Code(); got != tc.code {
			t.Errorf("%s.Code() = %d, want %d", tc.kind, got, tc.code)
		}
	}
	if e := BackendFailure("docker", nil, 125, "boom"); e.Code() != 125 || e.Details["stderr"] != "boom" {
		t.Errorf("BackendFailure keeps the CLI's exit code and stderr: %+v", e)
	}
	wrapped := Errorf(KindNotFound, "service %q: %w", "web", errors.New("gone"))
	if !errors.Is(wrapped, ErrNotFound) || errors.Is(wrapped, ErrTimeout) {
		t.Errorf("errors.Is must match by kind")
	}
	if KindOf(errors.New("x")) != KindInternal {
		t.Errorf("a foreign error is Internal")
	}
}
