package core

import (
	"strings"
	"testing"
)

func TestContainerSpecCgroupFields(t *testing.T) {
	for _, tc := range []struct {
		name, spec, want string // want "" when the spec is valid
	}{
		{"all set", `{"image":"x","cpu_shares":512,"cpu_period":100000,"cpu_quota":50000,"cpuset":"0-1,3",` +
			`"memswap_limit":134217728,"oom_score_adj":-500,"group_add":["100","audio"],` +
			`"devices":[{"source":"/dev/null","target":"/dev/perrynull","permissions":"rw"},{"source":"/dev/zero"}]}`, ""},
		{"unlimited swap and quota", `{"image":"x","memswap_limit":-1,"cpu_quota":-1}`, ""},
		{"negative cpu_shares", `{"image":"x","cpu_shares":-2}`, "cpu_shares must be ≥ 0, got -2"},
		{"negative cpu_period", `{"image":"x","cpu_period":-1}`, "cpu_period must be ≥ 0"},
		{"cpu_quota below -1", `{"image":"x","cpu_quota":-2}`, "cpu_quota must be ≥ -1"},
		{"memswap_limit below -1", `{"image":"x","memswap_limit":-3}`, "memswap_limit must be ≥ -1"},
		{"oom_score_adj too high", `{"image":"x","oom_score_adj":1001}`, "oom_score_adj must be between -1000 and 1000, got 1001"},
		{"oom_score_adj too low", `{"image":"x","oom_score_adj":-1001}`, "oom_score_adj must be between"},
		{"cpuset with letters", `{"image":"x","cpuset":"all"}`, `cpuset "all" is not a CPU list`},
		{"cpuset with a trailing comma", `{"image":"x","cpuset":"0,"}`, `cpuset "0," is not a CPU list`},
		{"empty group", `{"image":"x","group_add":[" "]}`, `group_add[0] " " must be a group name or id`},
		{"group with a comma", `{"image":"x","group_add":["a,b"]}`, `group_add[0] "a,b"`},
		{"relative device source", `{"image":"x","devices":[{"source":"dev/null"}]}`, `devices[0].source "dev/null" must be an absolute path`},
		{"a CDI device name", `{"image":"x","devices":[{"source":"vendor.example/gpu=all"}]}`, `devices[0].source "vendor.example/gpu=all" is a CDI device name: CDI devices are not supported`},
		{"device target with a colon", `{"image":"x","devices":[{"source":"/dev/null","target":"/a:b"}]}`, `devices[0].target "/a:b" must be an absolute path without ':'`},
		{"device permissions", `{"image":"x","devices":[{"source":"/dev/null","permissions":"rx"}]}`, `devices[0].permissions "rx" must be letters of "rwm"`},
		{"LF in a device path", `{"image":"x","devices":[{"source":"/dev/nu\nll"}]}`, "devices[0].source contains the control character U+000A"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeContainerSpec("spec", []byte(tc.spec))
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if KindOf(err) != KindInvalidArgument || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want InvalidArgument containing %q", err, tc.want)
			}
		})
	}
}

func TestDeviceString(t *testing.T) {
	for _, tc := range []struct {
		d    Device
		want string
	}{
		{Device{Source: "/dev/null"}, "/dev/null:/dev/null"},
		{Device{Source: "/dev/null", Target: "/dev/n"}, "/dev/null:/dev/n"},
		{Device{Source: "/dev/null", Target: "/dev/n", Permissions: "r"}, "/dev/null:/dev/n:r"},
	} {
		if got := tc.d.String(); got != tc.want {
			t.Errorf("%+v = %q, want %q", tc.d, got, tc.want)
		}
	}
}
