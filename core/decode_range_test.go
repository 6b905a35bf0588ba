package core

import (
	"strings"
	"testing"
)

// Numbers that do not fit and negative sizes are InvalidArgument naming the
// key, in words a host can act on.
func TestContainerSpecNumbers(t *testing.T) {
	cases := []struct {
		name, spec, want string
	}{
		{"memory beyond int64", `{"image":"x","memory":1e30}`, `key "memory": must be an integer from -9223372036854775808 to 9223372036854775807, got 1e30`},
		{"fractional memory", `{"image":"x","memory":1.5}`, `key "memory": must be an integer from`},
		{"negative memory", `{"image":"x","memory":-1}`, "memory must not be negative, got -1"},
		{"negative reservation", `{"image":"x","memory_reservation":-5}`, "memory_reservation must not be negative"},
		{"negative shm_size", `{"image":"x","shm_size":-1}`, "shm_size must not be negative"},
		{"negative cpus", `{"image":"x","cpus":-0.5}`, "cpus must not be negative"},
		{"cpus beyond float64", `{"image":"x","cpus":1e400}`, `key "cpus": must be a finite number, got 1e400`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeContainerSpec("spec", []byte(tc.spec))
			if KindOf(err) != KindInvalidArgument || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "spec") {
				t.Fatalf("got %v, want InvalidArgument containing %q", err, tc.want)
			}
			if strings.Contains(err.Error(), "expected a JSON number, got a JSON number") {
				t.Fatalf("unhelpful message: %v", err)
			}
		})
	}
	if _, err := DecodeContainerSpec("spec", []byte(`{"image":"x","memory":0,"pids_limit":-1}`)); err != nil {
		t.Fatalf("zero memory and unlimited pids are valid: %v", err)
	}
}
