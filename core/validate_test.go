package core

import (
	"strings"
	"testing"
)

func TestValidateResourceAndCallArguments(t *testing.T) {
	okNet := NetworkConfig{Driver: "bridge", Labels: map[string]string{"a": "multi\nline\tvalue"}, Subnets: []string{"10.1.0.0/24"}}
	okVol := VolumeConfig{Driver: "local", Labels: map[string]string{"a": "x\ny"}, Options: map[string]string{"o": "bind"}}
	okBuild := BuildSpec{Context: ".", Args: map[string]string{"A": "line 1\nline 2\t!"}, Target: "final"}
	for _, tc := range []struct {
		name  string
		err   error
		field string // "" when the arguments are fine
	}{
		{"a clean network", ValidateNetwork("front", okNet), ""},
		{"a network without a name", ValidateNetwork(" ", okNet), "name"},
		{"LF in a network name", ValidateNetwork("front\n", okNet), "name"},
		{"DEL in a network driver", ValidateNetwork("front", NetworkConfig{Driver: "bridge\x7f"}), "network.driver"},
		{"CR in a network label key", ValidateNetwork("front", NetworkConfig{Labels: map[string]string{"k\r": "v"}}), "network.labels"},
		{"CR in a network label value", ValidateNetwork("front", NetworkConfig{Labels: map[string]string{"k": "a\rb"}}), "network.labels[k]"},
		{"NUL in a network label value", ValidateNetwork("front", NetworkConfig{Labels: map[string]string{"k": "a\x00"}}), "network.labels[k]"},
		{"tab in a network option value", ValidateNetwork("front", NetworkConfig{Options: map[string]string{"mtu": "1500\t"}}), "network.options[mtu]"},
		{"LF in a subnet", ValidateNetwork("front", NetworkConfig{Subnets: []string{"10.0.0.0/8\n"}}), "network.subnets[0]"},
		{"a clean volume", ValidateVolume("data", okVol), ""},
		{"ESC in a volume name", ValidateVolume("data\x1b", okVol), "name"},
		{"LF in a volume option key", ValidateVolume("data", VolumeConfig{Options: map[string]string{"o\n": "x"}}), "volume.options"},
		{"CR in a volume label value", ValidateVolume("data", VolumeConfig{Labels: map[string]string{"k": "\r"}}), "volume.labels[k]"},
		{"a clean build", ValidateBuild(okBuild, "app:1"), ""},
		{"a build without a context", ValidateBuild(BuildSpec{}, "app:1"), "build.context"},
		{"a build without an image", ValidateBuild(okBuild, ""), "image"},
		{"LF in a build's image", ValidateBuild(okBuild, "app:1\n"), "image"},
		{"tab in a Dockerfile path", ValidateBuild(BuildSpec{Context: ".", Dockerfile: "Dockerfile\t"}, "app"), "build.dockerfile"},
		{"CR in a build arg value", ValidateBuild(BuildSpec{Context: ".", Args: map[string]string{"A": "x\r"}}, "app"), "build.args[A]"},
		{"LF in a build arg key", ValidateBuild(BuildSpec{Context: ".", Args: map[string]string{"A\n": "x"}}, "app"), "build.args"},
		{"a clean exec", ValidateExec([]string{"sh", "-c", "echo 'a\nb'\t"}, map[string]string{"K": "v\nw"}, "/tmp", "1000:1000"), ""},
		{"an empty exec", ValidateExec(nil, nil, "", ""), "cmd"},
		{"NUL in an exec argument", ValidateExec([]string{"echo", "a\x00"}, nil, "", ""), "cmd"},
		{"an exec env key with =", ValidateExec([]string{"true"}, map[string]string{"A=B": "v"}, "", ""), "env"},
		{"CR in an exec env key", ValidateExec([]string{"true"}, map[string]string{"A\r": "v"}, "", ""), "env"},
		{"CR in an exec env value", ValidateExec([]string{"true"}, map[string]string{"A": "v\r\n"}, "", ""), "env[A]"},
		{"LF in an exec workdir", ValidateExec([]string{"true"}, nil, "/tmp\n", ""), "workdir"},
		{"tab in an exec user", ValidateExec([]string{"true"}, nil, "", "root\t"), "user"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.field == "" {
				if tc.err != nil {
					t.Fatalf("refused: %v", tc.err)
				}
				return
			}
			e := AsError(tc.err)
			if tc.err == nil || e.Kind != KindInvalidArgument || !strings.Contains(e.Message, "invalid argument "+tc.field) {
				t.Fatalf("got %v, want InvalidArgument naming %s", tc.err, tc.field)
			}
		})
	}
}
