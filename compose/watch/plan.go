package watch

import (
	"slices"

	"github.com/compose-spec/compose-go/v2/types"
)

// Mapping is a changed host path and where it goes in a container.
type Mapping struct {
	Host, Container string
}

// ServicePlan is what one batch of changes does to one service, in docker
// compose's order of precedence: a rebuild replaces everything else (the
// new image has the files); otherwise the files are synced, then the
// service is restarted (restart, sync+restart) and the sync+exec commands
// run.
type ServicePlan struct {
	Service string
	Rebuild bool
	Sync    []Mapping // host paths in batch order; each once per target
	Restart bool
	Exec    []types.ServiceHook
	Changes int // paths that triggered a rule of the service
}

// Plan maps a batch of changed host paths to what each service does, in
// service name order. A path triggers every rule that watches it.
func Plan(rules []Rule, paths []string) []ServicePlan {
	byService := map[string]*ServicePlan{}
	seen := map[string]map[string]bool{} // service → host path counted
	synced := map[string]map[Mapping]bool{}
	for _, p := range paths {
		for i := range rules {
			r := &rules[i]
			if !r.Watches(p) {
				continue
			}
			sp := byService[r.Service]
			if sp == nil {
				sp = &ServicePlan{Service: r.Service}
				byService[r.Service] = sp
				seen[r.Service] = map[string]bool{}
				synced[r.Service] = map[Mapping]bool{}
			}
			if !seen[r.Service][p] {
				seen[r.Service][p] = true
				sp.Changes++
			}
			switch r.Action {
			case types.WatchActionRebuild:
				sp.Rebuild = true
			case types.WatchActionRestart:
				sp.Restart = true
			}
			if r.IsSync() {
				m := Mapping{Host: p, Container: r.ContainerPath(p)}
				if !synced[r.Service][m] {
					synced[r.Service][m] = true
					sp.Sync = append(sp.Sync, m)
				}
				if r.Action == types.WatchActionSyncRestart {
					sp.Restart = true
				}
				if r.Action == types.WatchActionSyncExec && !hasHook(sp.Exec, r.Exec) {
					sp.Exec = append(sp.Exec, r.Exec)
				}
			}
		}
	}
	out := make([]ServicePlan, 0, len(byService))
	for _, sp := range byService {
		if sp.Rebuild {
			sp.Sync, sp.Restart, sp.Exec = nil, false, nil
		}
		out = append(out, *sp)
	}
	slices.SortFunc(out, func(a, b ServicePlan) int {
		switch {
		case a.Service < b.Service:
			return -1
		case a.Service > b.Service:
			return 1
		}
		return 0
	})
	return out
}

func hasHook(hs []types.ServiceHook, h types.ServiceHook) bool {
	for _, x := range hs {
		if slices.Equal(x.Command, h.Command) && x.User == h.User && x.WorkingDir == h.WorkingDir {
			return true
		}
	}
	return false
}
