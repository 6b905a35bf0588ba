package workload

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/compose/loader"
	"github.com/perryts/perry-container/core"
)

// LabelGraph is set on every node's container: the graph's own name (the
// project name is its normalized form).
const LabelGraph = "io.perry.workload.graph"

// composeCondition maps an edge condition onto compose's.
func composeCondition(c string) string {
	switch c {
	case ConditionHealthy:
		return types.ServiceConditionHealthy
	case ConditionCompleted:
		return types.ServiceConditionCompletedSuccessfully
	}
	return types.ServiceConditionStarted
}

// isNamedVolume reports whether a short volume spec mounts a named volume
// (and returns its name).
func isNamedVolume(v string) (string, bool) {
	src, _, ok := strings.Cut(v, ":")
	if !ok || src == "" {
		return "", false // an anonymous volume
	}
	if strings.HasPrefix(src, "/") || strings.HasPrefix(src, ".") || strings.HasPrefix(src, "~") || strings.HasPrefix(src, "$") {
		return "", false
	}
	return src, true
}

// composeModel writes a normalized graph as the compose model it runs as:
// one service per node. References are left out: withEnv adds them once
// resolved.
func composeModel(g core.WorkloadGraph) map[string]any {
	services := map[string]any{}
	volumes := map[string]any{}
	for _, id := range slices.Sorted(maps.Keys(g.Nodes)) {
		n := g.Nodes[id]
		s := map[string]any{"image": n.Image}
		if len(n.Cmd) > 0 {
			s["command"] = n.Cmd
		}
		if len(n.Entrypoint) > 0 {
			s["entrypoint"] = n.Entrypoint
		}
		e := map[string]string{}
		for k, v := range n.Env {
			if v.Literal != nil {
				e[k] = *v.Literal
			} else if v.Ref == nil {
				e[k] = ""
			}
		}
		if len(e) > 0 {
			s["environment"] = e
		}
		if len(n.Ports) > 0 {
			s["ports"] = n.Ports
		}
		if len(n.Volumes) > 0 {
			s["volumes"] = n.Volumes
			for _, v := range n.Volumes {
				if name, ok := isNamedVolume(v); ok {
					volumes[name] = map[string]any{}
				}
			}
		}
		if n.Healthcheck != nil {
			s["healthcheck"] = n.Healthcheck
		}
		labels := maps.Clone(n.Labels)
		if labels == nil {
			labels = map[string]string{}
		}
		labels[LabelGraph] = g.Name
		s["labels"] = labels
		if n.User != "" {
			s["user"] = n.User
		}
		if n.Workdir != "" {
			s["working_dir"] = n.Workdir
		}
		if r := n.Resources; r != nil {
			if r.CPU != "" {
				s["cpus"] = r.CPU
			}
			if r.Memory != "" {
				s["mem_limit"] = r.Memory
			}
		}
		deps := map[string]any{}
		for _, edge := range g.Edges {
			if edge.From == id {
				deps[edge.To] = map[string]any{"condition": composeCondition(edge.Condition), "required": true}
			}
		}
		if len(deps) > 0 {
			s["depends_on"] = deps
		}
		f := PolicyToContainerFlags(n.Policy)
		switch {
		case f.Network == "none":
			s["network_mode"] = "none"
		case n.NetworkMode != "":
			s["network_mode"] = n.NetworkMode
		}
		if f.ReadOnly {
			s["read_only"] = true
		}
		if len(f.CapDrop) > 0 {
			s["cap_drop"] = f.CapDrop
		}
		if opts := f.securityOpts(); len(opts) > 0 {
			s["security_opt"] = opts
		}
		services[id] = s
	}
	m := map[string]any{"name": ProjectName(g.Name), "services": services}
	if len(volumes) > 0 {
		m["volumes"] = volumes
	}
	return m
}

// buildProject loads the compose project of a normalized graph with
// compose-go (the loader's inline path: validated and normalized as
// `docker compose` would, no interpolation, no process environment).
func buildProject(ctx context.Context, g core.WorkloadGraph) (*types.Project, error) {
	data, err := json.Marshal(composeModel(g))
	if err != nil {
		return nil, core.Errorf(core.KindInternal, "encoding the compose model of graph %q: %v", g.Name, err)
	}
	p, err := loader.Load(ctx, loader.Options{Inline: data, ProjectName: ProjectName(g.Name), Environment: map[string]string{}})
	if err != nil {
		ce := core.AsError(err)
		if s, ok := ce.Details["service"].(string); ok {
			ce = ce.With("node", s)
		}
		return nil, ce
	}
	return p, nil
}

// withEnv returns a copy of p in which service id's environment also holds
// env. p is not modified (engines may be reading it).
func withEnv(p *types.Project, id string, env map[string]string) *types.Project {
	if len(env) == 0 {
		return p
	}
	cp := *p
	cp.Services = maps.Clone(p.Services)
	s := cp.Services[id]
	s.Environment = maps.Clone(s.Environment)
	if s.Environment == nil {
		s.Environment = types.MappingWithEquals{}
	}
	for k, v := range env {
		s.Environment[k] = &v
	}
	cp.Services[id] = s
	return &cp
}
