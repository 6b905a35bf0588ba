package watch

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/compose/loader"
	"github.com/perryts/perry-container/core"
)

// EngineActions applies watch actions through the compose engine: a
// rebuild is an up of the service with its image built and its containers
// recreated (without touching its dependencies), a restart is the engine's
// Restart, a sync copies files with the backend's Copier and removes
// paths, or makes new directories, with exec (rm -rf, mkdir -p: only then
// does the image need them).
type EngineActions struct {
	Engine  *engine.Engine
	Backend backend.Backend
	// Prune removes the image a rebuild replaced, when nothing uses it
	// (docker compose watch --prune).
	Prune bool
}

// CheckSync reports, before watching, that the backend cannot copy files
// when a rule syncs.
func (a *EngineActions) CheckSync(rules []Rule) error {
	if _, ok := a.Backend.(backend.Copier); ok {
		return nil
	}
	for _, r := range rules {
		if r.IsSync() {
			return core.AsError(backend.Unsupported(a.Backend, "copy files")).With("service", r.Service).
				With("hint", fmt.Sprintf("service %q has a %s watch rule, which copies files into its containers", r.Service, r.Action))
		}
	}
	return nil
}

func (a *EngineActions) running(ctx context.Context, service string) ([]engine.Container, error) {
	cs, err := a.Engine.Ps(ctx, engine.PsOptions{Services: []string{service}})
	if err != nil {
		return nil, err
	}
	out := cs[:0]
	for _, c := range cs {
		if c.State == "running" {
			out = append(out, c)
		}
	}
	return out, nil
}

// Sync implements Actions.
func (a *EngineActions) Sync(ctx context.Context, service string, ops []FileOp) error {
	cp, ok := a.Backend.(backend.Copier)
	if !ok {
		return backend.Unsupported(a.Backend, "copy files")
	}
	cs, err := a.running(ctx, service)
	if err != nil {
		return err
	}
	var rm, mk []string
	for _, op := range ops {
		switch {
		case op.Delete:
			rm = append(rm, op.Container)
		case op.Dir:
			mk = appendUnique(mk, op.Container)
		}
	}
	for _, c := range cs {
		if len(rm) > 0 {
			if err := a.exec(ctx, service, c.Number, append([]string{"rm", "-rf", "--"}, rm...), types.ServiceHook{}); err != nil {
				return err
			}
		}
		if len(mk) > 0 {
			if err := a.exec(ctx, service, c.Number, append([]string{"mkdir", "-p", "--"}, mk...), types.ServiceHook{}); err != nil {
				return err
			}
		}
		for _, op := range ops {
			if op.Delete || op.Dir {
				continue
			}
			err := cp.CopyTo(ctx, c.ID, op.Host, op.Container, backend.CopyOptions{})
			if err != nil {
				// The directory may be new in the container: make it and
				// try once more (an image without mkdir syncs into
				// existing directories only).
				if merr := a.exec(ctx, service, c.Number, []string{"mkdir", "-p", "--", path.Dir(op.Container)}, types.ServiceHook{}); merr == nil {
					err = cp.CopyTo(ctx, c.ID, op.Host, op.Container, backend.CopyOptions{})
				}
			}
			if err != nil {
				return fmt.Errorf("copying %s to %s:%s: %w", op.Host, c.Name, op.Container, err)
			}
		}
	}
	return nil
}

func appendUnique(s []string, v string) []string {
	if slices.Contains(s, v) {
		return s
	}
	return append(s, v)
}

func (a *EngineActions) exec(ctx context.Context, service string, index int, cmd []string, h types.ServiceHook) error {
	opts := engine.HookExecOptions(h, index)
	opts.Cmd = cmd
	out, err := a.Engine.Exec(ctx, service, opts)
	if err != nil {
		return err
	}
	if out.ExitCode != nil && *out.ExitCode != 0 {
		msg := strings.TrimSpace(out.Stderr)
		if msg == "" {
			msg = strings.TrimSpace(out.Stdout)
		}
		return core.Errorf(core.KindBackendError, "%s exited with code %d: %s", strings.Join(cmd, " "), *out.ExitCode, msg).
			With("service", service).With("exitCode", *out.ExitCode)
	}
	return nil
}

// Exec implements Actions.
func (a *EngineActions) Exec(ctx context.Context, service string, hook types.ServiceHook) error {
	cs, err := a.running(ctx, service)
	if err != nil {
		return err
	}
	for _, c := range cs {
		if err := a.exec(ctx, service, c.Number, hook.Command, hook); err != nil {
			return err
		}
	}
	return nil
}

// Restart implements Actions.
func (a *EngineActions) Restart(ctx context.Context, service string) error {
	return a.Engine.Restart(ctx, []string{service}, nil)
}

// Rebuild implements Actions.
func (a *EngineActions) Rebuild(ctx context.Context, services []string) error {
	old := a.images(ctx, services)
	err := a.Engine.Up(ctx, engine.UpOptions{Services: services, NoDeps: true, Build: true, ForceRecreate: true, KeepOnFailure: true})
	if err != nil || !a.Prune {
		return err
	}
	now := a.images(ctx, services)
	for ref, id := range old {
		if id != "" && now[ref] != id {
			_ = a.Backend.RemoveImage(ctx, id, false) // in use elsewhere: kept
		}
	}
	return nil
}

// images maps the services' image references to their current ids.
func (a *EngineActions) images(ctx context.Context, services []string) map[string]string {
	out := map[string]string{}
	p := a.Engine.Project()
	for _, s := range services {
		svc, ok := p.Services[s]
		if !ok {
			continue
		}
		ref := loader.ImageName(p.Name, svc)
		if info, err := a.Backend.InspectImage(ctx, ref); err == nil {
			out[ref] = info.ID
		}
	}
	return out
}
