package core

import (
	"strings"
	"testing"
)

func TestContainerSpecCgroupFields(t *testing.T) {
	decodeCases(t, []decodeCase{
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
	})
}

func TestContainerSpecUnsetEnv(t *testing.T) {
	decodeCases(t, []decodeCase{
		{"unset beside set", `{"image":"x","env":{"A":"1"},"unset_env":["B"]}`, ""},
		{"an empty key", `{"image":"x","unset_env":[""]}`, `unset_env key "" is empty`},
		{"a key with '='", `{"image":"x","unset_env":["A=1"]}`, `unset_env key "A=1" is empty or contains '='`},
		{"set and unset", `{"image":"x","env":{"A":"1"},"unset_env":["A"]}`, `unset_env "A" is also set in env`},
	})
}

func TestContainerSpecDeviceRequests(t *testing.T) {
	decodeCases(t, []decodeCase{
		{"all GPUs", `{"image":"x","device_requests":[{"count":-1,"capabilities":["gpu"]}]}`, ""},
		{"by id, with a driver and options", `{"image":"x","device_requests":[{"driver":"nvidia","device_ids":["0","GPU-3"],` +
			`"capabilities":["gpu","utility"],"options":{"a":"1"}}]}`, ""},
		{"count below -1", `{"image":"x","device_requests":[{"count":-2}]}`, "device_requests[0].count must be -1 (all) or ≥ 0, got -2"},
		{"count with ids", `{"image":"x","device_requests":[{"count":1},{"count":2,"device_ids":["0"]}]}`, "device_requests[1]: count and device_ids are exclusive"},
		{"all with ids", `{"image":"x","device_requests":[{"count":-1,"device_ids":["0"]}]}`, "count and device_ids are exclusive"},
		{"a capability with a comma", `{"image":"x","device_requests":[{"capabilities":["gpu,utility"]}]}`, `device_requests[0].capabilities[0] "gpu,utility" must be a word`},
		{"an empty device id", `{"image":"x","device_requests":[{"device_ids":[" "]}]}`, `device_requests[0].device_ids[0] " " must be a word`},
		{"a driver with an equals sign", `{"image":"x","device_requests":[{"driver":"a=b"}]}`, `device_requests[0].driver "a=b" must not contain`},
		{"an option with a comma", `{"image":"x","device_requests":[{"options":{"a":"1,2"}}]}`, `device_requests[0].options "a"="1,2"`},
	})
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

func TestContainerSpecMoreServiceFields(t *testing.T) {
	decodeCases(t, []decodeCase{
		{"all set", `{"image":"x","mem_swappiness":60,"oom_kill_disable":true,"cgroup":"private","runtime":"runc",` +
			`"userns_mode":"host","mac_address":"92:d0:c6:0a:29:33","storage_opt":{"size":"1G"},"annotations":{"a.b/c":"x=y,z"},` +
			`"blkio_config":{"weight":300,"weight_device":[{"path":"/dev/sda","weight":10}],` +
			`"device_read_bps":[{"path":"/dev/sda","rate":1048576}],"device_read_iops":[{"path":"/dev/sda","rate":0}],` +
			`"device_write_bps":[{"path":"/dev/sdb","rate":1}],"device_write_iops":[{"path":"/dev/sdb","rate":100}]}}`, ""},
		{"swappiness 0 is a value", `{"image":"x","mem_swappiness":0}`, ""},
		{"swappiness 100", `{"image":"x","mem_swappiness":100}`, ""},
		{"cgroup host", `{"image":"x","cgroup":"host"}`, ""},
		{"a MAC address with dashes", `{"image":"x","mac_address":"92-D0-C6-0A-29-33"}`, ""},
		{"a MAC address on a user network", `{"image":"x","network":"front","mac_address":"92:d0:c6:0a:29:33"}`, ""},
		{"an empty blkio_config", `{"image":"x","blkio_config":{}}`, ""},
		{"swappiness above 100", `{"image":"x","mem_swappiness":101}`, "mem_swappiness must be between 0 and 100, got 101"},
		{"negative swappiness", `{"image":"x","mem_swappiness":-1}`, "mem_swappiness must be between 0 and 100, got -1"},
		{"cgroup neither host nor private", `{"image":"x","cgroup":"shared"}`, `cgroup "shared" must be host or private`},
		{"a MAC address that does not parse", `{"image":"x","mac_address":"92:d0:c6"}`, `mac_address "92:d0:c6" is not a MAC address`},
		{"a 64-bit MAC address", `{"image":"x","mac_address":"02:00:5e:10:00:00:00:01"}`, `mac_address "02:00:5e:10:00:00:00:01" is not a MAC address`},
		{"a MAC address with network host", `{"image":"x","network":"host","mac_address":"92:d0:c6:0a:29:33"}`, `mac_address cannot be set with network mode "host"`},
		{"a MAC address with host as the first of the networks", `{"image":"x","networks":[{"name":"host"}],"mac_address":"92:d0:c6:0a:29:33"}`, `network mode "host"`},
		{"a MAC address with another container's network", `{"image":"x","network":"container:db","mac_address":"92:d0:c6:0a:29:33"}`, `network mode "container:db"`},
		{"blkio weight below 10", `{"image":"x","blkio_config":{"weight":5}}`, "blkio_config.weight must be between 10 and 1000, got 5"},
		{"blkio weight above 1000", `{"image":"x","blkio_config":{"weight":1001}}`, "blkio_config.weight must be between 10 and 1000, got 1001"},
		{"blkio weight beyond uint16", `{"image":"x","blkio_config":{"weight":70000}}`, `"blkio_config.weight": must be an integer from 0 to 65535`},
		{"a device weight of 0", `{"image":"x","blkio_config":{"weight_device":[{"path":"/dev/sda","weight":0}]}}`,
			"blkio_config.weight_device[0].weight must be between 10 and 1000, got 0"},
		{"a relative device path", `{"image":"x","blkio_config":{"weight_device":[{"path":"dev/sda","weight":10}]}}`,
			`blkio_config.weight_device[0].path "dev/sda" must be an absolute path without ':' or ','`},
		{"a device path with a colon", `{"image":"x","blkio_config":{"device_read_bps":[{"path":"/dev/a:b","rate":1}]}}`,
			`blkio_config.device_read_bps[0].path "/dev/a:b" must be an absolute path`},
		{"a device path with a comma", `{"image":"x","blkio_config":{"device_write_iops":[{"path":"/dev/sda","rate":1},{"path":"/dev/a,b","rate":1}]}}`,
			`blkio_config.device_write_iops[1].path "/dev/a,b"`},
		{"a negative rate", `{"image":"x","blkio_config":{"device_write_bps":[{"path":"/dev/sda","rate":-1}]}}`,
			"blkio_config.device_write_bps[0].rate must be ≥ 0, got -1"},
		{"a negative iops rate", `{"image":"x","blkio_config":{"device_read_iops":[{"path":"/dev/sda","rate":-5}]}}`,
			"blkio_config.device_read_iops[0].rate must be ≥ 0, got -5"},
		{"LF in a blkio path", `{"image":"x","blkio_config":{"device_read_bps":[{"path":"/dev/s\nda","rate":1}]}}`,
			"blkio_config.device_read_bps[0].path contains the control character U+000A"},
		{"an empty storage_opt key", `{"image":"x","storage_opt":{"":"1G"}}`, `storage_opt key "" is empty or contains '='`},
		{"an annotation key with '='", `{"image":"x","annotations":{"a=b":"c"}}`, `annotations key "a=b" is empty or contains '='`},
		{"NUL in an annotation", `{"image":"x","annotations":{"a":"b\u0000"}}`, "annotations[a] contains NUL"},
	})
}

// Swappiness 0 is a value (the kernel swaps as little as it can), not the
// absence of one: it survives the JSON round trip.
func TestMemSwappinessZeroIsKept(t *testing.T) {
	spec, err := DecodeContainerSpec("spec", []byte(`{"image":"x","mem_swappiness":0}`))
	if err != nil {
		t.Fatal(err)
	}
	if spec.MemSwappiness == nil || *spec.MemSwappiness != 0 {
		t.Fatalf("mem_swappiness = %v, want 0", spec.MemSwappiness)
	}
	unset, err := DecodeContainerSpec("spec", []byte(`{"image":"x"}`))
	if err != nil || unset.MemSwappiness != nil {
		t.Fatalf("unset mem_swappiness = %v, %v; want nil", unset.MemSwappiness, err)
	}
}

func TestSpecMAC(t *testing.T) {
	for in, want := range map[string]string{
		"":                  "",
		"92:D0:C6:0A:29:33": "92:d0:c6:0a:29:33",
		"92-d0-c6-0a-29-33": "92:d0:c6:0a:29:33",
		"92d0.c60a.2933":    "92:d0:c6:0a:29:33",
		"nope":              "",
	} {
		s := ContainerSpec{MacAddress: in}
		if got := s.MAC().String(); got != want {
			t.Errorf("MAC(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestBlkioDeviceStrings(t *testing.T) {
	if got := (WeightDevice{Path: "/dev/sda", Weight: 300}).String(); got != "/dev/sda:300" {
		t.Errorf("weight device = %q", got)
	}
	if got := (ThrottleDevice{Path: "/dev/sda", Rate: 1 << 20}).String(); got != "/dev/sda:1048576" {
		t.Errorf("throttle device = %q", got)
	}
	b := &Blkio{DeviceReadBps: []ThrottleDevice{{"/a", 1}}, DeviceReadIOps: []ThrottleDevice{{"/b", 2}},
		DeviceWriteBps: []ThrottleDevice{{"/c", 3}}, DeviceWriteIOps: []ThrottleDevice{{"/d", 4}}}
	var keys []string
	for _, th := range b.Throttles() {
		keys = append(keys, th.Key+"="+th.Devices[0].String())
	}
	if got := strings.Join(keys, " "); got != "device_read_bps=/a:1 device_read_iops=/b:2 device_write_bps=/c:3 device_write_iops=/d:4" {
		t.Errorf("throttles = %s", got)
	}
}

func TestMergeAliasesKeepsOrderOnce(t *testing.T) {
	got := MergeAliases([]string{"p-web-1", "web"}, []string{"p-web-1", "web", "www"}, nil)
	if strings.Join(got, ",") != "p-web-1,web,www" {
		t.Fatalf("MergeAliases = %q", got)
	}
	if MergeAliases() != nil {
		t.Fatal("no aliases is nil")
	}
}

func TestContainerSpecVolumesFrom(t *testing.T) {
	decodeCases(t, []decodeCase{
		{"a name", `{"image":"x","volumes_from":["proj-data-1"]}`, ""},
		{"read-only and read-write", `{"image":"x","volumes_from":["proj-data-1:ro","other:rw"]}`, ""},
		{"an id", `{"image":"x","volumes_from":["4f0c2d9e1a7b"]}`, ""},
		{"an empty entry", `{"image":"x","volumes_from":[""]}`, `volumes_from[0] "": the container name is empty`},
		{"a mode alone", `{"image":"x","volumes_from":[":ro"]}`, `volumes_from[0] ":ro": the container name is empty`},
		{"another mode", `{"image":"x","volumes_from":["a","b:z"]}`, `volumes_from[1] "b:z": the mode "z" must be ro or rw`},
		{"an empty mode", `{"image":"x","volumes_from":["a:"]}`, `volumes_from[0] "a:": the mode "" must be ro or rw`},
		{"two modes", `{"image":"x","volumes_from":["a:ro:rw"]}`, `the mode "ro:rw" must be ro or rw`},
		// A compose reference the engine resolves before any backend sees it.
		{"an unresolved container: reference", `{"image":"x","volumes_from":["container:db"]}`, `the mode "db" must be ro or rw`},
		{"a name no runtime takes", `{"image":"x","volumes_from":["-data"]}`, `"-data" is not a container name or id`},
		{"a space", `{"image":"x","volumes_from":["my data"]}`, `"my data" is not a container name or id`},
		{"NUL", `{"image":"x","volumes_from":["a\u0000b"]}`, "volumes_from[0] contains NUL"},
		{"LF", `{"image":"x","volumes_from":["a\nb"]}`, "volumes_from[0] contains the control character U+000A"},
		{"DEL in the mode", `{"image":"x","volumes_from":["a:r\u007fo"]}`, "volumes_from[0] contains the control character U+007F"},
	})
}

// decodeCase is a spec as JSON and the InvalidArgument message part its
// decoding must give ("" when the spec is valid).
type decodeCase struct{ name, spec, want string }

func decodeCases(t *testing.T, cases []decodeCase) {
	for _, tc := range cases {
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
