package core

import (
	"strings"
	"testing"
)

// Regression (tests/fault injection): NUL in any ContainerSpec string was
// passed on to the runtimes (only image, env keys and cmd were checked).
func TestValidateRejectsNULEverywhere(t *testing.T) {
	for _, spec := range []string{
		`{"image":"x","name":"a","env":{"A":"a\u0000b"}}`,
		`{"image":"x","labels":{"k":"\u0000"}}`,
		`{"image":"x","labels":{"\u0000":"v"}}`,
		`{"image":"x","workdir":"/\u0000"}`,
		`{"image":"x","user":"root\u0000"}`,
		`{"image":"x","hostname":"h\u0000"}`,
		`{"image":"x","volumes":["a:/b\u0000"]}`,
		`{"image":"x","healthcheck":{"test":["CMD","a\u0000"]}}`,
		`{"image":"x","mounts":[{"type":"bind","source":"/s","target":"/t\u0000"}]}`,
		`{"image":"x","networks":[{"name":"n","aliases":["a\u0000"]}]}`,
		`{"image":"x","log_opts":{"k":"v\u0000"}}`,
	} {
		_, err := DecodeContainerSpec("spec", []byte(spec))
		if KindOf(err) != KindInvalidArgument || !strings.Contains(err.Error(), "NUL") {
			t.Errorf("%s: %v", spec, err)
		}
	}
	if at, ok := FindNUL(&ContainerSpec{Image: "x", Env: map[string]string{"K": "v\x00"}}); !ok || at != "env[K]" {
		t.Fatalf("path %q %v", at, ok)
	}
}
