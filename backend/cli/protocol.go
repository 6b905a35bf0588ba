package cli

import (
	"encoding/csv"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/imageref"
	"github.com/perryts/perry-container/core"
)

// Flavor is the CLI that parses the arguments: it decides flag spellings and
// output shapes.
type Flavor string

const (
	FlavorDocker  Flavor = "docker"  // docker and docker-API runtimes (orbstack, colima, rancher-desktop)
	FlavorPodman  Flavor = "podman"  // podman: JSON arrays, integer timestamps
	FlavorNerdctl Flavor = "nerdctl" // nerdctl: no State in ps, comma-splitting slice flags
	FlavorApple   Flavor = "apple"   // apple/container
)

// Runtime names used by the constructors.
const (
	RuntimeApple = "apple/container"
	RuntimeLima  = "lima"
)

// Protocol builds the arguments of one runtime's CLI. Its methods are pure:
// they run nothing and read nothing, so every argv can be tested as data.
// The arguments returned exclude the binary and any wrapper prefix.
type Protocol struct {
	// Runtime is the runtime's canonical name (docker, podman, nerdctl,
	// orbstack, colima, rancher-desktop, apple/container, lima). It names the
	// runtime in errors.
	Runtime string
	// Flavor is the CLI that parses the arguments.
	Flavor Flavor
}

// DockerProtocol is the Docker-compatible protocol of runtime name driven
// through bin. The flavor comes from the name, or from the binary's name when
// a wrapper runtime (e.g. rancher-desktop) drives nerdctl or podman.
func DockerProtocol(name, bin string) Protocol {
	flavor := FlavorDocker
	base := strings.ToLower(filepath.Base(bin))
	switch {
	case name == "podman" || strings.HasPrefix(base, "podman"):
		flavor = FlavorPodman
	case name == "nerdctl" || strings.HasPrefix(base, "nerdctl"):
		flavor = FlavorNerdctl
	}
	return Protocol{Runtime: name, Flavor: flavor}
}

// AppleProtocol is the apple/container protocol.
func AppleProtocol() Protocol { return Protocol{Runtime: RuntimeApple, Flavor: FlavorApple} }

// LimaProtocol is nerdctl inside a Lima VM.
func LimaProtocol() Protocol { return Protocol{Runtime: RuntimeLima, Flavor: FlavorNerdctl} }

func (p Protocol) apple() bool { return p.Flavor == FlavorApple }

// who names the runtime in messages, with the CLI when it differs.
func (p Protocol) who() string {
	if string(p.Flavor) != p.Runtime && p.Flavor != FlavorApple && p.Flavor != FlavorDocker {
		return p.Runtime + " (" + string(p.Flavor) + ")"
	}
	return p.Runtime
}

// unsupported is the error for a field the runtime cannot express.
func (p Protocol) unsupported(field string) error {
	return core.Errorf(core.KindInvalidArgument, "field %s is not supported by %s", field, p.who()).
		With("field", field).With("backend", p.Runtime)
}

// unsupportedWhen is unsupported for a field the runtime's CLI can express
// only in other circumstances, which when says.
func (p Protocol) unsupportedWhen(field, when string) error {
	return core.Errorf(core.KindInvalidArgument, "field %s is not supported by %s %s", field, p.who(), when).
		With("field", field).With("backend", p.Runtime)
}

// unsupportedOp is the error for an operation the runtime's CLI lacks.
func (p Protocol) unsupportedOp(op string) error {
	return core.Errorf(core.KindInternal, "%s is not supported by %s", op, p.who()).
		With("operation", op).With("backend", p.Runtime)
}

// argList accumulates arguments and remembers the first invalid value, so
// builders read as a flat list of flags.
type argList struct {
	args []string
	err  error
}

func (a *argList) add(args ...string) { a.args = append(a.args, args...) }

// value appends --flag=value. Attaching the value to its flag means a value
// starting with "-" is never read as a flag. A NUL cannot cross exec.
func (a *argList) value(field, flag, v string) {
	if a.err == nil && strings.ContainsRune(v, 0) {
		a.err = core.InvalidArgument(field, "must not contain NUL")
	}
	a.args = append(a.args, flag+"="+v)
}

// opt appends --flag=value when v is set.
func (a *argList) opt(field, flag, v string) {
	if v != "" {
		a.value(field, flag, v)
	}
}

// each appends --flag=value for every element.
func (a *argList) each(field, flag string, vs []string) {
	for _, v := range vs {
		a.value(field, flag, v)
	}
}

// pairs appends --flag=KEY=VALUE for every entry, sorted by key. A key
// containing "=" would move the split point, so it is rejected; so is a
// label key with whitespace, which the runtimes' CLIs refuse ("label 'a b'
// contains whitespaces") — better our clear error before any call than
// their usage text after one.
func (a *argList) pairs(field, flag string, m map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if a.err == nil {
			a.err = checkKey(field, flag == "--label", k)
		}
		a.value(field, flag, k+"="+m[k])
	}
}

// checkKey says why a KEY (a label's when label) cannot go into
// --flag=KEY=VALUE, or nil.
func checkKey(field string, label bool, k string) error {
	if k == "" || strings.Contains(k, "=") {
		return core.InvalidArgument(field, "key %q is empty or contains '='", k)
	}
	if label && strings.ContainsAny(k, labelSpace) {
		return core.InvalidArgument(field, "label key %q contains whitespace, which the runtime's CLI refuses", k)
	}
	return nil
}

// labelSpace is what docker's CLI (opts.ValidateLabel) refuses in a label
// key, plus the line breaks no CLI can carry in one argument's key.
const labelSpace = " \t\n\r\v\f"

// bool appends the flag when set.
func (a *argList) bool(flag string, set bool) {
	if set {
		a.args = append(a.args, flag)
	}
}

// positional appends "--" and then positionals, which are never parsed as flags.
func (a *argList) positional(field string, vs ...string) {
	a.args = append(a.args, "--")
	for _, v := range vs {
		if a.err == nil && strings.ContainsRune(v, 0) {
			a.err = core.InvalidArgument(field, "must not contain NUL")
		}
		a.args = append(a.args, v)
	}
}

func (a *argList) fail(err error) {
	if a.err == nil {
		a.err = err
	}
}

func (a *argList) result() ([]string, error) {
	if a.err != nil {
		return nil, a.err
	}
	return a.args, nil
}

// csvRecord joins fields as one CSV record, quoting a field only when it
// needs it: docker's --mount and nerdctl's slice flags read their value as
// CSV, so a literal comma or quote must be quoted to stay in one field.
func csvRecord(fields ...string) string {
	var b strings.Builder
	w := csv.NewWriter(&b)
	_ = w.Write(fields) // a strings.Builder cannot fail
	w.Flush()
	return strings.TrimSuffix(b.String(), "\n")
}

// sliceValue prepares a value for a flag nerdctl declares as a StringSlice.
func (p Protocol) sliceValue(v string) string {
	if p.Flavor == FlavorNerdctl {
		return csvRecord(v)
	}
	return v
}

func (p Protocol) sliceEach(a *argList, field, flag string, vs []string) {
	for _, v := range vs {
		a.value(field, flag, p.sliceValue(v))
	}
}

// labelFilters are docker's --filter=label=… arguments; a "" value matches
// any value of the key, as backend.ListOptions says.
func labelFilters(a *argList, labels map[string]string) {
	for _, k := range slices.Sorted(maps.Keys(labels)) {
		if a.err == nil {
			a.err = checkKey("labels", true, k)
		}
		if v := labels[k]; v != "" {
			a.value("labels", "--filter", "label="+k+"="+v)
		} else {
			a.value("labels", "--filter", "label="+k)
		}
	}
}

// jsonFormat is the --format value that makes the CLI print JSON. docker CLIs
// older than 23 only know the template form; podman's template output differs
// from its documented JSON, so podman gets "json".
func (p Protocol) jsonFormat() string {
	if p.Flavor == FlavorPodman || p.Flavor == FlavorApple {
		return "json"
	}
	return "{{json .}}"
}

// StartArgs starts a created container (docker: detached). apple/container
// starts attached, so the backend learns the exit code (it has no wait).
func (p Protocol) StartArgs(id string) []string {
	if p.apple() {
		return []string{"start", "--attach", "--", id}
	}
	return []string{"start", "--", id}
}

// StopArgs stops a container; timeout in seconds, nil for the runtime's
// default. -t is the one spelling every CLI accepts (docker's long form is
// --timeout, podman's and nerdctl's --time).
func (p Protocol) StopArgs(id string, timeout *int) []string {
	args := []string{"stop"}
	if timeout != nil {
		args = append(args, "-t", strconv.Itoa(*timeout))
	}
	return append(args, "--", id)
}

// KillArgs sends signal (already checked) to a container; apple/container,
// docker, podman and nerdctl all spell it --signal.
func (p Protocol) KillArgs(id, signal string) []string {
	return []string{"kill", "--signal=" + signal, "--", id}
}

// RemoveArgs removes a container with its anonymous volumes (docker, podman
// and nerdctl: --volumes), as docker compose down does: nothing else can
// name them, so they would be left behind. Named volumes stay.
// apple/container's delete has no such flag.
func (p Protocol) RemoveArgs(id string, force bool) []string {
	args := []string{"rm", "--volumes"}
	if p.apple() {
		args = []string{"delete"}
	}
	if force {
		args = append(args, "--force")
	}
	return append(args, "--", id)
}

// RenameArgs renames a container. apple/container has no rename.
func (p Protocol) RenameArgs(id, newName string) ([]string, error) {
	if p.apple() {
		return nil, p.unsupportedOp("rename")
	}
	return []string{"rename", "--", id, newName}, nil
}

// ListArgs lists containers as JSON. apple/container has no filters: the
// backend filters its output (and ≤0.9 ignored --all in JSON mode).
func (p Protocol) ListArgs(opts backend.ListOptions) ([]string, error) {
	a := &argList{}
	if p.apple() {
		a.add("list")
		a.bool("--all", opts.All)
		a.add("--format=json")
		return a.result()
	}
	a.add("ps")
	a.bool("--all", opts.All)
	// {{json .}} makes docker compute every container's disk size unless told
	// not to: 18 s instead of 0.2 s for 50 containers on this machine.
	a.add("--no-trunc", "--size=false", "--format="+p.jsonFormat())
	labelFilters(a, opts.Labels)
	return a.result()
}

// InspectArgs inspects one container.
func (p Protocol) InspectArgs(id string) []string {
	if p.apple() {
		return []string{"inspect", "--", id}
	}
	return []string{"inspect", "--type=container", "--", id}
}

// LogsArgs reads a container's logs. podman's -n means --names, so the tail
// is always spelled --tail. apple/container knows only -n and -f.
func (p Protocol) LogsArgs(id string, opts backend.LogsOptions, follow bool) ([]string, error) {
	a := &argList{}
	a.add("logs")
	if p.apple() {
		if opts.Since != "" {
			a.fail(p.unsupported("logs.since"))
		}
		if opts.Timestamps {
			a.fail(p.unsupported("logs.timestamps"))
		}
		if opts.Tail != nil && *opts.Tail >= 0 {
			a.add("-n", strconv.Itoa(*opts.Tail))
		}
		a.bool("--follow", follow)
		a.positional("id", id)
		return a.result()
	}
	if opts.Tail != nil && *opts.Tail >= 0 {
		a.add("--tail=" + strconv.Itoa(*opts.Tail))
	}
	a.opt("since", "--since", opts.Since)
	a.bool("--timestamps", opts.Timestamps)
	a.bool("--follow", follow)
	a.positional("id", id)
	return a.result()
}

// ExecArgs runs a command in a running container.
func (p Protocol) ExecArgs(id string, opts backend.ExecOptions) ([]string, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	a := &argList{}
	a.add("exec")
	if opts.Privileged && p.apple() {
		// Its exec takes no --privileged: every container is a VM of its
		// own, without the host-kernel privileges the flag grants.
		a.fail(p.unsupported("privileged"))
	}
	a.bool("--privileged", opts.Privileged)
	a.pairs("env", "--env", opts.Env)
	if len(opts.Unset) > 0 && p.Flavor != FlavorDocker {
		// podman's and nerdctl's exec take a bare --env KEY from their own
		// environment or not at all: the container's value would stay.
		a.fail(p.unsupportedWhen("env", fmt.Sprintf("with %s without a value (removed from the command's environment): its exec cannot remove a variable the container sets", opts.Unset[0])))
	}
	for _, k := range slices.Sorted(slices.Values(opts.Unset)) {
		a.value("env", "--env", k) // bare: the engine removes it (command keeps the CLI from sending a value)
	}
	a.opt("workdir", "--workdir", opts.Workdir)
	a.opt("user", "--user", opts.User)
	a.positional("cmd", append([]string{id}, opts.Cmd...)...)
	return a.result()
}

// WaitArgs waits for a container to exit. apple/container has no wait.
func (p Protocol) WaitArgs(id string) ([]string, error) {
	if p.apple() {
		return nil, p.unsupportedOp("wait")
	}
	return []string{"wait", "--", id}, nil
}

// PullArgs pulls an image.
func (p Protocol) PullArgs(ref string) []string {
	if p.apple() {
		return []string{"image", "pull", "--", ref}
	}
	if p.Flavor == FlavorPodman && loopbackRegistry(ref) {
		// Docker pulls from a registry on a loopback address over plain
		// HTTP by default; podman needs to be told.
		return []string{"pull", "--quiet", "--tls-verify=false", "--", ref}
	}
	return []string{"pull", "--quiet", "--", ref}
}

// PushArgs uploads a local image to its registry, as PullArgs fetches one.
func (p Protocol) PushArgs(ref string) []string {
	if p.apple() {
		return []string{"image", "push", "--", ref}
	}
	if p.Flavor == FlavorPodman && loopbackRegistry(ref) {
		return []string{"push", "--tls-verify=false", "--", ref}
	}
	return []string{"push", "--", ref}
}

// CommitArgs makes an image of a container (docker commit), the new
// image's id the last line of stdout. The pause is always said: podman's
// own default (since podman 5) is not to pause, docker's and nerdctl's is.
// podman is asked for docker's image format, which keeps the message (its
// OCI default drops it), as its Docker-compatible API does, and for no
// progress on stdout. nerdctl names the image or refuses.
func (p Protocol) CommitArgs(id string, opts backend.CommitOptions) ([]string, error) {
	if p.Flavor == FlavorNerdctl && opts.Reference == "" {
		return nil, core.InvalidArgument("reference", "%s commits a container only to a named image: give REPOSITORY[:TAG]", p.who())
	}
	a := &argList{}
	a.add("commit")
	if p.Flavor == FlavorPodman {
		a.add("--quiet", "--format=docker")
	}
	a.opt("author", "--author", opts.Author)
	a.opt("message", "--message", opts.Message)
	a.each("changes", "--change", opts.Changes)
	a.add("--pause=" + strconv.FormatBool(!opts.NoPause))
	if opts.Reference == "" {
		a.positional("container", id)
	} else {
		a.positional("container", id, opts.Reference)
	}
	return a.args, a.err
}

// ExportArgs writes a container's filesystem as a tar archive to stdout
// (docker export). nerdctl 2.0 has no export: it says the subcommand is
// unknown.
func (p Protocol) ExportArgs(id string) []string {
	return []string{"export", "--", id}
}

// ListImagesArgs lists local images as JSON.
func (p Protocol) ListImagesArgs() []string {
	if p.apple() {
		return []string{"image", "list", "--format=json"}
	}
	return []string{"images", "--no-trunc", "--format=" + p.jsonFormat()}
}

// InspectImageArgs inspects one image. apple/container's image inspect shape
// is undocumented, so its backend reads the image list instead.
func (p Protocol) InspectImageArgs(ref string) []string {
	if p.apple() {
		return p.ListImagesArgs()
	}
	if d := imageref.Digest(ref); d != "" && p.Flavor == FlavorNerdctl {
		// nerdctl says "no such image" for an image pulled by digest only
		// when asked by its reference, and finds it by the digest.
		return []string{"image", "inspect", "--", d}
	}
	return []string{"image", "inspect", "--", ref}
}

// RemoveImageArgs removes an image. apple/container's -f means "ignore a
// missing image".
func (p Protocol) RemoveImageArgs(ref string, force bool) []string {
	args := []string{"rmi"}
	if p.apple() {
		args = []string{"image", "delete"}
	}
	if force {
		args = append(args, "--force")
	}
	return append(args, "--", ref)
}

// BuildArgs builds an image tagged image from spec. A relative Dockerfile is
// relative to the context, as in compose (the CLIs resolve it from the
// working directory).
func (p Protocol) BuildArgs(spec core.BuildSpec, image string) ([]string, error) {
	if err := core.ValidateBuild(spec, image); err != nil {
		return nil, err
	}
	if spec.DockerfileInline != "" {
		// Build writes it to a private file first: the CLIs read a
		// Dockerfile from a path.
		return nil, core.InvalidArgument("build.dockerfile_inline", "is passed as a file (Backend.Build writes it)")
	}
	a := &argList{}
	a.add("build")
	if f := spec.Dockerfile; f != "" {
		if !filepath.IsAbs(f) {
			f = filepath.Join(spec.Context, f)
		}
		a.value("build.dockerfile", "--file", f)
	}
	a.value("image", "--tag", image)
	for i, t := range spec.Tags {
		a.value(fmt.Sprintf("build.tags[%d]", i), "--tag", t)
	}
	if len(spec.ExtraHosts) > 0 && p.apple() {
		a.fail(p.unsupported("build.extra_hosts"))
	}
	a.each("build.extra_hosts", "--add-host", spec.ExtraHosts)
	if spec.ShmSize != 0 {
		if p.apple() || p.Flavor == FlavorNerdctl {
			a.fail(p.unsupported("build.shm_size"))
		}
		a.value("build.shm_size", "--shm-size", strconv.FormatInt(spec.ShmSize, 10))
	}
	a.pairs("build.args", "--build-arg", spec.Args)
	a.opt("build.target", "--target", spec.Target)
	a.pairs("build.labels", "--label", spec.Labels)
	if spec.Network != "" {
		if p.apple() {
			a.fail(p.unsupported("build.network"))
		}
		a.value("build.network", "--network", spec.Network)
	}
	a.bool("--no-cache", spec.NoCache)
	a.bool("--pull", spec.Pull)
	a.opt("build.platform", "--platform", spec.Platform)
	// The classic builder keeps a failed step's container unless told
	// (BuildKit, podman and the API path clean up anyway); nerdctl and
	// apple/container have no such flag.
	a.bool("--force-rm", p.Flavor == FlavorDocker || p.Flavor == FlavorPodman)
	a.positional("build.context", spec.Context)
	return a.result()
}

// CreateNetworkArgs creates a network.
func (p Protocol) CreateNetworkArgs(name string, cfg core.NetworkConfig) ([]string, error) {
	if err := core.ValidateNetwork(name, cfg); err != nil {
		return nil, err
	}
	a := &argList{}
	a.add("network", "create")
	if p.apple() {
		p.appleNetworkFlags(a, cfg)
	} else {
		p.dockerNetworkFlags(a, cfg)
	}
	a.positional("name", name)
	return a.result()
}

func (p Protocol) dockerNetworkFlags(a *argList, cfg core.NetworkConfig) {
	a.opt("driver", "--driver", cfg.Driver)
	a.pairs("labels", "--label", cfg.Labels)
	a.bool("--internal", cfg.Internal)
	if cfg.Attachable {
		if p.Flavor != FlavorDocker { // a swarm notion podman and nerdctl lack
			a.fail(p.unsupported("attachable"))
		}
		a.add("--attachable")
	}
	a.bool("--ipv6", cfg.EnableIPv6)
	if cfg.IPv4Disabled() {
		// docker's --ipv4 came with Docker 28 (Backend.CreateNetwork
		// refuses it before); podman's and nerdctl's network create have
		// no IPv4 switch. true, the default, needs no flag.
		if p.Flavor != FlavorDocker {
			a.fail(p.unsupported("enable_ipv4"))
		}
		a.add("--ipv4=false")
	}
	a.pairs("options", "--opt", cfg.Options)
	p.ipamFlags(a, cfg.IPAM)
}

// poolFlags are the flags of a pool's gateway and range.
var poolFlags = []struct {
	key, flag string
	of        func(core.IPAMPool) string
}{
	{"gateway", "--gateway", func(p core.IPAMPool) string { return p.Gateway }},
	{"ip_range", "--ip-range", func(p core.IPAMPool) string { return p.IPRange }},
}

// ipamFlags are docker's, podman's and nerdctl's network create flags for a
// network's IPAM. Each pool's flags follow its --subnet. docker matches a
// gateway, range or aux address to the subnet that contains it (core
// checked that its own does); podman pairs the n-th --gateway and
// --ip-range with the n-th --subnet; nerdctl's single --gateway and
// --ip-range apply to every subnet. What a CLI cannot say is refused.
func (p Protocol) ipamFlags(a *argList, ipam *core.IPAM) {
	if ipam == nil {
		return
	}
	if !ipam.DefaultDriver() {
		a.value("network.ipam.driver", "--ipam-driver", ipam.Driver)
	}
	if len(ipam.Options) > 0 {
		switch {
		case p.Flavor == FlavorPodman:
			a.fail(p.unsupported("network.ipam.options"))
		case p.Flavor == FlavorNerdctl && ipam.Driver != "dhcp":
			// nerdctl reads --ipam-opt only for its dhcp driver.
			a.fail(p.unsupportedWhen("network.ipam.options", "with an IPAM driver other than dhcp"))
		}
		a.pairs("network.ipam.options", "--ipam-opt", ipam.Options)
	}
	auxPool := map[string]int{} // docker's --aux-address is one map for every pool
	for i, pool := range ipam.Config {
		at := fmt.Sprintf("network.ipam.config[%d].", i)
		a.value(at+"subnet", "--subnet", pool.Subnet)
		for _, f := range poolFlags {
			v := f.of(pool)
			if v == "" {
				continue
			}
			switch p.Flavor {
			case FlavorPodman:
				if j := slices.IndexFunc(ipam.Config[:i], func(q core.IPAMPool) bool { return f.of(q) == "" }); j >= 0 {
					a.fail(p.unsupportedWhen(at+f.key, fmt.Sprintf("when pool %d before it has no %s (podman pairs the n-th %s with the n-th --subnet)", j, f.key, f.flag)))
				}
			case FlavorNerdctl:
				if len(ipam.Config) > 1 {
					a.fail(p.unsupportedWhen(at+f.key, fmt.Sprintf("on a network of more than one pool (nerdctl's %s applies to every subnet)", f.flag)))
				}
			}
			a.value(at+f.key, f.flag, v)
		}
		for _, name := range slices.Sorted(maps.Keys(pool.AuxAddresses)) {
			field := at + "aux_addresses[" + name + "]"
			if p.Flavor != FlavorDocker {
				a.fail(p.unsupported(at + "aux_addresses"))
			}
			if j, dup := auxPool[name]; dup {
				a.fail(p.unsupportedWhen(field, fmt.Sprintf("when pool %d has an aux address of the same name (its --aux-address is one map)", j)))
			}
			auxPool[name] = i
			if strings.Contains(name, "=") {
				a.fail(p.unsupportedWhen(field, "with '=' in the name (--aux-address splits NAME=IP at the first '=')"))
			}
			a.value(field, "--aux-address", name+"="+pool.AuxAddresses[name])
		}
	}
}

func (p Protocol) appleNetworkFlags(a *argList, cfg core.NetworkConfig) {
	if cfg.Driver != "" {
		a.fail(p.unsupported("driver"))
	}
	if cfg.Attachable {
		a.fail(p.unsupported("attachable"))
	}
	if cfg.EnableIPv6 {
		a.fail(p.unsupported("enable_ipv6")) // an IPv6 subnet is given with subnets
	}
	if cfg.IPv4Disabled() {
		a.fail(p.unsupported("enable_ipv4"))
	}
	if len(cfg.Options) > 0 {
		a.fail(p.unsupported("options"))
	}
	a.pairs("labels", "--label", cfg.Labels)
	a.bool("--internal", cfg.Internal)
	if ipam := cfg.IPAM; ipam != nil {
		// apple/container takes a subnet per address family, nothing else.
		if !ipam.DefaultDriver() {
			a.fail(p.unsupported("network.ipam.driver"))
		}
		if len(ipam.Options) > 0 {
			a.fail(p.unsupported("network.ipam.options"))
		}
		for i, pool := range ipam.Config {
			at := fmt.Sprintf("network.ipam.config[%d].", i)
			switch {
			case pool.Gateway != "":
				a.fail(p.unsupported(at + "gateway"))
			case pool.IPRange != "":
				a.fail(p.unsupported(at + "ip_range"))
			case len(pool.AuxAddresses) > 0:
				a.fail(p.unsupported(at + "aux_addresses"))
			}
			if strings.Contains(pool.Subnet, ":") {
				a.value(at+"subnet", "--subnet-v6", pool.Subnet)
			} else {
				a.value(at+"subnet", "--subnet", pool.Subnet)
			}
		}
	}
}

// InspectNetworkArgs inspects one network.
func (p Protocol) InspectNetworkArgs(name string) []string {
	if p.Flavor == FlavorNerdctl {
		// nerdctl's docker-compatible form has no Driver; its native form
		// (the CNI configuration) names the plugin.
		return []string{"network", "inspect", "--mode=native", "--", name}
	}
	return []string{"network", "inspect", "--", name}
}

// ListNetworksArgs lists networks: docker-compatible CLIs print IDs
// (docker) or names (then inspected for exact labels, which ls joins with
// commas); apple/container prints JSON and has no filter.
func (p Protocol) ListNetworksArgs(labels map[string]string) ([]string, error) {
	a := &argList{}
	if p.apple() {
		a.add("network", "list", "--format=json")
		return a.result()
	}
	if p.Flavor == FlavorDocker {
		// By ID: docker allows two networks of one name (made by two
		// concurrent creators), and inspecting that name fails as ambiguous.
		a.add("network", "ls", "--no-trunc", "--format={{.ID}}")
	} else {
		a.add("network", "ls", "--format={{.Name}}")
	}
	labelFilters(a, labels)
	return a.result()
}

// RemoveNetworkArgs removes a network.
func (p Protocol) RemoveNetworkArgs(name string) []string {
	if p.apple() {
		return []string{"network", "delete", "--", name}
	}
	return []string{"network", "rm", "--", name}
}

// ConnectNetworkArgs attaches a container to a network with aliases and
// fixed addresses.
func (p Protocol) ConnectNetworkArgs(n core.NetworkAttach, id string) ([]string, error) {
	a := &argList{}
	a.add("network", "connect")
	a.each("networks.aliases", "--alias", n.Aliases)
	a.opt("networks.ipv4_address", "--ip", n.IPv4Address)
	a.opt("networks.ipv6_address", "--ip6", n.IPv6Address)
	a.positional("networks.name", n.Name, id)
	return a.result()
}

// CreateVolumeArgs creates a volume. nerdctl has no --driver or --opt;
// "local" is every runtime's default driver, so it needs no flag.
func (p Protocol) CreateVolumeArgs(name string, cfg core.VolumeConfig) ([]string, error) {
	if err := core.ValidateVolume(name, cfg); err != nil {
		return nil, err
	}
	a := &argList{}
	a.add("volume", "create")
	if cfg.Driver != "" && cfg.Driver != "local" {
		if p.Flavor == FlavorNerdctl || p.apple() {
			a.fail(p.unsupported("driver"))
		}
		a.value("driver", "--driver", cfg.Driver)
	}
	a.pairs("labels", "--label", cfg.Labels)
	if len(cfg.Options) > 0 && p.Flavor == FlavorNerdctl {
		a.fail(p.unsupported("options"))
	}
	a.pairs("options", "--opt", cfg.Options)
	a.positional("name", name)
	return a.result()
}

// InspectVolumeArgs inspects one volume.
func (p Protocol) InspectVolumeArgs(name string) []string {
	return []string{"volume", "inspect", "--", name}
}

// ListVolumesArgs lists volumes (names, then inspected; apple: JSON).
func (p Protocol) ListVolumesArgs(labels map[string]string) ([]string, error) {
	a := &argList{}
	if p.apple() {
		a.add("volume", "list", "--format=json")
		return a.result()
	}
	a.add("volume", "ls", "--quiet")
	labelFilters(a, labels)
	return a.result()
}

// RemoveVolumeArgs removes a volume. apple/container's delete has no force.
func (p Protocol) RemoveVolumeArgs(name string, force bool) []string {
	if p.apple() {
		return []string{"volume", "delete", "--", name}
	}
	args := []string{"volume", "rm"}
	if force {
		args = append(args, "--force")
	}
	return append(args, "--", name)
}

// VersionArgs prints the runtime's version as JSON.
func (p Protocol) VersionArgs() []string {
	if p.apple() {
		return []string{"system", "version", "--format=json"}
	}
	return []string{"version", "--format=" + p.jsonFormat()}
}
