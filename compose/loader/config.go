package loader

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v4"

	"github.com/perryts/perry-container/compose/graph"
	"github.com/perryts/perry-container/core"
)

// ConfigOptions select what Config prints, as `docker compose config`'s
// flags do. At most one listing is printed, in docker compose's order of
// precedence: Services, Volumes, Hash, Profiles, Images; with none, the
// whole model in Format.
type ConfigOptions struct {
	// Format is "yaml" (the default) or "json".
	Format string
	// Services (--services): service names, one per line, dependencies first.
	Services bool
	// Volumes (--volumes): the names of the volumes services use, one per
	// line, sorted.
	Volumes bool
	// Profiles (--profiles): every profile any service declares, sorted.
	Profiles bool
	// Images (--images): each service's image, or the image docker compose
	// would build for it ({project}-{service}), in service name order.
	Images bool
	// Hash (--hash): "service hash" lines, sorted by service, the hash being
	// ServiceHash's (the com.docker.compose.config-hash label).
	Hash bool
	// HashServices restricts Hash to these services (--hash a,b); empty
	// means all (--hash "*").
	HashServices []string
	// NoInterpolate says the project was loaded without interpolation
	// (Options.NoInterpolate, or an inline model without
	// Options.Interpolate): its '$' are the text as written, so they are not
	// escaped. docker compose escapes every '$' of an interpolated model as
	// "$$" so that the output loads back to the same values.
	NoInterpolate bool
}

// Config renders p as `docker compose config` does: compose-go's canonical
// YAML or JSON (the same marshalling docker compose uses: the implicit
// {project}_default network, depends_on in long form, env_file merged into
// environment and dropped), '$' escaped as "$$", or one of the listings.
// Networks, volumes, secrets, configs and models no enabled service uses
// are left out, of the model and of --volumes.
func Config(p *types.Project, o ConfigOptions) ([]byte, error) {
	if p == nil {
		return nil, core.Errorf(core.KindInvalidArgument, "config: no project")
	}
	// docker compose loads every project through compose-go's
	// WithoutUnnecessaryResources, so its config never shows an unused
	// resource (nor the default network of a project whose services are
	// all disabled). Only the output is pruned: the caller's project keeps
	// them.
	p = p.WithoutUnnecessaryResources()
	switch {
	case o.Services:
		g, err := graph.Build(p)
		if err != nil {
			return nil, err
		}
		return lines(g.Nodes), nil
	case o.Volumes:
		return lines(p.VolumeNames()), nil
	case o.Hash:
		return hashLines(p, o.HashServices)
	case o.Profiles:
		set := map[string]bool{}
		for _, s := range p.AllServices() {
			for _, prof := range s.Profiles {
				set[prof] = true
			}
		}
		return lines(slices.Sorted(maps.Keys(set))), nil
	case o.Images:
		var images []string
		for _, name := range p.ServiceNames() {
			images = append(images, ImageName(p.Name, p.Services[name]))
		}
		return lines(images), nil
	}

	format, err := o.format()
	if err != nil {
		return nil, err
	}
	// docker compose resolves env_file into environment and drops it, and
	// checks container_name unicity, before printing.
	resolved, err := p.WithServicesEnvironmentResolved(true)
	if err != nil {
		return nil, toCoreError(err)
	}
	if err := resolved.CheckContainerNameUnicity(); err != nil {
		return nil, toCoreError(err)
	}
	var out []byte
	if format == "json" {
		out, err = resolved.MarshalJSON()
	} else {
		out, err = resolved.MarshalYAML()
	}
	if err != nil {
		return nil, core.Errorf(core.KindInternal, "config: marshalling the project: %w", err)
	}
	if !o.NoInterpolate {
		out = bytes.ReplaceAll(out, []byte{'$'}, []byte{'$', '$'})
	}
	return out, nil
}

// ConfigModel renders a model of LoadModel as `docker compose config
// --no-interpolate` does: the model as compose-go left it, marshalled as it
// is (YAML keys sorted, two-space indent; JSON indented by two spaces), or
// with Services its service names, sorted (every service, whatever its
// profile). The model is not interpolated: its '$' are printed as written.
// The other listings need a project: use Config.
func ConfigModel(m map[string]any, o ConfigOptions) ([]byte, error) {
	if m == nil {
		return nil, core.Errorf(core.KindInvalidArgument, "config: no model")
	}
	switch {
	case o.Services:
		services, _ := m["services"].(map[string]any)
		return lines(slices.Sorted(maps.Keys(services))), nil
	case o.Volumes || o.Hash || o.Profiles || o.Images:
		return nil, core.Errorf(core.KindInvalidArgument, "config: the listings but --services need a project, not a model")
	}
	format, err := o.format()
	if err != nil {
		return nil, err
	}
	var out []byte
	switch format {
	case "yaml":
		// docker compose's formatModel: compose-go's encoder settings
		// (Project.MarshalYAML), without its struct field order.
		var buf bytes.Buffer
		enc := yaml.NewEncoder(&buf)
		enc.SetIndent(2)
		err = enc.Encode(m)
		out = buf.Bytes()
	case "json":
		out, err = json.MarshalIndent(m, "", "  ")
	}
	if err != nil {
		return nil, core.Errorf(core.KindInternal, "config: marshalling the model: %w", err)
	}
	return out, nil
}

// format is the output format o asks for: yaml (the default) or json.
func (o ConfigOptions) format() (string, error) {
	switch o.Format {
	case "", "yaml":
		return "yaml", nil
	case "json":
		return "json", nil
	}
	return "", core.InvalidArgument("format", "unsupported format %q (use yaml or json)", o.Format)
}

func hashLines(p *types.Project, only []string) ([]byte, error) {
	names := only
	if len(names) == 0 {
		names = p.ServiceNames()
	}
	names = slices.Sorted(slices.Values(names))
	var out []string
	for _, name := range names {
		s, ok := p.Services[name]
		if !ok {
			return nil, core.NotFound("service", name)
		}
		h, err := ServiceHash(s)
		if err != nil {
			return nil, err
		}
		out = append(out, name+" "+h)
	}
	return lines(out), nil
}

func lines(items []string) []byte {
	if len(items) == 0 {
		return []byte{}
	}
	return []byte(strings.Join(items, "\n") + "\n")
}

// ImageName is the image a service runs: its image, else the name docker
// compose gives the image it builds, {project}-{service}, as docker
// compose's api.GetImageNameOrDefault. The project name is already
// lowercase (compose-go normalises it); the service name is kept as it is,
// as docker compose keeps it, so an upper-case one is not a valid image
// reference and the engine refuses to build it.
func ImageName(project string, s types.ServiceConfig) string {
	if s.Image != "" {
		return s.Image
	}
	return project + "-" + s.Name
}

// ServiceHash is the configuration hash the engine puts in the
// com.docker.compose.config-hash label, and `config --hash` prints: the hex
// SHA-256 of the service's JSON with the fields that never force a
// container to be recreated left out (build, pull_policy, scale,
// deploy.replicas, depends_on, profiles), as docker compose's
// pkg/compose.ServiceHash does. compose-go v2.16.2 has no such function.
// Unlike docker compose's, it does not write through s.Deploy into the
// caller's project. The value is ours alone: other tools hash differently.
func ServiceHash(s types.ServiceConfig) (string, error) {
	s.Build = nil
	s.PullPolicy = ""
	s.Scale = nil
	if s.Deploy != nil {
		d := *s.Deploy
		d.Replicas = nil
		s.Deploy = &d
	}
	s.DependsOn = nil
	s.Profiles = nil
	data, err := json.Marshal(s)
	if err != nil {
		return "", core.Errorf(core.KindInvalidConfig, "service %q: computing its config hash: %w", s.Name, err).
			With("service", s.Name)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:]), nil
}
