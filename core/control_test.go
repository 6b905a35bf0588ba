package core

import (
	"strings"
	"testing"
)

// The control-character rule: refused with the field named in paths, names
// and option values; kept in env and label values, cmd, entrypoint and the
// healthcheck test.
func TestValidateControlCharacters(t *testing.T) {
	refused := []struct {
		name  string
		spec  ContainerSpec
		field string
	}{
		{"CR LF in a bind mount target", ContainerSpec{Mounts: []Mount{{Type: "bind", Source: "/s", Target: "\r\n"}}}, "mounts[0].target"},
		{"LF in a volume mount source", ContainerSpec{Mounts: []Mount{{Type: "volume", Source: "v\n", Target: "/t"}}}, "mounts[0].source"},
		{"tab in a short volume", ContainerSpec{Volumes: []string{"/a:/b\t"}}, "volumes[0]"},
		{"LF in tmpfs", ContainerSpec{Tmpfs: []string{"/run\n"}}, "tmpfs[0]"},
		{"DEL in workdir", ContainerSpec{Workdir: "/w\x7f"}, "workdir"},
		{"ESC in seccomp", ContainerSpec{Seccomp: "/p\x1b.json"}, "seccomp"},
		{"CR in an env key", ContainerSpec{Env: map[string]string{"A\r": "v"}}, "env (a key)"},
		{"LF in a label key", ContainerSpec{Labels: map[string]string{"k\n": "v"}}, "labels (a key)"},
		{"LF in a sysctl value", ContainerSpec{Sysctls: map[string]string{"net.x": "1\n"}}, "sysctls[net.x]"},
		{"LF in a log option", ContainerSpec{LogOpts: map[string]string{"tag": "a\nb"}}, "log_opts[tag]"},
		{"CR in a network alias", ContainerSpec{Networks: []NetworkAttach{{Name: "n", Aliases: []string{"a\r"}}}}, "networks[0].aliases[0]"},
		{"tab in user", ContainerSpec{User: "1000\t"}, "user"},
		{"LF in a healthcheck interval", ContainerSpec{Healthcheck: &Healthcheck{Test: []string{"NONE"}, Interval: "1s\n"}}, "healthcheck.interval"},
		{"NUL in an env value", ContainerSpec{Env: map[string]string{"K": "a\x00"}}, "env[K]"},
		{"CR in an env value", ContainerSpec{Env: map[string]string{"K": "a\r\nb"}}, "env[K]"},
		{"CR in a label value", ContainerSpec{Labels: map[string]string{"k": "a\rb"}}, "labels[k]"},
		{"BEL in the image", ContainerSpec{Image: "img\a"}, "image"},
		{"LF in a security option", ContainerSpec{SecurityOpt: []string{"label=x\n"}}, "security_opt[0]"},
		{"LF in a seccomp file path", ContainerSpec{SecurityOpt: []string{"seccomp=/p\n.json"}}, "security_opt[0]"},
		{"ESC in an inline seccomp profile", ContainerSpec{SecurityOpt: []string{"seccomp={\n\x1b}"}}, "security_opt[0]"},
	}
	for _, tt := range refused {
		t.Run(tt.name, func(t *testing.T) {
			if tt.spec.Image == "" {
				tt.spec.Image = "x"
			}
			err := tt.spec.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.field) {
				t.Fatalf("Validate = %v, want an error naming %s", err, tt.field)
			}
		})
	}
	kept := ContainerSpec{
		Image:       "x",
		Env:         map[string]string{"K": "line1\nline2\ttab\x1b[0m\x7f"},
		Labels:      map[string]string{"k": "a\nb\tc\x1b"},
		Cmd:         []string{"sh", "-c", "echo a\n\techo b"},
		Entrypoint:  []string{"/bin/sh\t"},
		Healthcheck: &Healthcheck{Test: []string{"CMD-SHELL", "test -f /a &&\n\ttest -f /b"}},
		// a pretty-printed inline profile: JSON whitespace, as the API backend takes it
		SecurityOpt: []string{"seccomp={\r\n\t\"defaultAction\": \"SCMP_ACT_ALLOW\"\n}", "seccomp:{\n}"},
	}
	if err := kept.Validate(); err != nil {
		t.Errorf("control characters in free text were refused: %v", err)
	}
}

func TestInlineSeccomp(t *testing.T) {
	tests := []struct {
		name, opt, doc string
		ok             bool
	}{
		{"inline", `seccomp={"a":1}`, `{"a":1}`, true},
		{"deprecated colon", `seccomp:{"a":"b=c"}`, `{"a":"b=c"}`, true},
		{"leading space", "seccomp= \n{}", " \n{}", true},
		{"a file", "seccomp=/etc/p.json", "", false},
		{"unconfined", "seccomp=unconfined", "", false},
		{"another option", `label={"a":1}`, "", false},
		{"no value", "seccomp", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, ok := InlineSeccomp(tt.opt)
			if ok != tt.ok || (ok && doc != tt.doc) {
				t.Errorf("InlineSeccomp(%q) = %q, %v; want %q, %v", tt.opt, doc, ok, tt.doc, tt.ok)
			}
		})
	}
}
