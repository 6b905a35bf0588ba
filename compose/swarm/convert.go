package swarm

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/swarm"

	bswarm "github.com/perryts/perry-container/backend/swarm"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

// Labels of the Swarm target. LabelNamespace is docker stack deploy's own,
// so `docker stack ls/ps/services/rm` see the stacks we deploy and we see
// theirs; the compose labels are the engine's (docs/design.md, Names and labels).
const (
	LabelNamespace  = "com.docker.stack.namespace"
	LabelProject    = engine.LabelProject
	LabelService    = engine.LabelService
	LabelConfigHash = engine.LabelConfigHash
	LabelManaged    = engine.LabelManaged
	// LabelContentHash is the SHA-256 of a secret's or config's data: the
	// data of a Swarm secret cannot change, so a second up compares it.
	LabelContentHash = "io.perry.content-hash"
)

// Plan is a project converted to Swarm objects, before anything is created.
// It is pure data: Convert reads files and the project's environment, and
// makes no engine call.
type Plan struct {
	Project  string
	Networks []NetworkPlan
	Secrets  []ObjectPlan
	Configs  []ObjectPlan
	Volumes  []string // names of the stack's named volumes (created by Swarm on the node a task lands on)
	Services map[string]*ServicePlan
}

// NetworkPlan is one overlay network.
type NetworkPlan struct {
	Key      string // the key in the compose file
	Name     string // the engine name: {project}_{key} unless name: or external
	External bool
	Overlay  bswarm.Overlay
}

// ObjectPlan is one secret or config.
type ObjectPlan struct {
	Key      string
	Name     string
	External bool
	Data     []byte
	Labels   map[string]string
}

// ServicePlan is one service's Swarm spec and what the gate needs to know.
type ServicePlan struct {
	Service string // the compose service name
	Spec    swarm.ServiceSpec
	Hash    string // LabelConfigHash: the SHA-256 of Spec without it
	Job     bool   // a replicated or global job: it runs to completion
	// Replicas is the number of tasks a replicated service or job waits for.
	Replicas uint64
	// Healthcheck is set when the spec defines one (the image may define one too).
	Healthcheck bool
}

// Convert maps p to Swarm specs. A field that Swarm cannot express, or that
// the Swarm target does not map, is an InvalidArgument naming the service and
// the field (see docs/design.md, Swarm target); nothing is dropped silently.
// imagePresent reports whether an image is present locally; it decides
// whether a service with build: can deploy (nil: no image is present).
func Convert(p *types.Project, imagePresent func(string) bool) (*Plan, error) {
	if p == nil {
		return nil, core.InvalidArgument("project", "no project")
	}
	pl := &Plan{Project: p.Name, Services: map[string]*ServicePlan{}}
	stack := func(extra map[string]string) map[string]string {
		l := map[string]string{LabelNamespace: p.Name, LabelProject: p.Name, LabelManaged: "true"}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}

	for _, key := range sortedKeys(p.Networks) {
		n := p.Networks[key]
		np := NetworkPlan{Key: key, Name: objectName(p.Name, key, n.Name, bool(n.External)), External: bool(n.External)}
		if !np.External {
			switch n.Driver {
			case "", "overlay":
			default:
				return nil, core.InvalidArgument("networks."+key+".driver", "network %q: driver %q cannot span a swarm; use overlay (or leave it unset)", key, n.Driver)
			}
			if len(n.Ipam.Config) > 0 || n.Ipam.Driver != "" || len(n.Ipam.Options) > 0 {
				return nil, core.InvalidArgument("networks."+key+".ipam", "network %q: ipam is not supported by the Swarm target", key)
			}
			if n.EnableIPv6 != nil && *n.EnableIPv6 {
				return nil, core.InvalidArgument("networks."+key+".enable_ipv6", "network %q: enable_ipv6 is not supported by the Swarm target", key)
			}
			if n.EnableIPv4 != nil && !*n.EnableIPv4 {
				return nil, core.InvalidArgument("networks."+key+".enable_ipv4", "network %q: enable_ipv4 false is not supported by the Swarm target", key)
			}
			labels := stack(n.Labels)
			labels[engine.LabelNetwork] = key
			// Attachable always: `docker run --network` and perry's own
			// one-off containers can join the stack's network.
			np.Overlay = bswarm.Overlay{Attachable: true, Internal: n.Internal, DriverOpts: n.DriverOpts, Labels: labels}
		}
		pl.Networks = append(pl.Networks, np)
	}

	for _, key := range sortedKeys(p.Volumes) {
		v := p.Volumes[key]
		if !bool(v.External) {
			pl.Volumes = append(pl.Volumes, objectName(p.Name, key, v.Name, false))
		}
	}

	secrets := map[string]types.FileObjectConfig{}
	for k, v := range p.Secrets {
		secrets[k] = types.FileObjectConfig(v)
	}
	configs := map[string]types.FileObjectConfig{}
	for k, v := range p.Configs {
		configs[k] = types.FileObjectConfig(v)
	}
	var err error
	if pl.Secrets, err = convertObjects(p, "secrets", secrets, stack); err != nil {
		return nil, err
	}
	if pl.Configs, err = convertObjects(p, "configs", configs, stack); err != nil {
		return nil, err
	}

	// A service another one waits for with service_completed_successfully
	// runs as a job: Swarm restarts a replicated service that exits.
	jobs := map[string]bool{}
	for _, s := range p.Services {
		for dep, d := range s.DependsOn {
			if d.Condition == types.ServiceConditionCompletedSuccessfully {
				jobs[dep] = true
			}
		}
	}
	for _, name := range sortedKeys(p.Services) {
		sp, err := convertService(p, pl, p.Services[name], jobs[name], imagePresent, stack)
		if err != nil {
			return nil, err
		}
		pl.Services[name] = sp
	}
	return pl, nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// objectName is docker stack deploy's name of a stack object: its name:
// (compose-go fills {project}_{key} in for objects that are not external),
// else the key for an external object, else {project}_{key}.
func objectName(project, key, name string, external bool) string {
	switch {
	case name != "":
		return name
	case external:
		return key
	}
	return project + "_" + key
}

func convertObjects(p *types.Project, kind string, objs map[string]types.FileObjectConfig, stack func(map[string]string) map[string]string) ([]ObjectPlan, error) {
	var out []ObjectPlan
	for _, key := range sortedKeys(objs) {
		o := objs[key]
		field := kind + "." + key
		op := ObjectPlan{Key: key, Name: objectName(p.Name, key, o.Name, bool(o.External)), External: bool(o.External)}
		if op.External {
			out = append(out, op)
			continue
		}
		if o.Driver != "" || o.TemplateDriver != "" {
			return nil, core.InvalidArgument(field, "%s %q: driver and template_driver are not supported by the Swarm target", kind[:len(kind)-1], key)
		}
		switch {
		case o.File != "":
			path := o.File
			if !filepath.IsAbs(path) {
				path = filepath.Join(p.WorkingDir, path)
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil, core.InvalidArgument(field+".file", "%s %q: %v", kind[:len(kind)-1], key, err)
			}
			op.Data = data
		case o.Content != "":
			op.Data = []byte(o.Content)
		case o.Environment != "":
			v, ok := p.Environment[o.Environment]
			if !ok {
				return nil, core.InvalidArgument(field+".environment", "%s %q: environment variable %q is not set", kind[:len(kind)-1], key, o.Environment)
			}
			op.Data = []byte(v)
		default:
			return nil, core.InvalidArgument(field, "%s %q: needs file, content or environment (or external)", kind[:len(kind)-1], key)
		}
		sum := sha256.Sum256(op.Data)
		op.Labels = stack(o.Labels)
		op.Labels[LabelContentHash] = hex.EncodeToString(sum[:])
		out = append(out, op)
	}
	return out, nil
}

// mappedServiceFields are the compose service fields the Swarm target maps
// (or that compose-go has already resolved into others: env_file into
// environment). Every other field present in a service is refused.
var mappedServiceFields = map[string]bool{
	"name": true, "image": true, "build": true, "command": true, "entrypoint": true,
	"environment": true, "env_file": true, "user": true, "working_dir": true,
	"healthcheck": true, "deploy": true, "networks": true, "volumes": true,
	"secrets": true, "configs": true, "ports": true, "labels": true,
	"depends_on": true, "restart": true, "stop_grace_period": true, "stop_signal": true,
	"hostname": true, "extra_hosts": true, "dns": true, "dns_search": true, "dns_opt": true,
	"cap_add": true, "cap_drop": true, "init": true, "read_only": true, "tty": true,
	"stdin_open": true, "sysctls": true, "ulimits": true, "group_add": true,
	"pull_policy": true, "scale": true, "profiles": true, "expose": true,
}

// refusedWhy explains the refusals a user most likely meets.
var refusedWhy = map[string]string{
	"container_name": "Swarm names the tasks of a service itself",
	"privileged":     "Swarm services cannot run privileged",
	"devices":        "Swarm services cannot map devices",
	"network_mode":   "Swarm services attach to overlay networks only",
	"pid":            "Swarm services cannot share a PID namespace",
	"ipc":            "Swarm services cannot share an IPC namespace",
	"links":          "links are not supported by Swarm; use the service name on a shared network",
	"volumes_from":   "Swarm services cannot share another container's volumes",
	"security_opt":   "Swarm services take no security options",
	"cgroup_parent":  "Swarm services take no cgroup parent",
	"shm_size":       "Swarm services take no shm_size",
	"mem_limit":      "use deploy.resources.limits.memory",
	"cpus":           "use deploy.resources.limits.cpus",
	"userns_mode":    "Swarm services take no user namespace mode",
	"logging":        "the Swarm target does not map logging drivers yet",
	"post_start":     "Swarm runs no lifecycle hooks in a service's tasks",
	"pre_stop":       "Swarm runs no lifecycle hooks in a service's tasks",
}

var mappedDeployFields = map[string]bool{
	"mode": true, "replicas": true, "labels": true, "update_config": true, "rollback_config": true,
	"resources": true, "restart_policy": true, "placement": true, "endpoint_mode": true,
}

// presentFields returns the JSON keys of v that are set (omitempty drops the rest).
func presentFields(v any) ([]string, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, err
	}
	return sortedKeys(m), nil
}

func refuse(service, field, why string) error {
	return core.InvalidArgument("services."+service+"."+field, "service %q: %s is not supported by the Swarm target: %s", service, field, why).With("service", service)
}

func convertService(p *types.Project, pl *Plan, s types.ServiceConfig, job bool, imagePresent func(string) bool,
	stack func(map[string]string) map[string]string) (*ServicePlan, error) {
	name := s.Name
	fields, err := presentFields(s)
	if err != nil {
		return nil, core.Errorf(core.KindInvalidConfig, "service %q: %v", name, err)
	}
	for _, f := range fields {
		if mappedServiceFields[f] || strings.HasPrefix(f, "x-") {
			continue
		}
		why := refusedWhy[f]
		if why == "" {
			why = "Swarm services have no equivalent"
		}
		return nil, refuse(name, f, why)
	}
	if s.Image == "" {
		return nil, refuse(name, "build", "a Swarm service needs an image every node can pull; set image:")
	}
	if s.Build != nil && (imagePresent == nil || !imagePresent(s.Image)) {
		return nil, refuse(name, "build", fmt.Sprintf("a Swarm service needs an image every node can pull, and %s is not present here: build and push it first", s.Image))
	}
	if s.PullPolicy == types.PullPolicyBuild {
		return nil, refuse(name, "pull_policy", "build is not possible on Swarm")
	}
	labels := stack(nil)
	labels[LabelService] = name
	cs := &swarm.ContainerSpec{
		Image:      s.Image,
		Command:    s.Entrypoint,
		Args:       s.Command,
		Hostname:   s.Hostname,
		Dir:        s.WorkingDir,
		User:       s.User,
		Groups:     s.GroupAdd,
		StopSignal: s.StopSignal,
		TTY:        s.Tty,
		OpenStdin:  s.StdinOpen,
		ReadOnly:   s.ReadOnly,
		Sysctls:    s.Sysctls,
		Init:       s.Init,
		Labels:     stack(s.Labels),
	}
	cs.Labels[LabelService] = name
	if s.Entrypoint == nil && s.Command != nil {
		cs.Args = s.Command
	}
	for _, k := range sortedKeys(s.Environment) {
		if v := s.Environment[k]; v != nil {
			cs.Env = append(cs.Env, k+"="+*v)
		} // an unset variable without a value is left out, as docker does
	}
	if s.StopGracePeriod != nil {
		d := time.Duration(*s.StopGracePeriod)
		cs.StopGracePeriod = &d
	}
	// Swarm takes /etc/hosts lines ("IP host"), in a stable order so the
	// config hash is too.
	for _, host := range sortedKeys(s.ExtraHosts) {
		for _, ip := range s.ExtraHosts[host] {
			cs.Hosts = append(cs.Hosts, ip+" "+host)
		}
	}
	if len(s.DNS) > 0 || len(s.DNSSearch) > 0 || len(s.DNSOpts) > 0 {
		return nil, refuse(name, "dns", "the Swarm target does not map DNS settings yet")
	}
	if len(s.CapAdd) > 0 || len(s.CapDrop) > 0 {
		cs.CapabilityAdd, cs.CapabilityDrop = s.CapAdd, s.CapDrop
	}
	for _, k := range sortedKeys(s.Ulimits) {
		u := s.Ulimits[k]
		soft, hard := int64(u.Soft), int64(u.Hard)
		if u.Single != 0 {
			soft, hard = int64(u.Single), int64(u.Single)
		}
		cs.Ulimits = append(cs.Ulimits, &container.Ulimit{Name: k, Soft: soft, Hard: hard})
	}
	if s.HealthCheck != nil {
		hc, err := healthcheck(name, s.HealthCheck)
		if err != nil {
			return nil, err
		}
		cs.Healthcheck = hc
	}

	// Volumes: named volumes are local volumes on whichever node the task
	// lands; bind mounts need the path on that node.
	for i, v := range s.Volumes {
		m := mount.Mount{Target: v.Target, ReadOnly: v.ReadOnly}
		switch v.Type {
		case types.VolumeTypeVolume:
			m.Type = mount.TypeVolume
			if v.Source != "" {
				vc, ok := p.Volumes[v.Source]
				if !ok {
					return nil, core.InvalidArgument(fmt.Sprintf("services.%s.volumes[%d]", name, i), "service %q: volume %q is not declared", name, v.Source).With("service", name)
				}
				m.Source = objectName(p.Name, v.Source, vc.Name, bool(vc.External))
				if !bool(vc.External) {
					vl := stack(vc.Labels)
					vl[engine.LabelVolume] = v.Source
					m.VolumeOptions = &mount.VolumeOptions{Labels: vl}
					if vc.Driver != "" || len(vc.DriverOpts) > 0 {
						m.VolumeOptions.DriverConfig = &mount.Driver{Name: vc.Driver, Options: vc.DriverOpts}
					}
				}
			}
			if v.Volume != nil && v.Volume.Subpath != "" {
				return nil, refuse(name, fmt.Sprintf("volumes[%d].volume.subpath", i), "the Swarm target mounts whole volumes")
			}
			if v.Volume != nil && v.Volume.NoCopy {
				if m.VolumeOptions == nil {
					m.VolumeOptions = &mount.VolumeOptions{}
				}
				m.VolumeOptions.NoCopy = true
			}
		case types.VolumeTypeBind:
			m.Type, m.Source = mount.TypeBind, v.Source
		case types.VolumeTypeTmpfs:
			m.Type = mount.TypeTmpfs
			if v.Tmpfs != nil && v.Tmpfs.Size > 0 {
				m.TmpfsOptions = &mount.TmpfsOptions{SizeBytes: int64(v.Tmpfs.Size)}
			}
		default:
			return nil, refuse(name, fmt.Sprintf("volumes[%d].type", i), fmt.Sprintf("volume type %q cannot be mounted in a Swarm service", v.Type))
		}
		cs.Mounts = append(cs.Mounts, m)
	}

	for i, ref := range s.Secrets {
		op := findObject(pl.Secrets, ref.Source)
		if op == nil {
			return nil, core.InvalidArgument(fmt.Sprintf("services.%s.secrets[%d]", name, i), "service %q: secret %q is not declared", name, ref.Source).With("service", name)
		}
		target := ref.Target
		if target == "" {
			target = ref.Source
		}
		uid, gid, mode := fileOwner(types.FileReferenceConfig(ref))
		cs.Secrets = append(cs.Secrets, &swarm.SecretReference{
			SecretName: op.Name,
			File:       &swarm.SecretReferenceFileTarget{Name: target, UID: uid, GID: gid, Mode: mode},
		})
	}
	for i, ref := range s.Configs {
		op := findObject(pl.Configs, ref.Source)
		if op == nil {
			return nil, core.InvalidArgument(fmt.Sprintf("services.%s.configs[%d]", name, i), "service %q: config %q is not declared", name, ref.Source).With("service", name)
		}
		target := ref.Target
		if target == "" {
			target = "/" + ref.Source
		}
		uid, gid, mode := fileOwner(types.FileReferenceConfig(ref))
		cs.Configs = append(cs.Configs, &swarm.ConfigReference{
			ConfigName: op.Name,
			File:       &swarm.ConfigReferenceFileTarget{Name: target, UID: uid, GID: gid, Mode: mode},
		})
	}

	spec := swarm.ServiceSpec{
		Annotations:  swarm.Annotations{Name: p.Name + "_" + name, Labels: labels},
		TaskTemplate: swarm.TaskSpec{ContainerSpec: cs},
	}
	for _, key := range sortedKeys(s.Networks) {
		np := findNetwork(pl.Networks, key)
		if np == nil {
			return nil, core.InvalidArgument("services."+name+".networks", "service %q: network %q is not declared", name, key).With("service", name)
		}
		att := swarm.NetworkAttachmentConfig{Target: np.Name, Aliases: []string{name}}
		if c := s.Networks[key]; c != nil {
			if c.Ipv4Address != "" || c.Ipv6Address != "" || c.MacAddress != "" || len(c.LinkLocalIPs) > 0 {
				return nil, refuse(name, "networks."+key, "Swarm assigns task addresses itself (ipv4_address, ipv6_address, mac_address, link_local_ips)")
			}
			att.Aliases = append(att.Aliases, c.Aliases...)
			att.DriverOpts = c.DriverOpts
		}
		spec.TaskTemplate.Networks = append(spec.TaskTemplate.Networks, att)
	}

	sp := &ServicePlan{Service: name, Job: job, Replicas: 1, Healthcheck: cs.Healthcheck != nil && !isNone(cs.Healthcheck.Test)}
	if s.Scale != nil {
		sp.Replicas = uint64(*s.Scale)
	}
	if err := applyDeploy(name, s, &spec, sp); err != nil {
		return nil, err
	}
	if err := applyPorts(name, s, &spec); err != nil {
		return nil, err
	}
	if sp.Job {
		// A job runs once: a failure is reported, not retried, unless the
		// file asks for retries with deploy.restart_policy.
		if spec.TaskTemplate.RestartPolicy == nil {
			spec.TaskTemplate.RestartPolicy = &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone}
		}
	} else if spec.TaskTemplate.RestartPolicy == nil {
		if rp := restartFromCompose(s.Restart); rp != nil {
			spec.TaskTemplate.RestartPolicy = rp
		}
	}

	hash, err := specHash(spec)
	if err != nil {
		return nil, core.Errorf(core.KindInternal, "service %q: %v", name, err)
	}
	sp.Hash = hash
	spec.Annotations.Labels[LabelConfigHash] = hash
	sp.Spec = spec
	return sp, nil
}

func isNone(test []string) bool { return len(test) > 0 && test[0] == "NONE" }

// specHash is the SHA-256 of a Swarm service spec's JSON: what a second up
// compares to decide whether the service changes. It differs from the local
// engine's loader.ServiceHash because replicas and the resolved object names
// are part of a Swarm service and an update is how they change.
func specHash(spec swarm.ServiceSpec) (string, error) {
	data, err := json.Marshal(spec)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}

func findObject(objs []ObjectPlan, key string) *ObjectPlan {
	for i := range objs {
		if objs[i].Key == key {
			return &objs[i]
		}
	}
	return nil
}

func findNetwork(nets []NetworkPlan, key string) *NetworkPlan {
	for i := range nets {
		if nets[i].Key == key {
			return &nets[i]
		}
	}
	return nil
}

func fileOwner(ref types.FileReferenceConfig) (uid, gid string, mode os.FileMode) {
	uid, gid, mode = ref.UID, ref.GID, 0o444
	if uid == "" {
		uid = "0"
	}
	if gid == "" {
		gid = "0"
	}
	if ref.Mode != nil {
		mode = os.FileMode(*ref.Mode)
	}
	return uid, gid, mode
}

func healthcheck(service string, h *types.HealthCheckConfig) (*container.HealthConfig, error) {
	if h.Disable {
		return &container.HealthConfig{Test: []string{"NONE"}}, nil
	}
	hc := &container.HealthConfig{Test: h.Test}
	d := func(p *types.Duration) time.Duration {
		if p == nil {
			return 0
		}
		return time.Duration(*p)
	}
	hc.Interval, hc.Timeout, hc.StartPeriod, hc.StartInterval = d(h.Interval), d(h.Timeout), d(h.StartPeriod), d(h.StartInterval)
	if h.Retries != nil {
		hc.Retries = int(*h.Retries)
	}
	return hc, nil
}

// restartFromCompose maps the service-level restart: to a Swarm restart
// policy when deploy.restart_policy is not given.
func restartFromCompose(r string) *swarm.RestartPolicy {
	switch {
	case r == "" || r == types.RestartPolicyAlways || r == types.RestartPolicyUnlessStopped:
		return nil // Swarm's default: any
	case r == types.RestartPolicyNo:
		return &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionNone}
	case strings.HasPrefix(r, types.RestartPolicyOnFailure):
		rp := &swarm.RestartPolicy{Condition: swarm.RestartPolicyConditionOnFailure}
		if _, n, ok := strings.Cut(r, ":"); ok {
			if v, err := strconv.ParseUint(n, 10, 64); err == nil {
				rp.MaxAttempts = &v
			}
		}
		return rp
	}
	return nil
}

func applyDeploy(name string, s types.ServiceConfig, spec *swarm.ServiceSpec, sp *ServicePlan) error {
	d := s.Deploy
	mode := ""
	if d != nil {
		fields, err := presentFields(d)
		if err != nil {
			return core.Errorf(core.KindInvalidConfig, "service %q: %v", name, err)
		}
		for _, f := range fields {
			if !mappedDeployFields[f] && !strings.HasPrefix(f, "x-") {
				return refuse(name, "deploy."+f, "Swarm has no equivalent")
			}
		}
		mode = d.Mode
		if d.Replicas != nil {
			sp.Replicas = uint64(*d.Replicas)
		}
		for k, v := range d.Labels {
			spec.Annotations.Labels[k] = v
		}
	}
	switch mode {
	case "", "replicated":
		r := sp.Replicas
		if sp.Job {
			spec.Mode = swarm.ServiceMode{ReplicatedJob: &swarm.ReplicatedJob{MaxConcurrent: &r, TotalCompletions: &r}}
		} else {
			spec.Mode = swarm.ServiceMode{Replicated: &swarm.ReplicatedService{Replicas: &r}}
		}
	case "replicated-job":
		r := sp.Replicas
		sp.Job = true
		spec.Mode = swarm.ServiceMode{ReplicatedJob: &swarm.ReplicatedJob{MaxConcurrent: &r, TotalCompletions: &r}}
	case "global":
		if sp.Job {
			spec.Mode = swarm.ServiceMode{GlobalJob: &swarm.GlobalJob{}}
		} else {
			spec.Mode = swarm.ServiceMode{Global: &swarm.GlobalService{}}
		}
		sp.Replicas = 0 // one per eligible node: the gate counts desired tasks
	case "global-job":
		sp.Job, sp.Replicas = true, 0
		spec.Mode = swarm.ServiceMode{GlobalJob: &swarm.GlobalJob{}}
	default:
		return refuse(name, "deploy.mode", fmt.Sprintf("unknown mode %q (replicated, global, replicated-job, global-job)", mode))
	}
	if d == nil {
		return nil
	}

	switch d.EndpointMode {
	case "", "vip":
		if d.EndpointMode == "vip" {
			spec.EndpointSpec = &swarm.EndpointSpec{Mode: swarm.ResolutionModeVIP}
		}
	case "dnsrr":
		spec.EndpointSpec = &swarm.EndpointSpec{Mode: swarm.ResolutionModeDNSRR}
	default:
		return refuse(name, "deploy.endpoint_mode", fmt.Sprintf("unknown endpoint mode %q (vip or dnsrr)", d.EndpointMode))
	}

	pc := d.Placement
	if len(pc.Constraints) > 0 || len(pc.Preferences) > 0 || pc.MaxReplicas > 0 {
		pl := &swarm.Placement{Constraints: pc.Constraints, MaxReplicas: pc.MaxReplicas}
		for _, pref := range pc.Preferences {
			pl.Preferences = append(pl.Preferences, swarm.PlacementPreference{Spread: &swarm.SpreadOver{SpreadDescriptor: pref.Spread}})
		}
		spec.TaskTemplate.Placement = pl
	}

	if rs, err := resources(name, d.Resources); err != nil {
		return err
	} else if rs != nil {
		spec.TaskTemplate.Resources = rs
	}

	if rp := d.RestartPolicy; rp != nil {
		p := &swarm.RestartPolicy{MaxAttempts: rp.MaxAttempts}
		switch rp.Condition {
		case "", "any":
			p.Condition = swarm.RestartPolicyConditionAny
		case "none", "no":
			p.Condition = swarm.RestartPolicyConditionNone
		case "on-failure":
			p.Condition = swarm.RestartPolicyConditionOnFailure
		default:
			return refuse(name, "deploy.restart_policy.condition", fmt.Sprintf("unknown condition %q (none, on-failure, any)", rp.Condition))
		}
		if rp.Delay != nil {
			v := time.Duration(*rp.Delay)
			p.Delay = &v
		}
		if rp.Window != nil {
			v := time.Duration(*rp.Window)
			p.Window = &v
		}
		spec.TaskTemplate.RestartPolicy = p
	}
	var err error
	if spec.UpdateConfig, err = updateConfig(name, "update_config", d.UpdateConfig); err != nil {
		return err
	}
	if spec.RollbackConfig, err = updateConfig(name, "rollback_config", d.RollbackConfig); err != nil {
		return err
	}
	return nil
}

func resources(name string, r types.Resources) (*swarm.ResourceRequirements, error) {
	if r.Limits == nil && r.Reservations == nil {
		return nil, nil
	}
	out := &swarm.ResourceRequirements{}
	if l := r.Limits; l != nil {
		if len(l.Devices) > 0 || len(l.GenericResources) > 0 {
			return nil, refuse(name, "deploy.resources.limits", "only cpus, memory and pids can be limited")
		}
		out.Limits = &swarm.Limit{NanoCPUs: int64(float32(l.NanoCPUs) * 1e9), MemoryBytes: int64(l.MemoryBytes), Pids: l.Pids}
	}
	if rv := r.Reservations; rv != nil {
		if len(rv.Devices) > 0 {
			return nil, refuse(name, "deploy.resources.reservations.devices", "Swarm services cannot reserve devices")
		}
		out.Reservations = &swarm.Resources{NanoCPUs: int64(float32(rv.NanoCPUs) * 1e9), MemoryBytes: int64(rv.MemoryBytes)}
		for _, g := range rv.GenericResources {
			switch {
			case g.DiscreteResourceSpec != nil:
				out.Reservations.GenericResources = append(out.Reservations.GenericResources, swarm.GenericResource{
					DiscreteResourceSpec: &swarm.DiscreteGenericResource{Kind: g.DiscreteResourceSpec.Kind, Value: g.DiscreteResourceSpec.Value}})
			}
		}
	}
	return out, nil
}

func updateConfig(name, field string, u *types.UpdateConfig) (*swarm.UpdateConfig, error) {
	if u == nil {
		return nil, nil
	}
	out := &swarm.UpdateConfig{Delay: time.Duration(u.Delay), Monitor: time.Duration(u.Monitor), MaxFailureRatio: u.MaxFailureRatio}
	if u.Parallelism != nil {
		out.Parallelism = *u.Parallelism
	} else {
		out.Parallelism = 1
	}
	switch u.FailureAction {
	case "", "pause", "continue", "rollback":
		out.FailureAction = swarm.FailureAction(u.FailureAction)
	default:
		return nil, refuse(name, "deploy."+field+".failure_action", fmt.Sprintf("unknown action %q (pause, continue, rollback)", u.FailureAction))
	}
	switch u.Order {
	case "", "stop-first", "start-first":
		out.Order = swarm.UpdateOrder(u.Order)
	default:
		return nil, refuse(name, "deploy."+field+".order", fmt.Sprintf("unknown order %q (stop-first, start-first)", u.Order))
	}
	return out, nil
}

// applyPorts publishes ports through the ingress routing mesh (the default)
// or on the node running the task (mode: host).
func applyPorts(name string, s types.ServiceConfig, spec *swarm.ServiceSpec) error {
	for i, pt := range s.Ports {
		field := fmt.Sprintf("ports[%d]", i)
		if pt.HostIP != "" {
			return refuse(name, field+".host_ip", "Swarm publishes on every address of a node")
		}
		pc := swarm.PortConfig{Name: pt.Name, TargetPort: pt.Target, Protocol: network.TCP}
		switch pt.Protocol {
		case "", "tcp":
		case "udp":
			pc.Protocol = network.UDP
		case "sctp":
			pc.Protocol = network.SCTP
		default:
			return refuse(name, field+".protocol", fmt.Sprintf("unknown protocol %q", pt.Protocol))
		}
		switch pt.Mode {
		case "", "ingress":
			pc.PublishMode = swarm.PortConfigPublishModeIngress
		case "host":
			pc.PublishMode = swarm.PortConfigPublishModeHost
		default:
			return refuse(name, field+".mode", fmt.Sprintf("unknown mode %q (ingress or host)", pt.Mode))
		}
		if pt.Published != "" {
			v, err := strconv.ParseUint(pt.Published, 10, 16)
			if err != nil {
				return refuse(name, field+".published", fmt.Sprintf("%q: Swarm publishes one port per target, not a range", pt.Published))
			}
			pc.PublishedPort = uint32(v)
		}
		if spec.EndpointSpec == nil {
			spec.EndpointSpec = &swarm.EndpointSpec{}
		}
		if spec.EndpointSpec.Mode == swarm.ResolutionModeDNSRR && pc.PublishMode == swarm.PortConfigPublishModeIngress {
			return refuse(name, field, "a dnsrr service can only publish ports in mode: host (the routing mesh needs a VIP)")
		}
		spec.EndpointSpec.Ports = append(spec.EndpointSpec.Ports, pc)
	}
	if spec.EndpointSpec != nil {
		slices.SortStableFunc(spec.EndpointSpec.Ports, func(a, b swarm.PortConfig) int { return int(a.TargetPort) - int(b.TargetPort) })
	}
	return nil
}
