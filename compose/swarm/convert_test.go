package swarm

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/moby/api/types/mount"
	"github.com/moby/moby/api/types/swarm"

	"github.com/perryts/perry-container/compose/loader"
	"github.com/perryts/perry-container/core"
)

// loadYAML loads a compose file as perry-compose would, project "st".
func loadYAML(t *testing.T, yaml string, env map[string]string, files map[string]string) *types.Project {
	t.Helper()
	dir := t.TempDir()
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(dir, "compose.yaml")
	if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := loader.Load(context.Background(), loader.Options{Files: []string{path}, ProjectName: "st", Environment: env})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestConvertMaps(t *testing.T) {
	cases := []struct {
		name  string
		yaml  string
		env   map[string]string
		files map[string]string
		check func(t *testing.T, pl *Plan)
	}{
		{
			name: "replicated service, names and stack labels",
			yaml: `
services:
  web:
    image: img:1
    deploy: {replicas: 3, labels: {tier: front}}
    labels: {app: web}
`,
			check: func(t *testing.T, pl *Plan) {
				s := pl.Services["web"].Spec
				if s.Name != "st_web" || *s.Mode.Replicated.Replicas != 3 {
					t.Fatalf("name %q mode %+v", s.Name, s.Mode)
				}
				for k, v := range map[string]string{LabelNamespace: "st", LabelProject: "st", LabelService: "web", "tier": "front"} {
					if s.Labels[k] != v {
						t.Errorf("service label %s = %q, want %q", k, s.Labels[k], v)
					}
				}
				if s.Labels[LabelConfigHash] != pl.Services["web"].Hash || len(pl.Services["web"].Hash) != 64 {
					t.Errorf("config hash label %q", s.Labels[LabelConfigHash])
				}
				cl := s.TaskTemplate.ContainerSpec.Labels
				if cl["app"] != "web" || cl[LabelNamespace] != "st" {
					t.Errorf("container labels %v", cl)
				}
				if len(pl.Networks) != 1 || pl.Networks[0].Name != "st_default" || !pl.Networks[0].Overlay.Attachable || pl.Networks[0].Overlay.Labels[LabelNamespace] != "st" {
					t.Errorf("networks %+v", pl.Networks)
				}
				if n := s.TaskTemplate.Networks; len(n) != 1 || n[0].Target != "st_default" || n[0].Aliases[0] != "web" {
					t.Errorf("attachments %+v", n)
				}
			},
		},
		{
			name: "a service waited for with service_completed_successfully is a replicated job without restarts",
			yaml: `
services:
  migrate: {image: img, restart: "no"}
  app:
    image: img
    depends_on: {migrate: {condition: service_completed_successfully}}
`,
			check: func(t *testing.T, pl *Plan) {
				m := pl.Services["migrate"]
				if !m.Job || m.Spec.Mode.ReplicatedJob == nil || *m.Spec.Mode.ReplicatedJob.TotalCompletions != 1 {
					t.Fatalf("migrate: job %v mode %+v", m.Job, m.Spec.Mode)
				}
				if rp := m.Spec.TaskTemplate.RestartPolicy; rp == nil || rp.Condition != swarm.RestartPolicyConditionNone {
					t.Fatalf("migrate restart policy %+v", rp)
				}
				if pl.Services["app"].Job || pl.Services["app"].Spec.Mode.Replicated == nil {
					t.Fatalf("app is not a replicated service")
				}
			},
		},
		{
			name: "global and explicit job modes",
			yaml: `
services:
  agent: {image: img, deploy: {mode: global}}
  once: {image: img, deploy: {mode: replicated-job, replicas: 2}}
  everywhere: {image: img, deploy: {mode: global-job}}
`,
			check: func(t *testing.T, pl *Plan) {
				if pl.Services["agent"].Spec.Mode.Global == nil {
					t.Error("agent is not global")
				}
				if j := pl.Services["once"].Spec.Mode.ReplicatedJob; j == nil || *j.TotalCompletions != 2 || !pl.Services["once"].Job {
					t.Errorf("once: %+v", pl.Services["once"].Spec.Mode)
				}
				if pl.Services["everywhere"].Spec.Mode.GlobalJob == nil {
					t.Error("everywhere is not a global job")
				}
			},
		},
		{
			name: "deploy: placement, resources, restart, update and rollback, endpoint mode",
			yaml: `
services:
  api:
    image: img
    deploy:
      endpoint_mode: dnsrr
      placement:
        constraints: [node.role == manager]
        preferences: [{spread: node.labels.zone}]
        max_replicas_per_node: 2
      resources:
        limits: {cpus: "0.5", memory: 64M, pids: 100}
        reservations: {cpus: "0.25", memory: 32M}
      restart_policy: {condition: on-failure, delay: 2s, max_attempts: 3, window: 10s}
      update_config: {parallelism: 2, delay: 1s, order: start-first, failure_action: rollback, monitor: 5s, max_failure_ratio: 0.5}
      rollback_config: {parallelism: 1, order: stop-first}
`,
			check: func(t *testing.T, pl *Plan) {
				s := pl.Services["api"].Spec
				tt := s.TaskTemplate
				if s.EndpointSpec == nil || s.EndpointSpec.Mode != swarm.ResolutionModeDNSRR {
					t.Errorf("endpoint %+v", s.EndpointSpec)
				}
				if tt.Placement.Constraints[0] != "node.role == manager" || tt.Placement.Preferences[0].Spread.SpreadDescriptor != "node.labels.zone" || tt.Placement.MaxReplicas != 2 {
					t.Errorf("placement %+v", tt.Placement)
				}
				if l := tt.Resources.Limits; l.NanoCPUs != 5e8 || l.MemoryBytes != 64<<20 || l.Pids != 100 {
					t.Errorf("limits %+v", l)
				}
				if r := tt.Resources.Reservations; r.NanoCPUs != 25e7 || r.MemoryBytes != 32<<20 {
					t.Errorf("reservations %+v", r)
				}
				if rp := tt.RestartPolicy; rp.Condition != swarm.RestartPolicyConditionOnFailure || *rp.Delay != 2*time.Second || *rp.MaxAttempts != 3 || *rp.Window != 10*time.Second {
					t.Errorf("restart %+v", rp)
				}
				if u := s.UpdateConfig; u.Parallelism != 2 || u.Delay != time.Second || u.Order != "start-first" || u.FailureAction != "rollback" || u.Monitor != 5*time.Second || u.MaxFailureRatio != 0.5 {
					t.Errorf("update %+v", u)
				}
				if r := s.RollbackConfig; r.Parallelism != 1 || r.Order != "stop-first" {
					t.Errorf("rollback %+v", r)
				}
			},
		},
		{
			name: "container: command, entrypoint, environment, user, workdir, healthcheck",
			yaml: `
services:
  w:
    image: img
    entrypoint: ["/bin/sh", "-c"]
    command: ["echo hi"]
    environment: {A: "1", B: "two"}
    user: "1000:1000"
    working_dir: /srv
    extra_hosts: ["db.local=10.0.0.2", "api.local=10.0.0.3"]
    stop_grace_period: 3s
    healthcheck:
      test: ["CMD", "true"]
      interval: 1s
      timeout: 2s
      retries: 4
      start_period: 5s
`,
			check: func(t *testing.T, pl *Plan) {
				cs := pl.Services["w"].Spec.TaskTemplate.ContainerSpec
				if strings.Join(cs.Command, " ") != "/bin/sh -c" || strings.Join(cs.Args, " ") != "echo hi" {
					t.Errorf("command %v args %v", cs.Command, cs.Args)
				}
				if strings.Join(cs.Env, ",") != "A=1,B=two" || cs.User != "1000:1000" || cs.Dir != "/srv" || *cs.StopGracePeriod != 3*time.Second {
					t.Errorf("env %v user %q dir %q", cs.Env, cs.User, cs.Dir)
				}
				if strings.Join(cs.Hosts, ",") != "10.0.0.3 api.local,10.0.0.2 db.local" {
					t.Errorf("hosts %v", cs.Hosts)
				}
				h := cs.Healthcheck
				if h == nil || strings.Join(h.Test, " ") != "CMD true" || h.Interval != time.Second || h.Timeout != 2*time.Second || h.Retries != 4 || h.StartPeriod != 5*time.Second {
					t.Errorf("healthcheck %+v", h)
				}
				if !pl.Services["w"].Healthcheck {
					t.Error("plan does not know of the healthcheck")
				}
			},
		},
		{
			name: "named, bind and tmpfs volumes",
			yaml: `
services:
  db:
    image: img
    volumes: [data:/var/lib/db, /srv/conf:/conf:ro, {type: tmpfs, target: /tmp}]
volumes:
  data: {labels: {keep: "yes"}}
`,
			check: func(t *testing.T, pl *Plan) {
				ms := pl.Services["db"].Spec.TaskTemplate.ContainerSpec.Mounts
				if len(ms) != 3 {
					t.Fatalf("mounts %+v", ms)
				}
				v := ms[0]
				if v.Type != mount.TypeVolume || v.Source != "st_data" || v.VolumeOptions.Labels[LabelNamespace] != "st" || v.VolumeOptions.Labels["keep"] != "yes" {
					t.Errorf("volume %+v", v)
				}
				if ms[1].Type != mount.TypeBind || ms[1].Source != "/srv/conf" || !ms[1].ReadOnly || ms[2].Type != mount.TypeTmpfs {
					t.Errorf("bind/tmpfs %+v %+v", ms[1], ms[2])
				}
				if strings.Join(pl.Volumes, ",") != "st_data" {
					t.Errorf("volumes %v", pl.Volumes)
				}
			},
		},
		{
			name:  "secrets and configs from file, content and environment",
			env:   map[string]string{"TOKEN": "t0k"},
			files: map[string]string{"cert.pem": "CERT"},
			yaml: `
services:
  app:
    image: img
    secrets: [token, {source: cert, target: tls.pem, mode: 0400, uid: "10"}]
    configs: [{source: conf, target: /etc/app.conf}]
secrets:
  token: {environment: TOKEN}
  cert: {file: ./cert.pem}
configs:
  conf: {content: "port=1"}
`,
			check: func(t *testing.T, pl *Plan) {
				data := map[string]string{}
				for _, o := range append(append([]ObjectPlan{}, pl.Secrets...), pl.Configs...) {
					data[o.Name] = string(o.Data)
					if o.Labels[LabelNamespace] != "st" || len(o.Labels[LabelContentHash]) != 64 {
						t.Errorf("%s labels %v", o.Name, o.Labels)
					}
				}
				if data["st_token"] != "t0k" || data["st_cert"] != "CERT" || data["st_conf"] != "port=1" {
					t.Errorf("data %v", data)
				}
				cs := pl.Services["app"].Spec.TaskTemplate.ContainerSpec
				var refs []string
				for _, r := range cs.Secrets {
					refs = append(refs, r.SecretName+">"+r.File.Name+":"+r.File.UID+":"+r.File.Mode.String())
				}
				if strings.Join(refs, ",") != "st_token>/run/secrets/token:0:-r--r--r--,st_cert>tls.pem:10:-r--------" {
					t.Errorf("secret refs %v", refs)
				}
				if len(cs.Configs) != 1 || cs.Configs[0].ConfigName != "st_conf" || cs.Configs[0].File.Name != "/etc/app.conf" {
					t.Errorf("config refs %+v", cs.Configs)
				}
			},
		},
		{
			name: "ports: ingress by default, host mode",
			yaml: `
services:
  web:
    image: img
    ports: ["8080:80", {target: 443, published: "8443", mode: host, protocol: tcp}, "53:53/udp"]
`,
			check: func(t *testing.T, pl *Plan) {
				ps := pl.Services["web"].Spec.EndpointSpec.Ports
				var got []string
				for _, p := range ps {
					got = append(got, string(p.PublishMode)+":"+string(p.Protocol)+":"+itoa(p.PublishedPort)+">"+itoa(p.TargetPort))
				}
				if strings.Join(got, ",") != "ingress:udp:53>53,ingress:tcp:8080>80,host:tcp:8443>443" {
					t.Errorf("ports %v", got)
				}
			},
		},
		{
			name: "external network and an overlay with options",
			yaml: `
services:
  a: {image: img, networks: {back: {aliases: [db]}, shared: {}}}
networks:
  back: {driver: overlay, internal: true}
  shared: {external: true, name: corp}
`,
			check: func(t *testing.T, pl *Plan) {
				if len(pl.Networks) != 2 || pl.Networks[0].Name != "st_back" || !pl.Networks[0].Overlay.Internal || !pl.Networks[1].External || pl.Networks[1].Name != "corp" {
					t.Fatalf("networks %+v", pl.Networks)
				}
				att := pl.Services["a"].Spec.TaskTemplate.Networks
				if len(att) != 2 || att[0].Target != "st_back" || strings.Join(att[0].Aliases, ",") != "a,db" || att[1].Target != "corp" {
					t.Errorf("attachments %+v", att)
				}
			},
		},
		{
			name: "the same project gives the same hash; a change gives another",
			yaml: `
services:
  a: {image: img, environment: {X: "1"}}
  b: {image: img, environment: {X: "2"}}
`,
			check: func(t *testing.T, pl *Plan) {
				if pl.Services["a"].Hash == pl.Services["b"].Hash {
					t.Error("different services, same hash")
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := loadYAML(t, tc.yaml, tc.env, tc.files)
			pl, err := Convert(p, nil)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, pl)
			again, err := Convert(loadYAML(t, tc.yaml, tc.env, tc.files), nil)
			if err != nil {
				t.Fatal(err)
			}
			for name, sp := range pl.Services {
				if again.Services[name].Hash != sp.Hash {
					t.Errorf("%s: hash not stable across loads", name)
				}
			}
		})
	}
}

func itoa(v uint32) string { return strconv.FormatUint(uint64(v), 10) }

func TestConvertRefuses(t *testing.T) {
	cases := []struct {
		name, yaml, field string
		env               map[string]string
		present           func(string) bool
	}{
		{"container_name", `{services: {a: {image: img, container_name: xname}}}`, "services.a.container_name", nil, nil},
		{"privileged", `{services: {a: {image: img, privileged: true}}}`, "services.a.privileged", nil, nil},
		{"network_mode", `{services: {a: {image: img, network_mode: host}}}`, "services.a.network_mode", nil, nil},
		{"devices", `{services: {a: {image: img, devices: ["/dev/null:/dev/x"]}}}`, "services.a.devices", nil, nil},
		{"a post_start hook", `{services: {a: {image: img, post_start: [{command: "true"}]}}}`, "services.a.post_start", nil, nil},
		{"a pre_stop hook", `{services: {a: {image: img, pre_stop: [{command: "true"}]}}}`, "services.a.pre_stop", nil, nil},
		{"build without a local image", `{services: {a: {image: img:x, build: .}}}`, "services.a.build", nil, func(string) bool { return false }},
		{"build without image", `{services: {a: {build: .}}}`, "services.a.build", nil, nil},
		{"a host ip", `{services: {a: {image: img, ports: ["127.0.0.1:8000:80"]}}}`, "services.a.ports[0].host_ip", nil, nil},
		{"an ingress port on dnsrr", `{services: {a: {image: img, deploy: {endpoint_mode: dnsrr}, ports: ["80:80"]}}}`, "services.a.ports[0]", nil, nil},
		{"a bridge network", `{services: {a: {image: img}}, networks: {default: {driver: bridge}}}`, "networks.default.driver", nil, nil},
		{"ipam pools", `{services: {a: {image: img}}, networks: {default: {ipam: {config: [{subnet: 10.5.0.0/16}]}}}}`, "networks.default.ipam", nil, nil},
		{"an ipam driver", `{services: {a: {image: img}}, networks: {default: {ipam: {driver: default}}}}`, "networks.default.ipam", nil, nil},
		{"ipam options alone", `{services: {a: {image: img}}, networks: {default: {ipam: {options: {k: v}}}}}`, "networks.default.ipam", nil, nil},
		{"an IPv6-only network", `{services: {a: {image: img}}, networks: {default: {enable_ipv4: false}}}`, "networks.default.enable_ipv4", nil, nil},
		{"a volume's subpath", `{services: {a: {image: img, volumes: [{type: volume, source: d, target: /x, volume: {subpath: sub}}]}}, volumes: {d: {}}}`,
			"services.a.volumes[0].volume.subpath", nil, nil},
		{"a static address", `{services: {a: {image: img, networks: {n: {ipv4_address: 10.0.0.5}}}}, networks: {n: {}}}`, "services.a.networks.n", nil, nil},
		{"an unset secret variable", `{services: {a: {image: img, secrets: [s]}}, secrets: {s: {environment: NOPE}}}`, "secrets.s.environment", nil, nil},
		{"an unknown deploy mode", `{services: {a: {image: img, deploy: {mode: sometimes}}}}`, "services.a.deploy.mode", nil, nil},
		{"device reservations", `{services: {a: {image: img, deploy: {resources: {reservations: {devices: [{capabilities: [gpu]}]}}}}}}`, "services.a.deploy.resources.reservations.devices", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := loadYAML(t, tc.yaml, tc.env, nil)
			_, err := Convert(p, tc.present)
			if err == nil {
				t.Fatalf("converted, want InvalidArgument on %s", tc.field)
			}
			ce := core.AsError(err)
			if ce.Kind != core.KindInvalidArgument || ce.Details["argument"] != tc.field {
				t.Fatalf("err %v (kind %v, details %v), want InvalidArgument on %s", err, ce.Kind, ce.Details, tc.field)
			}
		})
	}
}

// A service with build: deploys when its image is already present here.
func TestConvertBuildWithLocalImage(t *testing.T) {
	p := loadYAML(t, `{services: {a: {image: "img:x", build: .}}}`, nil, nil)
	pl, err := Convert(p, func(ref string) bool { return ref == "img:x" })
	if err != nil {
		t.Fatal(err)
	}
	if pl.Services["a"].Spec.TaskTemplate.ContainerSpec.Image != "img:x" {
		t.Fatal(pl.Services["a"].Spec.TaskTemplate.ContainerSpec.Image)
	}
}

// Extension fields are the user's own and never refused.
func TestConvertIgnoresExtensions(t *testing.T) {
	p := loadYAML(t, `{services: {a: {image: img, x-team: blue}}}`, nil, nil)
	if _, err := Convert(p, nil); err != nil {
		t.Fatal(err)
	}
}
