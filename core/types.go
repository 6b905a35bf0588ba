package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

// ContainerSpec describes one container to create or run. The JSON names are
// those of the TypeScript ContainerSpec (perry/container); the fields after
// the TypeScript API's own are what compose services need, spelled as in compose.
type ContainerSpec struct {
	Image      string            `json:"image"`
	Name       string            `json:"name,omitempty"`
	Ports      []string          `json:"ports,omitempty"`   // "[ip:][host:]container[/proto]", an IPv6 ip bracketed (ParsePort)
	Volumes    []string          `json:"volumes,omitempty"` // "src:dst[:ro]"
	Env        map[string]string `json:"env,omitempty"`
	Cmd        []string          `json:"cmd,omitempty"`
	Entrypoint []string          `json:"entrypoint,omitempty"`
	Network    string            `json:"network,omitempty"`
	Rm         bool              `json:"rm,omitempty"`

	// Security options.
	ReadOnly   bool     `json:"read_only,omitempty"`
	Seccomp    string   `json:"seccomp,omitempty"` // profile path, or "unconfined"
	Privileged bool     `json:"privileged,omitempty"`
	User       string   `json:"user,omitempty"`
	Workdir    string   `json:"workdir,omitempty"`
	CapAdd     []string `json:"cap_add,omitempty"`
	CapDrop    []string `json:"cap_drop,omitempty"`

	Labels map[string]string `json:"labels,omitempty"`

	// Compose service fields (all optional).

	// UnsetEnv are variables removed from the image's environment:
	// compose's environment entry KEY without a value (KEY unset where
	// compose runs), which docker compose sends bare and the Docker engine
	// removes from what the image sets.
	UnsetEnv []string `json:"unset_env,omitempty"`

	Hostname       string            `json:"hostname,omitempty"`
	Domainname     string            `json:"domainname,omitempty"`
	NetworkAliases []string          `json:"network_aliases,omitempty"`
	Networks       []NetworkAttach   `json:"networks,omitempty"` // extra networks beyond Network
	Restart        string            `json:"restart,omitempty"`  // no | always | on-failure[:n] | unless-stopped
	Healthcheck    *Healthcheck      `json:"healthcheck,omitempty"`
	StopSignal     string            `json:"stop_signal,omitempty"`
	StopTimeout    *int              `json:"stop_timeout,omitempty"` // seconds
	ExtraHosts     []string          `json:"extra_hosts,omitempty"`  // "host:ip"
	DNS            []string          `json:"dns,omitempty"`
	DNSSearch      []string          `json:"dns_search,omitempty"`
	DNSOpt         []string          `json:"dns_opt,omitempty"`
	Tmpfs          []string          `json:"tmpfs,omitempty"` // "/path[:opts]"
	ShmSize        int64             `json:"shm_size,omitempty"`
	Memory         int64             `json:"memory,omitempty"` // bytes
	MemoryReserve  int64             `json:"memory_reservation,omitempty"`
	CPUs           float64           `json:"cpus,omitempty"`
	PidsLimit      int64             `json:"pids_limit,omitempty"`
	MemorySwap     int64             `json:"memswap_limit,omitempty"` // bytes of memory plus swap; -1 unlimited
	CPUShares      int64             `json:"cpu_shares,omitempty"`    // relative weight
	CPUPeriod      int64             `json:"cpu_period,omitempty"`    // µs
	CPUQuota       int64             `json:"cpu_quota,omitempty"`     // µs per period; -1 unlimited
	CPUSet         string            `json:"cpuset,omitempty"`        // CPUs the container may use: "0-2,5"
	OomScoreAdj    int64             `json:"oom_score_adj,omitempty"` // -1000..1000
	GroupAdd       []string          `json:"group_add,omitempty"`     // supplementary groups, names or ids
	Devices        []Device          `json:"devices,omitempty"`
	DeviceRequests []DeviceRequest   `json:"device_requests,omitempty"`  // devices by driver and capability (GPUs)
	MemSwappiness  *int64            `json:"mem_swappiness,omitempty"`   // 0..100; the kernel's when nil
	OomKillDisable bool              `json:"oom_kill_disable,omitempty"` // the OOM killer spares the container
	Blkio          *Blkio            `json:"blkio_config,omitempty"`
	Cgroup         string            `json:"cgroup,omitempty"`       // cgroup namespace: host | private
	Runtime        string            `json:"runtime,omitempty"`      // OCI runtime, e.g. runc
	UsernsMode     string            `json:"userns_mode,omitempty"`  // user namespace, e.g. host
	MacAddress     string            `json:"mac_address,omitempty"`  // of the primary network's interface
	StorageOpt     map[string]string `json:"storage_opt,omitempty"`  // storage driver options
	Annotations    map[string]string `json:"annotations,omitempty"`  // OCI annotations, passed to the runtime
	VolumesFrom    []string          `json:"volumes_from,omitempty"` // "container[:ro|:rw]": mount every volume of that container (name or id)
	Init           bool              `json:"init,omitempty"`
	Pid            string            `json:"pid,omitempty"`
	Ipc            string            `json:"ipc,omitempty"`
	SecurityOpt    []string          `json:"security_opt,omitempty"`
	Sysctls        map[string]string `json:"sysctls,omitempty"`
	Ulimits        []Ulimit          `json:"ulimits,omitempty"`
	Expose         []string          `json:"expose,omitempty"`
	Platform       string            `json:"platform,omitempty"`
	Tty            bool              `json:"tty,omitempty"`
	StdinOpen      bool              `json:"stdin_open,omitempty"`
	LogDriver      string            `json:"log_driver,omitempty"`
	LogOpts        map[string]string `json:"log_opts,omitempty"`
	Mounts         []Mount           `json:"mounts,omitempty"` // long-form mounts (bind, volume, tmpfs)

	// Verify asks for the image's signature to be verified before it runs
	// (opt-in on the general path; shell capabilities always verify). The
	// library resolves it to the verified digest before any backend sees the
	// spec, so Validate (which backends call) rejects a spec that still has it.
	Verify *VerifyPolicy `json:"verify,omitempty"`
}

// VerifyPolicy is who must have signed an image: the signing certificate's
// identity (exactly, or by an anchored regex) and its OIDC issuer.
type VerifyPolicy struct {
	Identity      string `json:"identity,omitempty"`
	IdentityRegex string `json:"identityRegex,omitempty"`
	Issuer        string `json:"issuer"`
}

// NetworkAttach attaches a container to a network with aliases and a fixed address.
type NetworkAttach struct {
	Name        string   `json:"name"`
	Aliases     []string `json:"aliases,omitempty"`
	IPv4Address string   `json:"ipv4_address,omitempty"`
	IPv6Address string   `json:"ipv6_address,omitempty"`
}

// MergeAliases is the aliases of one endpoint given in several places (a
// spec's network_aliases and its primary network listed again in
// networks), in order, each once: the engines keep a repeated alias twice.
func MergeAliases(lists ...[]string) []string {
	var out []string
	for _, l := range lists {
		for _, a := range l {
			if !slices.Contains(out, a) {
				out = append(out, a)
			}
		}
	}
	return out
}

// Mount is a long-form mount.
type Mount struct {
	Type      string `json:"type"` // bind | volume | tmpfs
	Source    string `json:"source,omitempty"`
	Target    string `json:"target"`
	ReadOnly  bool   `json:"read_only,omitempty"`
	TmpfsSize int64  `json:"tmpfs_size,omitempty"`
	NoCopy    bool   `json:"nocopy,omitempty"`
	// Subpath mounts this path inside a named volume instead of the whole
	// volume (compose's volumes[].volume.subpath): relative, not leaving
	// the volume (ValidateMounts).
	Subpath string `json:"subpath,omitempty"`
}

// Device is a host device made available in the container.
type Device struct {
	Source      string `json:"source"`                // absolute host path
	Target      string `json:"target,omitempty"`      // path in the container; Source when empty
	Permissions string `json:"permissions,omitempty"` // cgroup permissions, letters of "rwm"; the runtime's ("rwm") when empty
}

// DeviceRequest asks the runtime for devices a driver provides, by
// capability rather than by host path (compose's gpus and
// deploy.resources.reservations.devices; the Engine API's DeviceRequest).
type DeviceRequest struct {
	Driver string `json:"driver,omitempty"` // "" lets the runtime pick a driver with the capabilities
	// Count is how many devices: -1 all of them. With DeviceIDs it is 0.
	Count     int      `json:"count,omitempty"`
	DeviceIDs []string `json:"device_ids,omitempty"`
	// Capabilities the driver must offer, all of them: ["gpu"],
	// ["gpu","utility"].
	Capabilities []string          `json:"capabilities,omitempty"`
	Options      map[string]string `json:"options,omitempty"` // the driver's
}

// Blkio is a container's block IO weight and per-device limits (compose's
// blkio_config). Device paths are host block devices.
type Blkio struct {
	Weight          uint16           `json:"weight,omitempty"` // 10..1000; the runtime's when 0
	WeightDevice    []WeightDevice   `json:"weight_device,omitempty"`
	DeviceReadBps   []ThrottleDevice `json:"device_read_bps,omitempty"`   // bytes per second
	DeviceReadIOps  []ThrottleDevice `json:"device_read_iops,omitempty"`  // operations per second
	DeviceWriteBps  []ThrottleDevice `json:"device_write_bps,omitempty"`  // bytes per second
	DeviceWriteIOps []ThrottleDevice `json:"device_write_iops,omitempty"` // operations per second
}

// WeightDevice is the block IO weight of one device.
type WeightDevice struct {
	Path   string `json:"path"`   // absolute host path of the device
	Weight uint16 `json:"weight"` // 10..1000
}

// ThrottleDevice is a rate limit on one device.
type ThrottleDevice struct {
	Path string `json:"path"` // absolute host path of the device
	Rate int64  `json:"rate"` // ≥ 0, per second
}

// Ulimit is one resource limit.
type Ulimit struct {
	Name string `json:"name"`
	Soft int64  `json:"soft"`
	Hard int64  `json:"hard"`
}

// Healthcheck is a container health test. Durations are Go duration strings
// ("500ms", "30s"), as compose writes them.
type Healthcheck struct {
	Test          []string `json:"test"` // ["CMD", ...] | ["CMD-SHELL", "..."] | ["NONE"]
	Interval      string   `json:"interval,omitempty"`
	Timeout       string   `json:"timeout,omitempty"`
	Retries       int      `json:"retries,omitempty"`
	StartPeriod   string   `json:"start_period,omitempty"`
	StartInterval string   `json:"start_interval,omitempty"`
	Disable       bool     `json:"disable,omitempty"`
}

// ContainerHandle identifies a created container.
type ContainerHandle struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
}

// ContainerInfo describes one container as the runtime reports it.
type ContainerInfo struct {
	ID       string            `json:"id"`
	Name     string            `json:"name"`
	Image    string            `json:"image"`
	Command  string            `json:"command,omitempty"` // as docker ps shows it: "sh -c 'exit 3'"
	Status   string            `json:"status"`            // the runtime's human status, e.g. "Up 3 seconds"
	Ports    []string          `json:"ports"`
	Created  string            `json:"created"`            // ISO 8601
	State    string            `json:"state,omitempty"`    // created | running | paused | restarting | exited | dead
	Health   string            `json:"health,omitempty"`   // starting | healthy | unhealthy ("" when no healthcheck)
	ExitCode *int              `json:"exitCode,omitempty"` // set once the container has exited
	Labels   map[string]string `json:"labels,omitempty"`
	Networks []string          `json:"networks,omitempty"`
	// IPAddress is the container's first network address, when known.
	IPAddress string `json:"ipAddress,omitempty"`
}

// Running reports whether the container is running.
func (c ContainerInfo) Running() bool { return c.State == "running" }

// ContainerLogs is a container's output, or an exec's.
type ContainerLogs struct {
	Stdout string `json:"stdout"`
	Stderr string `json:"stderr"`
	// ExitCode is set by exec: the command's exit code.
	ExitCode *int `json:"exitCode,omitempty"`
}

// ImageInfo describes one local image.
type ImageInfo struct {
	ID         string `json:"id"`
	Repository string `json:"repository"`
	Tag        string `json:"tag"`
	Size       int64  `json:"size"`
	Created    string `json:"created"` // ISO 8601
	Digest     string `json:"digest,omitempty"`
	// Platform is os/architecture[/variant] ("linux/arm64/v8"), where the
	// runtime says (an image's inspect does; a listing may not).
	Platform string `json:"platform,omitempty"`
}

// FormatPlatform writes an image's platform as docker does: os/arch, then
// the variant if any; "" when the os is unknown.
func FormatPlatform(os, arch, variant string) string {
	if os == "" {
		return ""
	}
	p := os
	for _, s := range []string{arch, variant} {
		if s != "" {
			p += "/" + s
		}
	}
	return p
}

// IsolationLevel is the isolation a backend actually provides.
type IsolationLevel string

const (
	IsolationNone      IsolationLevel = "None"
	IsolationProcess   IsolationLevel = "Process"
	IsolationContainer IsolationLevel = "Container"
	IsolationMicroVM   IsolationLevel = "MicroVm"
	IsolationWasm      IsolationLevel = "Wasm"
)

// Valid reports whether l is one of the five levels.
func (l IsolationLevel) Valid() bool {
	switch l {
	case IsolationNone, IsolationProcess, IsolationContainer, IsolationMicroVM, IsolationWasm:
		return true
	}
	return false
}

// BackendInfo describes one runtime candidate or the selected backend.
type BackendInfo struct {
	Name           string         `json:"name"`
	Available      bool           `json:"available"`
	Reason         string         `json:"reason,omitempty"`
	Version        string         `json:"version,omitempty"`
	Mode           string         `json:"mode"` // local | remote
	IsolationLevel IsolationLevel `json:"isolationLevel"`
	// Strategy is how the library talks to it: "cli" or "api".
	Strategy string `json:"strategy,omitempty"`
	// Endpoint is the socket or binary used.
	Endpoint string `json:"endpoint,omitempty"`
}

// BuildSpec describes an image build (compose's build section).
type BuildSpec struct {
	Context    string            `json:"context"`
	Dockerfile string            `json:"dockerfile,omitempty"`
	Args       map[string]string `json:"args,omitempty"`
	Target     string            `json:"target,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Network    string            `json:"network,omitempty"`
	NoCache    bool              `json:"no_cache,omitempty"`
	Pull       bool              `json:"pull,omitempty"`
	Platform   string            `json:"platform,omitempty"`
	// DockerfileInline is the Dockerfile's text itself (compose's
	// dockerfile_inline) instead of a file; not with Dockerfile.
	DockerfileInline string `json:"dockerfile_inline,omitempty"`
	// Tags are more names for the image besides the one it is built as.
	Tags []string `json:"tags,omitempty"`
	// ExtraHosts are "host:ip" entries of the build steps' /etc/hosts.
	ExtraHosts []string `json:"extra_hosts,omitempty"`
	// ShmSize is the size of the build steps' /dev/shm, in bytes.
	ShmSize int64 `json:"shm_size,omitempty"`
}

// NetworkConfig describes a network to create.
type NetworkConfig struct {
	Driver     string            `json:"driver,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
	Internal   bool              `json:"internal,omitempty"`
	Attachable bool              `json:"attachable,omitempty"`
	EnableIPv6 bool              `json:"enable_ipv6,omitempty"`
	// EnableIPv4 false asks for a network without IPv4 addresses (an
	// IPv6-only one); nil and true are the runtimes' default, IPv4 on.
	EnableIPv4 *bool             `json:"enable_ipv4,omitempty"`
	Options    map[string]string `json:"options,omitempty"`
	// IPAM is the network's address management (compose's ipam); nil
	// leaves it to the runtime.
	IPAM *IPAM `json:"ipam,omitempty"`
}

// IPv4Disabled reports whether the network is asked to have no IPv4
// (enable_ipv4: false).
func (c NetworkConfig) IPv4Disabled() bool { return c.EnableIPv4 != nil && !*c.EnableIPv4 }

// IPAM is a network's address management, as compose's ipam section and the
// Engine API's IPAM say it. A runtime that cannot apply a field refuses it
// with InvalidArgument naming the field and the runtime.
type IPAM struct {
	// Driver is the IPAM driver; "" and "default" are the runtime's own.
	Driver  string            `json:"driver,omitempty"`
	Options map[string]string `json:"options,omitempty"`
	// Config is the network's address pools, in order.
	Config []IPAMPool `json:"config,omitempty"`
}

// IPAMPool is one address pool of a network. Gateway, IPRange and
// AuxAddresses lie within Subnet, which is required.
type IPAMPool struct {
	Subnet  string `json:"subnet"`             // CIDR, e.g. 10.5.0.0/16
	Gateway string `json:"gateway,omitempty"`  // an IP address
	IPRange string `json:"ip_range,omitempty"` // CIDR: the addresses handed to containers
	// AuxAddresses are addresses the runtime must not hand out, by name.
	AuxAddresses map[string]string `json:"aux_addresses,omitempty"`
}

// DefaultDriver reports whether the IPAM driver is the runtime's own.
func (i *IPAM) DefaultDriver() bool { return i == nil || i.Driver == "" || i.Driver == "default" }

// NetworkInfo describes an existing network.
type NetworkInfo struct {
	ID     string            `json:"id"`
	Name   string            `json:"name"`
	Driver string            `json:"driver,omitempty"`
	Labels map[string]string `json:"labels,omitempty"`
}

// VolumeConfig describes a volume to create.
type VolumeConfig struct {
	Driver  string            `json:"driver,omitempty"`
	Labels  map[string]string `json:"labels,omitempty"`
	Options map[string]string `json:"options,omitempty"`
}

// VolumeInfo describes an existing volume.
type VolumeInfo struct {
	Name       string            `json:"name"`
	Driver     string            `json:"driver,omitempty"`
	Mountpoint string            `json:"mountpoint,omitempty"`
	Labels     map[string]string `json:"labels,omitempty"`
}

// DecodeStrict decodes one JSON value into v, rejecting unknown keys (a typo
// must not be silently ignored) and trailing data. The error is an
// InvalidArgument naming arg and, for an unknown key, the key.
func DecodeStrict(arg string, data []byte, v any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return InvalidArgument(arg, "is empty, not JSON (pass NULL to omit an optional argument)")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		msg := err.Error()
		if strings.HasPrefix(msg, "json: unknown field ") {
			key := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
			return InvalidArgument(arg, "unknown key %q", key).With("key", key)
		}
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			want := jsonKind(te.Type)
			if want == "number" && strings.HasPrefix(te.Value, "number ") {
				// A number that does not fit: say so, not "expected a number".
				what := numberRange(te.Type)
				if te.Field == "" {
					return InvalidArgument(arg, "must be %s, got %s", what, strings.TrimPrefix(te.Value, "number "))
				}
				return InvalidArgument(arg, "key %q: must be %s, got %s", te.Field, what, strings.TrimPrefix(te.Value, "number ")).With("key", te.Field)
			}
			if te.Field == "" {
				return InvalidArgument(arg, "expected a JSON %s, got a JSON %s", want, te.Value)
			}
			return InvalidArgument(arg, "key %q: expected a JSON %s, got a JSON %s", te.Field, want, te.Value).With("key", te.Field)
		}
		return InvalidArgument(arg, "%s", strings.TrimPrefix(msg, "json: "))
	}
	if _, err := dec.Token(); err != io.EOF {
		return InvalidArgument(arg, "unexpected data after the JSON value")
	}
	return nil
}

// numberRange says what a number field of type t (through pointers) takes:
// "an integer from min to max", or for a float field, which only an
// overflow (1e400) fails, "a finite number".
func numberRange(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return "an integer from 0 to " + strconv.FormatUint(1<<t.Bits()-1, 10)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer from " + strconv.FormatInt(-1<<(t.Bits()-1), 10) + " to " + strconv.FormatInt(1<<(t.Bits()-1)-1, 10)
	case reflect.Float32, reflect.Float64:
		return "a finite number"
	}
	return "a number its type can hold"
}

// jsonKind names the JSON type a Go type decodes from.
func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Pointer:
		return jsonKind(t.Elem())
	default:
		return "number"
	}
}

// DecodeContainerSpec decodes and validates a ContainerSpec.
func DecodeContainerSpec(arg string, data []byte) (*ContainerSpec, error) {
	var spec ContainerSpec
	if err := DecodeStrict(arg, data, &spec); err != nil {
		return nil, err
	}
	// verify is the caller's to resolve, so it is not an error here.
	v := spec.Verify
	spec.Verify = nil
	err := spec.Validate()
	spec.Verify = v
	if err != nil {
		return nil, InvalidArgument(arg, "%s", err.Error())
	}
	if v != nil && v.Issuer == "" {
		return nil, InvalidArgument(arg, "verify.issuer is required")
	}
	return &spec, nil
}

// Validate checks the fields every backend relies on.
func (s *ContainerSpec) Validate() error {
	if strings.TrimSpace(s.Image) == "" {
		return fmt.Errorf("image is required")
	}
	if strings.ContainsAny(s.Image, " \t\r\n\x00") {
		return fmt.Errorf("image %q contains white space or NUL", s.Image)
	}
	if s.Name != "" && !validName(s.Name) {
		return fmt.Errorf("name %q must match [a-zA-Z0-9][a-zA-Z0-9_.-]*", s.Name)
	}
	// Sizes are bytes: a negative one would reach the runtime as "unlimited"
	// or as its own error, far from the field.
	for _, f := range []struct {
		key string
		v   int64
	}{{"memory", s.Memory}, {"memory_reservation", s.MemoryReserve}, {"shm_size", s.ShmSize}} {
		if f.v < 0 {
			return fmt.Errorf("%s must not be negative, got %d", f.key, f.v)
		}
	}
	if s.CPUs < 0 {
		return fmt.Errorf("cpus must not be negative, got %v", s.CPUs)
	}
	for k := range s.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("env key %q is empty or contains '=' or NUL", k)
		}
	}
	for _, k := range s.UnsetEnv {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("unset_env key %q is empty or contains '=' or NUL", k)
		}
		if _, ok := s.Env[k]; ok {
			return fmt.Errorf("unset_env %q is also set in env", k)
		}
	}
	if s.Verify != nil {
		return fmt.Errorf("verify must be resolved to a verified digest before the spec reaches a backend")
	}
	if s.Healthcheck != nil && !s.Healthcheck.Disable && len(s.Healthcheck.Test) == 0 {
		return fmt.Errorf("healthcheck.test is required")
	}
	// Every other string too: a NUL would cut it short in argv or env.
	if at, ok := FindNUL(s); ok {
		return fmt.Errorf("%s contains NUL", at)
	}
	if at, r, ok := s.findControl(); ok {
		return controlError(at, r)
	}
	// After the NUL and control checks, so that those are named as such.
	if err := s.ValidateCgroup(); err != nil {
		return err
	}
	if err := s.ValidateMounts(); err != nil {
		return err
	}
	return s.ValidateHostOptions()
}

// validName is the runtime's container-name rule.
func validName(n string) bool {
	for i, r := range n {
		alnum := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9'
		if i == 0 && !alnum {
			return false
		}
		if !alnum && r != '_' && r != '.' && r != '-' {
			return false
		}
	}
	return n != ""
}
