package core

import (
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// The checks every backend makes on the arguments of CreateNetwork,
// CreateVolume and Build, so that bad input fails the same way, with an
// InvalidArgument naming the field, whichever runtime would have received
// it. They apply the control-character rule of control.go: names, paths,
// drivers, option keys and values, label keys refuse C0 controls and DEL;
// label and build-arg values refuse only NUL and CR (they reach the
// runtimes byte for byte, except CR, which podman's and nerdctl's CLIs
// rewrite).

// ValidateNetwork checks a network to create.
func ValidateNetwork(name string, cfg NetworkConfig) error {
	if err := validateResourceName(name); err != nil {
		return err
	}
	c := cfg
	c.Labels = keysOnly(cfg.Labels)
	if err := checkText(&c, "network."); err != nil {
		return err
	}
	if err := checkValues("network.labels", cfg.Labels); err != nil {
		return err
	}
	return validateIPAM(cfg.IPAM)
}

// validateIPAM checks each pool's addresses parse and lie within its
// subnet: every runtime requires it, and the docker CLI matches a gateway,
// range or aux address to its pool by that containment.
func validateIPAM(ipam *IPAM) error {
	if ipam == nil {
		return nil
	}
	for i, pool := range ipam.Config {
		if _, err := pool.Parse(fmt.Sprintf("network.ipam.config[%d].", i)); err != nil {
			return err
		}
	}
	return nil
}

// ParsedPool is an IPAMPool's addresses, parsed; a zero Gateway or IPRange
// is one the pool does not set.
type ParsedPool struct {
	Subnet       netip.Prefix
	Gateway      netip.Addr
	IPRange      netip.Prefix
	AuxAddresses map[string]netip.Addr // nil without any
}

// Parse parses the pool's addresses and checks they lie within its subnet;
// errors are InvalidArgument naming the field under at ("network.ipam.config[0].").
// It is ValidateNetwork's check, and what a backend that sends parsed
// addresses (the Engine API) builds its request from.
func (pool IPAMPool) Parse(at string) (ParsedPool, error) {
	var out ParsedPool
	if pool.Subnet == "" {
		return out, InvalidArgument(at+"subnet", "is required")
	}
	subnet, err := netip.ParsePrefix(pool.Subnet)
	if err != nil {
		return out, InvalidArgument(at+"subnet", "%q is not a CIDR subnet", pool.Subnet)
	}
	out.Subnet = subnet
	inSubnet := func(field, what, v string, a netip.Addr) error {
		if !subnet.Contains(a) {
			return InvalidArgument(at+field, "%s %s is not in the pool's subnet %s", what, v, pool.Subnet)
		}
		return nil
	}
	if pool.Gateway != "" {
		a, err := parseIP(pool.Gateway)
		if err != nil {
			return out, InvalidArgument(at+"gateway", "%q is not an IP address", pool.Gateway)
		}
		if err := inSubnet("gateway", "the gateway", pool.Gateway, a); err != nil {
			return out, err
		}
		out.Gateway = a
	}
	if pool.IPRange != "" {
		r, err := netip.ParsePrefix(pool.IPRange)
		if err != nil {
			return out, InvalidArgument(at+"ip_range", "%q is not a CIDR range", pool.IPRange)
		}
		if r.Bits() < subnet.Bits() {
			return out, InvalidArgument(at+"ip_range", "the range %s is wider than the pool's subnet %s", pool.IPRange, pool.Subnet)
		}
		if err := inSubnet("ip_range", "the range", pool.IPRange, r.Addr()); err != nil {
			return out, err
		}
		out.IPRange = r
	}
	for _, name := range slices.Sorted(maps.Keys(pool.AuxAddresses)) {
		v := pool.AuxAddresses[name]
		field := at + "aux_addresses[" + name + "]"
		if name == "" {
			return out, InvalidArgument(at+"aux_addresses", "a name is empty")
		}
		a, err := parseIP(v)
		if err != nil {
			return out, InvalidArgument(field, "%q is not an IP address", v)
		}
		if err := inSubnet(field[len(at):], "the address", v, a); err != nil {
			return out, err
		}
		if out.AuxAddresses == nil {
			out.AuxAddresses = map[string]netip.Addr{}
		}
		out.AuxAddresses[name] = a
	}
	return out, nil
}

// parseIP parses a plain IP address: a zone (fe80::1%eth0) names a host's
// interface, which no network pool can carry.
func parseIP(s string) (netip.Addr, error) {
	a, err := netip.ParseAddr(s)
	if err == nil && a.Zone() != "" {
		err = fmt.Errorf("%q has a zone", s)
	}
	return a, err
}

// ValidateVolume checks a volume to create.
func ValidateVolume(name string, cfg VolumeConfig) error {
	if err := validateResourceName(name); err != nil {
		return err
	}
	c := cfg
	c.Labels = keysOnly(cfg.Labels)
	if err := checkText(&c, "volume."); err != nil {
		return err
	}
	return checkValues("volume.labels", cfg.Labels)
}

// ValidateBuild checks a build and the image it tags.
func ValidateBuild(spec BuildSpec, image string) error {
	if spec.Context == "" {
		return InvalidArgument("build.context", "is required")
	}
	if strings.TrimSpace(image) == "" {
		return InvalidArgument("image", "is required")
	}
	if strings.ContainsFunc(image, func(r rune) bool { return r == ' ' || IsControl(r) }) {
		return InvalidArgument("image", "%q contains white space or a control character", image)
	}
	c := spec
	c.Args, c.Labels = keysOnly(spec.Args), keysOnly(spec.Labels)
	c.DockerfileInline = "" // a text of lines
	if err := checkText(&c, "build."); err != nil {
		return err
	}
	if spec.DockerfileInline != "" {
		if spec.Dockerfile != "" {
			return InvalidArgument("build.dockerfile_inline", "cannot be set with build.dockerfile")
		}
		if strings.IndexByte(spec.DockerfileInline, 0) >= 0 {
			return InvalidArgument("build.dockerfile_inline", "contains NUL")
		}
	}
	if spec.ShmSize < 0 {
		return InvalidArgument("build.shm_size", "must not be negative, got %d", spec.ShmSize)
	}
	for i, h := range spec.ExtraHosts {
		if name, ip, ok := strings.Cut(h, ":"); !ok || name == "" || ip == "" {
			return InvalidArgument(fmt.Sprintf("build.extra_hosts[%d]", i), "%q must be host:ip", h)
		}
	}
	if err := checkValues("build.args", spec.Args); err != nil {
		return err
	}
	return checkValues("build.labels", spec.Labels)
}

// ValidateExec checks what an exec runs: the command may carry anything but
// NUL (it is argv), env keys are names and env values refuse NUL and CR as
// a container's do, workdir and user are a path and a name.
func ValidateExec(cmd []string, env map[string]string, workdir, user string) error {
	if len(cmd) == 0 {
		return InvalidArgument("cmd", "is empty")
	}
	for i, a := range cmd {
		if strings.IndexByte(a, 0) >= 0 {
			return InvalidArgument("cmd", "argument %d contains NUL", i)
		}
	}
	for k := range env {
		if err := ValidateEnvKey(k); err != nil {
			return err
		}
	}
	if err := checkValues("env", env); err != nil {
		return err
	}
	for _, f := range [][2]string{{"workdir", workdir}, {"user", user}} {
		if i := strings.IndexFunc(f[1], IsControl); i >= 0 {
			return InvalidArgument(f[0], "%v", controlError(f[0], rune(f[1][i])))
		}
	}
	return nil
}

// ValidateEnvKey checks the name of an exec's environment variable.
func ValidateEnvKey(k string) error {
	if k == "" || strings.ContainsRune(k, '=') {
		return InvalidArgument("env", "key %q is empty or contains '='", k)
	}
	if i := strings.IndexFunc(k, IsControl); i >= 0 {
		return InvalidArgument("env", "%v", controlError("env key "+strconv.Quote(k), rune(k[i])))
	}
	return nil
}

// validateResourceName checks a network's or volume's name.
func validateResourceName(name string) error {
	if strings.TrimSpace(name) == "" {
		return InvalidArgument("name", "is required")
	}
	if i := strings.IndexFunc(name, IsControl); i >= 0 {
		return InvalidArgument("name", "%v", controlError("name "+strconv.Quote(name), rune(name[i])))
	}
	return nil
}

// checkText applies the control-character rule to every string of v.
func checkText(v any, prefix string) error {
	var hit rune
	at, ok := findString(v, func(s string) bool {
		i := strings.IndexFunc(s, IsControl)
		if i >= 0 {
			hit = rune(s[i])
		}
		return i >= 0
	})
	if !ok {
		return nil
	}
	field := prefix + at
	return InvalidArgument(field, "%v", controlError(field, hit))
}

// checkValues refuses NUL and CR in free-text values (labels, env, build
// args): see control.go.
func checkValues(field string, m map[string]string) error {
	for k, v := range m {
		if i := strings.IndexAny(v, "\x00\r"); i >= 0 {
			at := field + "[" + k + "]"
			return InvalidArgument(at, "%v", controlError(at, rune(v[i])))
		}
	}
	return nil
}
