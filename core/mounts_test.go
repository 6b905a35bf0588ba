package core

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// A volume mount's subpath is checked as the Docker engine checks it at
// create: relative, inside the volume, on a named volume mount only.
func TestContainerSpecMountSubpath(t *testing.T) {
	mount := func(m string) string { return `{"image":"x","mounts":[` + m + `]}` }
	decodeCases(t, []decodeCase{
		{"a directory", mount(`{"type":"volume","source":"data","target":"/x","subpath":"sub/dir"}`), ""},
		{"a file, read-only, nocopy", mount(`{"type":"volume","source":"data","target":"/x","subpath":"a.txt","read_only":true,"nocopy":true}`), ""},
		{"'..' that stays inside", mount(`{"type":"volume","source":"data","target":"/x","subpath":"a/../b"}`), ""},
		{"the root itself", mount(`{"type":"volume","source":"data","target":"/x","subpath":"."}`), ""},
		{"a trailing slash", mount(`{"type":"volume","source":"data","target":"/x","subpath":"sub/"}`), ""},
		{"a comma, quote, '=' and space", mount(`{"type":"volume","source":"data","target":"/x","subpath":"a,b/\"c=d e"}`), ""},
		{"an absolute path", mount(`{"type":"volume","source":"data","target":"/x","subpath":"/etc"}`),
			`mounts[0].subpath "/etc" must be a path relative to the volume's root`},
		{"'..' alone", mount(`{"type":"volume","source":"data","target":"/x","subpath":".."}`), `mounts[0].subpath ".." leaves the volume`},
		{"'..' leading out", mount(`{"type":"volume","source":"data","target":"/x","subpath":"../../etc/passwd"}`), `mounts[0].subpath "../../etc/passwd" leaves the volume`},
		{"'..' leading out after a name", mount(`{"type":"volume","source":"data","target":"/x","subpath":"a/../../b"}`), `leaves the volume`},
		{"an anonymous volume", mount(`{"type":"volume","target":"/x","subpath":"a"}`), "mounts[0].subpath needs a named volume"},
		{"a bind mount", mount(`{"type":"volume","source":"data","target":"/y"},{"type":"bind","source":"/h","target":"/x","subpath":"a"}`),
			`mounts[1].subpath applies only to volume mounts, not "bind"`},
		{"a tmpfs mount", mount(`{"type":"tmpfs","target":"/x","subpath":"a"}`), `mounts[0].subpath applies only to volume mounts, not "tmpfs"`},
		{"LF", mount(`{"type":"volume","source":"data","target":"/x","subpath":"a\nb"}`), "mounts[0].subpath contains the control character U+000A"},
		{"DEL", mount(`{"type":"volume","source":"data","target":"/x","subpath":"a\u007f"}`), "mounts[0].subpath contains the control character U+007F"},
		{"NUL", mount(`{"type":"volume","source":"data","target":"/x","subpath":"a\u0000b"}`), "mounts[0].subpath contains NUL"},
	})
}

func TestValidateSubpath(t *testing.T) {
	for _, tc := range []struct {
		path string
		ok   bool
	}{
		{"a", true}, {"a/b/c", true}, {"./a", true}, {"a/..", true}, {"a//b", true}, {"..a", true}, {"a..", true}, {"a/..b", true},
		{"", false}, {"/", false}, {"/a", false}, {"..", false}, {"../a", false}, {"a/../..", false}, {"./../a", false},
	} {
		if err := ValidateSubpath(tc.path); (err == nil) != tc.ok {
			t.Errorf("ValidateSubpath(%q) = %v, want ok %v", tc.path, err, tc.ok)
		}
	}
}

// enable_ipv4 crosses as a tri-state: absent, true or false.
func TestNetworkConfigEnableIPv4(t *testing.T) {
	f, tr := false, true
	for _, tc := range []struct {
		name     string
		cfg      NetworkConfig
		json     string
		disabled bool
	}{
		{"unset", NetworkConfig{}, `{}`, false},
		{"true", NetworkConfig{EnableIPv4: &tr}, `{"enable_ipv4":true}`, false},
		{"false", NetworkConfig{EnableIPv4: &f, EnableIPv6: true}, `{"enable_ipv6":true,"enable_ipv4":false}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := json.Marshal(tc.cfg)
			if err != nil || string(data) != tc.json {
				t.Fatalf("JSON %s %v, want %s", data, err, tc.json)
			}
			if got := tc.cfg.IPv4Disabled(); got != tc.disabled {
				t.Fatalf("IPv4Disabled = %v", got)
			}
			if err := ValidateNetwork("n", tc.cfg); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestParseVolume(t *testing.T) {
	tests := []struct {
		name, in string
		want     VolumeEntry
		bind     bool
		ro       bool
		err      string
	}{
		{name: "anonymous", in: "/data", want: VolumeEntry{Target: "/data"}},
		{name: "named volume", in: "store:/data", want: VolumeEntry{Source: "store", Target: "/data"}},
		{name: "read-only bind", in: "/srv:/data:ro", want: VolumeEntry{Source: "/srv", Target: "/data", Modes: []string{"ro"}}, bind: true, ro: true},
		{name: "relative bind with two modes", in: "./conf:/etc/app:ro,z", want: VolumeEntry{Source: "./conf", Target: "/etc/app", Modes: []string{"ro", "z"}}, bind: true, ro: true},
		{name: "home bind", in: "~/x:/x", want: VolumeEntry{Source: "~/x", Target: "/x"}, bind: true},
		{name: "relative anonymous path", in: "data", err: "absolute container path"},
		{name: "empty source", in: ":/data", err: "empty source"},
		{name: "relative target", in: "store:data", err: "must be absolute"},
		{name: "unknown mode", in: "store:/data:rx", err: `unknown mode "rx"`},
		{name: "too many parts", in: "a:/b:ro:x", err: "expected src:dst[:mode]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseVolume(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseVolume(%q) = %+v, %v; want an error with %q", tt.in, got, err, tt.err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) || got.IsBind() != tt.bind || got.ReadOnly() != tt.ro {
				t.Fatalf("ParseVolume(%q) = %+v (bind %v, ro %v), %v; want %+v (bind %v, ro %v)", tt.in, got, got.IsBind(), got.ReadOnly(), err, tt.want, tt.bind, tt.ro)
			}
		})
	}
}
