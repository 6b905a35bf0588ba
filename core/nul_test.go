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
	for _, tt := range []struct {
		spec ContainerSpec
		want string
	}{
		{ContainerSpec{Image: "x", Env: map[string]string{"K": "v\x00"}}, "env[K]"},
		{ContainerSpec{Image: "x", Labels: map[string]string{"\x00": "v"}}, "labels (a key)"},
		{ContainerSpec{Image: "x", Cmd: []string{"ok", "a\x00"}}, "cmd[1]"},
		{ContainerSpec{Image: "x", Healthcheck: &Healthcheck{Test: []string{"CMD", "a\x00"}}}, "healthcheck.test[1]"},
		{ContainerSpec{Image: "\x00"}, "image"},
	} {
		if at, ok := FindNUL(&tt.spec); !ok || at != tt.want {
			t.Errorf("path %q %v, want %q", at, ok, tt.want)
		}
	}
}
