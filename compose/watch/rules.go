// Package watch implements `perry-compose watch` (docker compose's
// develop.watch): it watches the paths of each service's watch rules and,
// after a quiet period, syncs changed files into the service's containers,
// rebuilds and recreates it, restarts it, or runs a command in it.
//
// The pure part (rules, ignore patterns, batching, planning) is apart from
// the part that touches the file system (Watcher, on fsnotify) and the part
// that changes containers (Actions, over the compose engine).
package watch

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/perryts/perry-container/core"
)

// Rule is one develop.watch entry of a service, with its path made
// absolute and its ignore patterns compiled.
type Rule struct {
	Service     string
	Action      types.WatchAction
	Path        string // absolute host path: a directory or a file
	Target      string // path in the container (sync actions)
	Exec        types.ServiceHook
	InitialSync bool

	ignore  *patternmatcher.PatternMatcher // relative to Path
	include *patternmatcher.PatternMatcher // relative to Path; nil: everything
	// The build context's .dockerignore, relative to contextDir, applies
	// to every rule of a service that is built, as in docker compose.
	contextIgnore *patternmatcher.PatternMatcher
	contextDir    string
}

// IsSync reports whether the rule copies files into the container.
func (r *Rule) IsSync() bool {
	switch r.Action {
	case types.WatchActionSync, types.WatchActionSyncRestart, types.WatchActionSyncExec:
		return true
	}
	return false
}

// ephemeral are the editors' and tools' temporary files that never trigger
// a rule (docker compose ignores the same).
var ephemeral = mustMatcher([]string{
	"**/*___jb_old___", "**/*___jb_tmp___", "**/.idea/**", // GoLand
	"**/.#*", "**/#*#", // Emacs
	"**/4913", "**/*~", "**/.*.swp", "**/.*.swx", "**/.*.swo", "**/.*.swn", // Vim
	"**/.*.kate-swp",    // Kate
	"**/*-go-tmp-umask", // go's umask probe
	"**/.DS_Store",      // macOS
})

func mustMatcher(p []string) *patternmatcher.PatternMatcher {
	m, err := patternmatcher.New(p)
	if err != nil {
		panic(err)
	}
	return m
}

// NotConfigured is docker compose's error when no selected service has a
// develop.watch section.
const NotConfigured = "none of the selected services is configured for watch, consider setting a 'develop' section"

// Rules reads the watch rules of the selected services (all when services
// is empty), in service name then rule order. Relative paths are relative
// to the project's working directory. It refuses rules docker compose
// refuses: rebuild without a build section, sync without a target,
// sync+exec without a command, an unknown action.
func Rules(p *types.Project, services []string) ([]Rule, error) {
	names := services
	if len(names) == 0 {
		for n := range p.Services {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	var out []Rule
	for _, name := range names {
		svc, ok := p.Services[name]
		if !ok {
			return nil, core.NotFound("service", name).With("service", name)
		}
		if svc.Develop == nil || len(svc.Develop.Watch) == 0 {
			continue
		}
		var ctxIgnore *patternmatcher.PatternMatcher
		ctxDir := ""
		if svc.Build != nil && svc.Build.Context != "" && !strings.Contains(svc.Build.Context, "://") {
			ctxDir = absPath(p.WorkingDir, svc.Build.Context)
			m, err := dockerignore(ctxDir)
			if err != nil {
				return nil, core.InvalidArgument("build.context", "service %q: .dockerignore: %v", name, err).With("service", name)
			}
			ctxIgnore = m
		}
		for i, t := range svc.Develop.Watch {
			r := Rule{Service: name, Action: t.Action, Target: t.Target, Exec: t.Exec, InitialSync: t.InitialSync,
				contextIgnore: ctxIgnore, contextDir: ctxDir}
			where := fmt.Sprintf("services.%s.develop.watch[%d]", name, i)
			if t.Path == "" {
				return nil, core.InvalidArgument(where+".path", "service %q: a watch rule needs a path", name).With("service", name)
			}
			r.Path = absPath(p.WorkingDir, t.Path)
			switch t.Action {
			case types.WatchActionSync, types.WatchActionSyncRestart, types.WatchActionSyncExec:
				if t.Target == "" {
					return nil, core.InvalidArgument(where+".target", "service %q: action %s needs a target", name, t.Action).With("service", name)
				}
				if t.Action == types.WatchActionSyncExec && len(t.Exec.Command) == 0 {
					return nil, core.InvalidArgument(where+".exec", "service %q: action sync+exec needs exec.command", name).With("service", name)
				}
			case types.WatchActionRebuild:
				if svc.Build == nil {
					return nil, core.InvalidArgument(where+".action", "can't watch service %q with action %s without a build context", name, t.Action).With("service", name)
				}
			case types.WatchActionRestart:
			default:
				return nil, core.InvalidArgument(where+".action", "service %q: unknown watch action %q (sync, rebuild, restart, sync+restart, sync+exec)", name, t.Action).With("service", name)
			}
			m, err := patternmatcher.New(cleanPatterns(t.Ignore))
			if err != nil {
				return nil, core.InvalidArgument(where+".ignore", "service %q: %v", name, err).With("service", name)
			}
			r.ignore = m
			if len(t.Include) > 0 {
				if r.include, err = patternmatcher.New(cleanPatterns(t.Include)); err != nil {
					return nil, core.InvalidArgument(where+".include", "service %q: %v", name, err).With("service", name)
				}
			}
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		return nil, core.InvalidArgument("develop", NotConfigured)
	}
	return out, nil
}

func absPath(base, p string) string {
	if strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, p[2:])
		}
	}
	if !filepath.IsAbs(p) {
		p = filepath.Join(base, p)
	}
	return filepath.Clean(p)
}

// cleanPatterns makes patterns relative (a leading "/" means the rule's
// path, as in .dockerignore).
func cleanPatterns(ps []string) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		neg := strings.HasPrefix(p, "!")
		p = strings.TrimPrefix(p, "!")
		p = strings.TrimPrefix(filepath.ToSlash(p), "/")
		if p == "" {
			continue
		}
		if neg {
			p = "!" + p
		}
		out = append(out, p)
	}
	return out
}

// dockerignore reads dir/.dockerignore; none is no patterns.
func dockerignore(dir string) (*patternmatcher.PatternMatcher, error) {
	f, err := os.Open(filepath.Join(dir, ".dockerignore"))
	if os.IsNotExist(err) {
		return patternmatcher.New(nil)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	ps, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, err
	}
	return patternmatcher.New(ps)
}

// Watches reports whether the host path p is under the rule's path (or is
// it) and not ignored.
func (r *Rule) Watches(p string) bool {
	rel, ok := within(r.Path, p)
	if !ok {
		return false
	}
	if m, _ := ephemeral.MatchesOrParentMatches(strings.TrimPrefix(filepath.ToSlash(p), "/")); m {
		return false
	}
	if rel != "." {
		if m, _ := r.ignore.MatchesOrParentMatches(rel); m {
			return false
		}
		if r.include != nil {
			if m, _ := r.include.MatchesOrParentMatches(rel); !m {
				return false
			}
		}
	}
	if r.contextIgnore != nil {
		if crel, ok := within(r.contextDir, p); ok && crel != "." {
			if m, _ := r.contextIgnore.MatchesOrParentMatches(crel); m {
				return false
			}
		}
	}
	return true
}

// within returns p relative to root ("." for root itself), with slashes,
// when p is root or under it.
func within(root, p string) (string, bool) {
	rel, err := filepath.Rel(root, p)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return "", false
	}
	return filepath.ToSlash(rel), true
}

// ContainerPath is where the host path p (under the rule's path) goes in
// the container.
func (r *Rule) ContainerPath(p string) string {
	rel, _ := within(r.Path, p)
	if rel == "." {
		return r.Target
	}
	return strings.TrimSuffix(r.Target, "/") + "/" + rel
}
