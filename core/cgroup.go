package core

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// cpusetPattern is the cgroup cpuset list syntax: "0", "0-3", "0,2-3".
var cpusetPattern = regexp.MustCompile(`^[0-9]+(-[0-9]+)?(,[0-9]+(-[0-9]+)?)*$`)

// ValidateCgroup checks the CPU, swap, OOM, group, device, swappiness,
// cgroup namespace and block IO fields (part of Validate; the compose
// engine calls it, with ValidateHostOptions, to refuse a service before
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
	for i, r := range s.DeviceRequests {
		if err := r.validate(fmt.Sprintf("device_requests[%d]", i)); err != nil {
			return err
		}
	}
	if p := s.MemSwappiness; p != nil && (*p < 0 || *p > 100) {
		return fmt.Errorf("mem_swappiness must be between 0 and 100, got %d", *p)
	}
	switch s.Cgroup {
	case "", "host", "private":
	default:
		return fmt.Errorf("cgroup %q must be host or private", s.Cgroup)
	}
	if s.Blkio != nil {
		return s.Blkio.validate()
	}
	return nil
}

// validate checks what the engines would otherwise refuse only when the
// container starts (count and device_ids together), and words the CLIs
// could not carry: their --gpus flag is a comma-separated list.
func (r DeviceRequest) validate(at string) error {
	if r.Count < -1 {
		return fmt.Errorf("%s.count must be -1 (all) or ≥ 0, got %d", at, r.Count)
	}
	if r.Count != 0 && len(r.DeviceIDs) > 0 {
		return fmt.Errorf("%s: count and device_ids are exclusive", at)
	}
	if strings.ContainsAny(r.Driver, ",=\"\n") {
		return fmt.Errorf("%s.driver %q must not contain ',', '=', '\"' or a newline", at, r.Driver)
	}
	for _, l := range []struct {
		key    string
		values []string
	}{{"device_ids", r.DeviceIDs}, {"capabilities", r.Capabilities}} {
		for j, v := range l.values {
			if strings.TrimSpace(v) == "" || strings.ContainsAny(v, ",\"\n") {
				return fmt.Errorf("%s.%s[%d] %q must be a word without ',', '\"' or a newline", at, l.key, j, v)
			}
		}
	}
	for k, v := range r.Options {
		if k == "" || strings.ContainsAny(k, ",=\"\n") || strings.ContainsAny(v, ",\"\n") {
			return fmt.Errorf("%s.options %q=%q: keys must be words without ',' or '=', values without ',', '\"' or a newline", at, k, v)
		}
	}
	return nil
}

func (b *Blkio) validate() error {
	if b.Weight != 0 {
		if err := blkioWeight("blkio_config.weight", b.Weight); err != nil {
			return err
		}
	}
	for i, d := range b.WeightDevice {
		at := fmt.Sprintf("blkio_config.weight_device[%d]", i)
		if err := blkioPath(at, d.Path); err != nil {
			return err
		}
		if err := blkioWeight(at+".weight", d.Weight); err != nil {
			return err
		}
	}
	for _, t := range b.Throttles() {
		for i, d := range t.Devices {
			at := fmt.Sprintf("blkio_config.%s[%d]", t.Key, i)
			if err := blkioPath(at, d.Path); err != nil {
				return err
			}
			if d.Rate < 0 {
				return fmt.Errorf("%s.rate must be ≥ 0, got %d", at, d.Rate)
			}
		}
	}
	return nil
}

func blkioWeight(at string, w uint16) error {
	if w < 10 || w > 1000 {
		return fmt.Errorf("%s must be between 10 and 1000, got %d", at, w)
	}
	return nil
}

// blkioPath checks a device path: the CLIs take "path:value" (podman's
// flags as a comma-separated list), so a colon or comma could not reach
// them intact; refusing them keeps every backend alike.
func blkioPath(at, p string) error {
	if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, ":,") {
		return fmt.Errorf("%s.path %q must be an absolute path without ':' or ','", at, p)
	}
	return nil
}

// BlkioThrottle is one of blkio_config's four lists of device rate limits.
type BlkioThrottle struct {
	Key     string // its compose key, e.g. "device_read_bps"
	Devices []ThrottleDevice
}

// Throttles lists b's rate limits by compose key, in a fixed order (reads
// before writes, bytes before operations), empty lists included.
func (b *Blkio) Throttles() []BlkioThrottle {
	return []BlkioThrottle{
		{"device_read_bps", b.DeviceReadBps},
		{"device_read_iops", b.DeviceReadIOps},
		{"device_write_bps", b.DeviceWriteBps},
		{"device_write_iops", b.DeviceWriteIOps},
	}
}

// String is the weight as the CLIs take it: "path:weight".
func (d WeightDevice) String() string { return d.Path + ":" + strconv.FormatUint(uint64(d.Weight), 10) }

// String is the limit as the CLIs take it: "path:rate".
func (d ThrottleDevice) String() string { return d.Path + ":" + strconv.FormatInt(d.Rate, 10) }

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
