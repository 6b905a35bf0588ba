package core

import (
	"strings"
	"testing"
)

func TestValidateResourceAndCallArguments(t *testing.T) {
	okNet := NetworkConfig{Driver: "bridge", Labels: map[string]string{"a": "multi\nline\tvalue"}, IPAM: &IPAM{Config: []IPAMPool{{Subnet: "10.1.0.0/24"}}}}
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
		{"LF in a subnet", ValidateNetwork("front", pools(IPAMPool{Subnet: "10.0.0.0/8\n"})), "network.ipam.config[0].subnet"},
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
		{"an inline Dockerfile of lines", ValidateBuild(BuildSpec{Context: ".", DockerfileInline: "FROM scratch\r\nCOPY a /\n\tRUN x\n",
			Tags: []string{"app:2"}, ExtraHosts: []string{"db:10.0.0.2", "v6:::1"}, ShmSize: 1 << 20}, "app"), ""},
		{"an inline Dockerfile and a file", ValidateBuild(BuildSpec{Context: ".", Dockerfile: "Dockerfile", DockerfileInline: "FROM scratch"}, "app"), "build.dockerfile_inline"},
		{"NUL in an inline Dockerfile", ValidateBuild(BuildSpec{Context: ".", DockerfileInline: "FROM scratch\x00"}, "app"), "build.dockerfile_inline"},
		{"LF in a build tag", ValidateBuild(BuildSpec{Context: ".", Tags: []string{"app:2\n"}}, "app"), "build.tags"},
		{"an extra host without an address", ValidateBuild(BuildSpec{Context: ".", ExtraHosts: []string{"db"}}, "app"), "build.extra_hosts[0]"},
		{"a negative build shm size", ValidateBuild(BuildSpec{Context: ".", ShmSize: -1}, "app"), "build.shm_size"},
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

// pools is a network with these IPAM pools.
func pools(p ...IPAMPool) NetworkConfig { return NetworkConfig{IPAM: &IPAM{Config: p}} }

func TestValidateNetworkIPAM(t *testing.T) {
	full := IPAMPool{Subnet: "10.5.0.0/16", Gateway: "10.5.0.1", IPRange: "10.5.1.0/24", AuxAddresses: map[string]string{"router": "10.5.0.2"}}
	v6 := IPAMPool{Subnet: "fd00:5::/64", Gateway: "fd00:5::1", IPRange: "fd00:5::/80", AuxAddresses: map[string]string{"dns": "fd00:5::53"}}
	for _, tc := range []struct {
		name  string
		cfg   NetworkConfig
		field string // "" when the network is fine
	}{
		{"no IPAM", NetworkConfig{}, ""},
		{"a driver and options without pools", NetworkConfig{IPAM: &IPAM{Driver: "default", Options: map[string]string{"k": "v"}}}, ""},
		{"an IPv4 and an IPv6 pool with every field", pools(full, v6), ""},
		{"a pool with only a subnet", pools(IPAMPool{Subnet: "10.6.0.0/24"}), ""},
		{"a pool without a subnet", pools(IPAMPool{Gateway: "10.5.0.1"}), "network.ipam.config[0].subnet"},
		{"a subnet that is not CIDR", pools(full, IPAMPool{Subnet: "10.6.0.0"}), "network.ipam.config[1].subnet"},
		{"a gateway that is not an IP", pools(IPAMPool{Subnet: "10.5.0.0/16", Gateway: "gw"}), "network.ipam.config[0].gateway"},
		{"a gateway with a zone", pools(IPAMPool{Subnet: "fe80::/64", Gateway: "fe80::1%eth0"}), "network.ipam.config[0].gateway"},
		{"a gateway outside the subnet", pools(IPAMPool{Subnet: "10.5.0.0/16", Gateway: "10.6.0.1"}), "network.ipam.config[0].gateway"},
		{"an IPv6 gateway on an IPv4 subnet", pools(IPAMPool{Subnet: "10.5.0.0/16", Gateway: "fd00::1"}), "network.ipam.config[0].gateway"},
		{"an ip_range that is an address", pools(IPAMPool{Subnet: "10.5.0.0/16", IPRange: "10.5.1.0"}), "network.ipam.config[0].ip_range"},
		{"an ip_range outside the subnet", pools(IPAMPool{Subnet: "10.5.0.0/16", IPRange: "10.6.0.0/24"}), "network.ipam.config[0].ip_range"},
		{"an ip_range wider than the subnet", pools(IPAMPool{Subnet: "10.5.0.0/16", IPRange: "10.0.0.0/8"}), "network.ipam.config[0].ip_range"},
		{"an aux address that is not an IP", pools(IPAMPool{Subnet: "10.5.0.0/16", AuxAddresses: map[string]string{"r": "x"}}), "network.ipam.config[0].aux_addresses[r]"},
		{"an aux address outside the subnet", pools(IPAMPool{Subnet: "10.5.0.0/16", AuxAddresses: map[string]string{"r": "10.9.0.1"}}), "network.ipam.config[0].aux_addresses[r]"},
		{"an aux address without a name", pools(IPAMPool{Subnet: "10.5.0.0/16", AuxAddresses: map[string]string{"": "10.5.0.9"}}), "network.ipam.config[0].aux_addresses"},
		{"LF in a gateway", pools(IPAMPool{Subnet: "10.5.0.0/16", Gateway: "10.5.0.1\n"}), "network.ipam.config[0].gateway"},
		{"tab in an aux address name", pools(IPAMPool{Subnet: "10.5.0.0/16", AuxAddresses: map[string]string{"r\t": "10.5.0.9"}}), "network.ipam.config[0].aux_addresses"},
		{"CR in an IPAM driver", NetworkConfig{IPAM: &IPAM{Driver: "default\r"}}, "network.ipam.driver"},
		{"ESC in an IPAM option value", NetworkConfig{IPAM: &IPAM{Options: map[string]string{"k": "v\x1b"}}}, "network.ipam.options[k]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := ValidateNetwork("front", tc.cfg)
			if tc.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e := AsError(err)
			if err == nil || e.Kind != KindInvalidArgument || !strings.Contains(e.Message, "invalid argument "+tc.field) {
				t.Fatalf("got %v, want InvalidArgument naming %s", err, tc.field)
			}
		})
	}
}
