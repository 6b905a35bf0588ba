package loader

import (
	"context"
	"encoding/json"
	"regexp"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/core"
)

const demoYAML = `name: demo
services:
  web:
    image: nginx:${TAG}
    environment:
      PRICE: "$$5"
    depends_on: [db]
    ports: ["8080:80"]
    volumes: ["cache:/cache"]
  db:
    image: redis
    env_file: [db.env]
  builder:
    build: .
    profiles: [tools]
  debug:
    image: busybox
    profiles: [dev, tools]
volumes:
  cache: {}
  logs: {}
`

// demoProject loads demoYAML with every profile enabled.
func demoProject(t *testing.T) *types.Project {
	t.Helper()
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"compose.yaml": demoYAML, "db.env": "PASSWORD=secret\n", "Dockerfile": "FROM scratch\n"})
	return mustLoad(t, Options{WorkingDir: root, Environment: map[string]string{"TAG": "1.25"}, Profiles: []string{"*"}})
}

// The YAML docker compose v2 prints for demoYAML (with compose-go v2.16.2:
// its field order, the implicit default network, depends_on in long form,
// env_file merged into environment and dropped, '$' escaped, the unused
// volume logs left out).
const demoConfigYAML = `name: demo
services:
  builder:
    profiles:
      - tools
    networks:
      default: null
    build:
      context: ROOT
      dockerfile: Dockerfile
  db:
    environment:
      PASSWORD: secret
    image: redis
    networks:
      default: null
  debug:
    profiles:
      - dev
      - tools
    image: busybox
    networks:
      default: null
  web:
    environment:
      PRICE: $$5
    image: nginx:1.25
    networks:
      default: null
    volumes:
      - type: volume
        source: cache
        target: /cache
        volume: {}
    depends_on:
      db:
        condition: service_started
        required: true
    ports:
      - mode: ingress
        target: 80
        published: "8080"
        protocol: tcp
networks:
  default:
    name: demo_default
volumes:
  cache:
    name: demo_cache
`

func TestConfigYAML(t *testing.T) {
	p := demoProject(t)
	out, err := Config(p, ConfigOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.ReplaceAll(demoConfigYAML, "ROOT", p.WorkingDir)
	if string(out) != want {
		t.Errorf("config output:\n%s\nwant:\n%s", out, want)
	}
	if yml, _ := Config(p, ConfigOptions{Format: "yaml"}); string(yml) != string(out) {
		t.Errorf(`Format "yaml" differs from the default`)
	}
}

func TestConfigJSON(t *testing.T) {
	out, err := Config(demoProject(t), ConfigOptions{Format: "json"})
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Name     string `json:"name"`
		Services map[string]struct {
			Environment map[string]string `json:"environment"`
			DependsOn   map[string]struct {
				Condition string `json:"condition"`
				Required  bool   `json:"required"`
			} `json:"depends_on"`
			EnvFile any `json:"env_file"`
		} `json:"services"`
		Networks map[string]struct {
			Name string `json:"name"`
		} `json:"networks"`
	}
	if err := json.Unmarshal(out, &m); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	web, db := m.Services["web"], m.Services["db"]
	switch {
	case m.Name != "demo":
		t.Errorf("name = %q", m.Name)
	case m.Networks["default"].Name != "demo_default":
		t.Errorf("default network = %v", m.Networks)
	case web.DependsOn["db"].Condition != "service_started" || !web.DependsOn["db"].Required:
		t.Errorf("web.depends_on = %v", web.DependsOn)
	case web.Environment["PRICE"] != "$$5":
		t.Errorf("PRICE = %q, want the re-escaped $$5", web.Environment["PRICE"])
	case db.Environment["PASSWORD"] != "secret" || db.EnvFile != nil:
		t.Errorf("db env = %v, env_file = %v; want env_file merged and dropped", db.Environment, db.EnvFile)
	}
}

func TestConfigListings(t *testing.T) {
	p := demoProject(t)
	hash := `[0-9a-f]{64}`
	tests := []struct {
		name string
		opts ConfigOptions
		want string // a regexp matching the whole output
	}{
		{"--services: dependencies first", ConfigOptions{Services: true}, "builder\ndb\ndebug\nweb\n"},
		{"--volumes: only those services use", ConfigOptions{Volumes: true}, "cache\n"},
		{"--profiles", ConfigOptions{Profiles: true}, "dev\ntools\n"},
		{"--images: image or {project}-{service}", ConfigOptions{Images: true}, "demo-builder\nredis\nbusybox\nnginx:1.25\n"},
		{`--hash "*"`, ConfigOptions{Hash: true}, "builder " + hash + "\ndb " + hash + "\ndebug " + hash + "\nweb " + hash + "\n"},
		{"--hash web,db sorted", ConfigOptions{Hash: true, HashServices: []string{"web", "db"}}, "db " + hash + "\nweb " + hash + "\n"},
		{"--services wins over --volumes", ConfigOptions{Services: true, Volumes: true}, "builder\ndb\ndebug\nweb\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := Config(p, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^` + tt.want + `$`).Match(out) {
				t.Errorf("output %q does not match %q", out, tt.want)
			}
		})
	}
}

// docker compose's config shows only the resources enabled services use.
func TestConfigLeavesOutUnusedResources(t *testing.T) {
	const model = `{"name":"x","services":{
		"web":{"image":"i","networks":["front"],"volumes":["data:/data"],"secrets":["key"],"configs":["conf"],
		       "build":{"context":".","secrets":["token"]}},
		"tool":{"image":"i","profiles":["tools"],"networks":["back"],"volumes":["cache:/cache"]}},
		"networks":{"front":{},"back":{},"spare":{}},
		"volumes":{"data":{},"cache":{},"spare":{}},
		"secrets":{"key":{"file":"./key"},"token":{"file":"./token"},"spare":{"file":"./spare"}},
		"configs":{"conf":{"file":"./conf"},"spare":{"file":"./spare"}}}`
	tests := []struct {
		name     string
		profiles []string
		opts     ConfigOptions
		present  []string
		absent   []string
	}{
		{
			name:    "unused resources left out",
			present: []string{"\n  front:\n    name: x_front\n", "\n  data:\n    name: x_data\n", "\n  key:\n", "\n  token:\n", "\n  conf:\n"},
			absent:  []string{"spare", "x_back", "x_cache", "x_default"},
		},
		{
			name:     "a profile's resources kept when it is enabled",
			profiles: []string{"tools"},
			present:  []string{"\n  back:\n    name: x_back\n", "\n  cache:\n    name: x_cache\n"},
			absent:   []string{"spare"},
		},
		{
			name:    "json too",
			opts:    ConfigOptions{Format: "json"},
			present: []string{`"x_front"`, `"x_data"`},
			absent:  []string{"spare", "x_back"},
		},
		{name: "--volumes lists used volumes only", opts: ConfigOptions{Volumes: true}, present: []string{"data\n"}, absent: []string{"cache", "spare"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, Options{Inline: []byte(model), Profiles: tt.profiles})
			out, err := Config(p, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.present {
				if !strings.Contains(string(out), s) {
					t.Errorf("output lacks %q:\n%s", s, out)
				}
			}
			for _, s := range tt.absent {
				if strings.Contains(string(out), s) {
					t.Errorf("output has %q:\n%s", s, out)
				}
			}
			if _, ok := p.Networks["spare"]; !ok {
				t.Errorf("Config removed the network from the caller's project")
			}
		})
	}

	// A project whose services are all disabled has no default network.
	p := mustLoad(t, Options{Inline: []byte(`{"name":"x","services":{"web":{"image":"i","profiles":["p"]}}}`)})
	out, err := Config(p, ConfigOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "name: x\nservices: {}\n" {
		t.Errorf("output %q, want only the name and no services", out)
	}
}

func TestConfigServicesInDependencyOrder(t *testing.T) {
	p := mustLoad(t, Options{Inline: []byte(`{"name":"x","services":{
		"a":{"image":"i","depends_on":["m"]},"m":{"image":"i","depends_on":["z"]},"z":{"image":"i"}}}`)})
	out, err := Config(p, ConfigOptions{Services: true})
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != "z\nm\na\n" {
		t.Errorf("services = %q, want z, m, a", out)
	}
}

func TestConfigErrors(t *testing.T) {
	p := demoProject(t)
	_, err := Config(p, ConfigOptions{Format: "toml"})
	wantError(t, err, core.KindInvalidArgument, `"toml"`)
	_, err = Config(p, ConfigOptions{Hash: true, HashServices: []string{"nope"}})
	wantError(t, err, core.KindNotFound, `"nope"`)
	_, err = Config(nil, ConfigOptions{})
	wantError(t, err, core.KindInvalidArgument)
}

func TestConfigNoInterpolate(t *testing.T) {
	p := mustLoad(t, Options{Inline: []byte(`{"name":"x","services":{"web":{"image":"i","environment":{"A":"${HOME}"}}}}`)})
	out, err := Config(p, ConfigOptions{NoInterpolate: true})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "A: ${HOME}\n") {
		t.Errorf("output does not keep the literal ${HOME}:\n%s", out)
	}
	escaped, _ := Config(p, ConfigOptions{})
	if !strings.Contains(string(escaped), "A: $${HOME}\n") {
		t.Errorf("default output does not escape '$':\n%s", escaped)
	}
}

func TestConfigRejectsDuplicateContainerNames(t *testing.T) {
	p := mustLoad(t, Options{Inline: []byte(`{"name":"x","services":{
		"a":{"image":"i","container_name":"same"},"b":{"image":"i","container_name":"same"}}}`)})
	_, err := Config(p, ConfigOptions{})
	wantError(t, err, core.KindInvalidConfig, `"same"`)
}

func TestServiceHash(t *testing.T) {
	base := func() types.ServiceConfig {
		return mustLoad(t, Options{Inline: []byte(`{"name":"x","services":{
			"db":{"image":"redis"},
			"web":{"image":"nginx","environment":{"A":"1"},"depends_on":["db"],"deploy":{"replicas":2},"scale":2,
			       "pull_policy":"always","profiles":["p"],"build":{"context":"."}}}}`),
			Profiles: []string{"p"}}).Services["web"]
	}
	h0, err := ServiceHash(base())
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(h0) {
		t.Fatalf("hash %q is not hex SHA-256", h0)
	}

	// Fields that never force a recreate do not change the hash.
	same := map[string]func(s *types.ServiceConfig){
		"build":           func(s *types.ServiceConfig) { s.Build = &types.BuildConfig{Context: "/elsewhere"} },
		"pull_policy":     func(s *types.ServiceConfig) { s.PullPolicy = "never" },
		"scale":           func(s *types.ServiceConfig) { n := 7; s.Scale = &n },
		"deploy.replicas": func(s *types.ServiceConfig) { n := 7; s.Deploy.Replicas = &n },
		"depends_on":      func(s *types.ServiceConfig) { s.DependsOn = nil },
		"profiles":        func(s *types.ServiceConfig) { s.Profiles = []string{"q"} },
	}
	for name, change := range same {
		s := base()
		change(&s)
		if h, _ := ServiceHash(s); h != h0 {
			t.Errorf("changing %s changed the hash", name)
		}
	}
	// Fields that matter do.
	differ := map[string]func(s *types.ServiceConfig){
		"image":       func(s *types.ServiceConfig) { s.Image = "httpd" },
		"environment": func(s *types.ServiceConfig) { v := "2"; s.Environment["A"] = &v },
		"command":     func(s *types.ServiceConfig) { s.Command = types.ShellCommand{"run"} },
	}
	for name, change := range differ {
		s := base()
		change(&s)
		if h, _ := ServiceHash(s); h == h0 {
			t.Errorf("changing %s did not change the hash", name)
		}
	}

	// It does not write through Deploy into the caller's service.
	s := base()
	if _, err := ServiceHash(s); err != nil || s.Deploy.Replicas == nil || *s.Deploy.Replicas != 2 {
		t.Errorf("ServiceHash modified the caller's deploy.replicas: %v", s.Deploy.Replicas)
	}
}

// Strings YAML 1.1 reads as booleans are single-quoted and long strings
// folded at 80 columns, byte for byte as docker compose v5.6.0 prints them
// (its go.yaml.in/yaml/v4 v4.0.0-rc.6 encoder; rc.4 double-quoted them and
// never folded).
func TestConfigQuotingAndFolding(t *testing.T) {
	tests := []struct {
		name    string
		service string // the service's JSON fields besides image
		want    string // the lines expected in the output
	}{
		{name: "restart no single-quoted", service: `"restart":"no"`, want: "    restart: 'no'\n"},
		{name: "yes single-quoted", service: `"environment":{"A":"yes"}`, want: "    environment:\n      A: 'yes'\n"},
		{name: "Y single-quoted", service: `"environment":{"A":"Y"}`, want: "    environment:\n      A: 'Y'\n"},
		{name: "on single-quoted", service: `"environment":{"A":"on"}`, want: "    environment:\n      A: 'on'\n"},
		{name: "number stays double-quoted", service: `"environment":{"A":"123"}`, want: "    environment:\n      A: \"123\"\n"},
		{name: "plain string unquoted", service: `"environment":{"A":"hello"}`, want: "    environment:\n      A: hello\n"},
		{
			name:    "long string folded at 80 columns",
			service: `"environment":{"A":"a fairly long value with spaces that goes well beyond the eighty column limit of the encoder"}`,
			want:    "    environment:\n      A: a fairly long value with spaces that goes well beyond the eighty column limit\n        of the encoder\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := mustLoad(t, Options{Inline: []byte(`{"name":"x","services":{"web":{"image":"i",` + tt.service + `}}}`)})
			out, err := Config(p, ConfigOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("output does not have %q:\n%s", tt.want, out)
			}
		})
	}
}

// config --no-interpolate: docker compose prints compose-go's model, as
// written, keys sorted; the output below is docker compose v5.6.0's for
// noInterpolateYAML.
const noInterpolateYAML = `services:
  web:
    image: busybox:${TAG:-latest}
    environment:
      PRICE: "$$5"
      VALUE: ${SOME_VAR}
    restart: "no"
    depends_on: [db]
  db:
    image: redis
    profiles: [tools]
networks:
  spare: {}
`

const noInterpolateConfigYAML = `name: demo
networks:
  default:
    name: demo_default
  spare:
    name: demo_spare
services:
  db:
    image: redis
    networks:
      default: null
    profiles:
      - tools
  web:
    depends_on:
      db:
        condition: service_started
        required: true
    environment:
      PRICE: $$5
      VALUE: ${SOME_VAR}
    image: busybox:${TAG:-latest}
    networks:
      default: null
    restart: 'no'
`

func TestConfigModel(t *testing.T) {
	root := t.TempDir()
	writeFiles(t, root, map[string]string{"compose.yaml": noInterpolateYAML})
	// LoadModel never interpolates: NoInterpolate is not needed.
	opts := Options{WorkingDir: root, ProjectName: "demo", Environment: map[string]string{"TAG": "1.0", "SOME_VAR": "set"}}
	m, err := LoadModel(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts ConfigOptions
		want string // a regexp matching the whole output
	}{
		{name: "yaml as written, keys sorted", opts: ConfigOptions{}, want: regexp.QuoteMeta(noInterpolateConfigYAML)},
		{name: "json", opts: ConfigOptions{Format: "json"}, want: `(?s)\{\n  "name": "demo",\n.*"VALUE": "\$\{SOME_VAR\}".*\n\}`},
		{name: "--services: every service, sorted", opts: ConfigOptions{Services: true}, want: "db\nweb\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := ConfigModel(m, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !regexp.MustCompile(`^` + tt.want + `$`).Match(out) {
				t.Errorf("output:\n%s\ndoes not match %q", out, tt.want)
			}
		})
	}

	_, err = ConfigModel(m, ConfigOptions{Volumes: true})
	wantError(t, err, core.KindInvalidArgument, "project")
	_, err = ConfigModel(m, ConfigOptions{Format: "toml"})
	wantError(t, err, core.KindInvalidArgument, `"toml"`)
}
