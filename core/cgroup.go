package core

import (
	"fmt"
	"regexp"
	"strings"
)

// cpusetPattern is the cgroup cpuset list syntax: "0", "0-3", "0,2-3".
var cpusetPattern = regexp.MustCompile(`^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$`)

// ValidateCgroup checks the CPU, swap, OOM, group and device fields (part
// of Validate; the compose engine calls it alone to refuse a service before
// anything is created). The runtimes check ranges too, but each in its own
// words and some only when the container starts; these are the checks every
// backend shares, so a bad value fails the same way everywhere.
func (s *ContainerSpec) ValidateCgroup() error {
	for _, f := range []struct {
		key      string
		v, floor int64
	}{
		{"cpu_shares", s.CPUShares, 0},
		{"cpu_period", s.CPUPeriod, 0},
		{"cpu_quota", s.CPUQuota, -1},
		{"memswap_limit", s.MemorySwap, -1},
	} {
		if f.v < f.floor {
			return fmt.Errorf("%s must be ≥ %d, got %d", f.key, f.floor, f.v)
		}
	}
	if s.OomScoreAdj < -1000 || s.OomScoreAdj > 1000 {
		return fmt.Errorf("oom_score_adj must be between -1000 and 1000, got %d", s.OomScoreAdj)
	}
	if s.CPUSet != "" && !cpusetPattern.MatchString(s.CPUSet) {
		return fmt.Errorf("cpuset %q is not a CPU list such as \"0-2,4\"", s.CPUSet)
	}
	for i, g := range s.GroupAdd {
		// A comma or colon would split the group in a CLI's flag value.
		if strings.TrimSpace(g) == "" || strings.ContainsAny(g, ",:") {
			return fmt.Errorf("group_add[%d] %q must be a group name or id", i, g)
		}
	}
	for i, d := range s.Devices {
		if err := d.validate(fmt.Sprintf("devices[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func (d Device) validate(at string) error {
	if strings.Contains(d.Source, "=") && !strings.HasPrefix(d.Source, "/") {
		// "vendor.com/class=name": docker compose asks the engine for a
		// CDI device, which needs Docker Engine 25 or later and which no
		// backend here requests yet.
		return fmt.Errorf("%s.source %q is a CDI device name: CDI devices are not supported", at, d.Source)
	}
	// The CLIs take a device as "source:target:permissions", so a colon in
	// a path could not reach them intact; refusing it keeps every backend alike.
	for _, p := range []struct{ key, v string }{{"source", d.Source}, {"target", d.Target}} {
		if p.v == "" && p.key == "target" {
			continue
		}
		if !strings.HasPrefix(p.v, "/") || strings.ContainsAny(p.v, ":,") {
			return fmt.Errorf("%s.%s %q must be an absolute path without ':' or ','", at, p.key, p.v)
		}
	}
	if d.Permissions != "" && strings.Trim(d.Permissions, "rwm") != "" {
		return fmt.Errorf("%s.permissions %q must be letters of \"rwm\"", at, d.Permissions)
	}
	return nil
}

// WithDefaults is d with its target filled in: the source when empty, as
// every runtime does. Empty permissions are left to the runtime ("rwm"),
// as docker compose leaves them.
func (d Device) WithDefaults() Device {
	if d.Target == "" {
		d.Target = d.Source
	}
	return d
}

// String is the device as the CLIs take it: "source:target[:permissions]".
func (d Device) String() string {
	d = d.WithDefaults()
	s := d.Source + ":" + d.Target
	if d.Permissions != "" {
		s += ":" + d.Permissions
	}
	return s
}
