package watch

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
)

// FileOp is one change a sync makes in a container: copy the host path
// Host (a file) to Container, make the directory Container (Dir), or
// remove Container (Delete).
type FileOp struct {
	Host, Container string
	Delete, Dir     bool
}

// Actions change the running project: Run calls them for each batch.
type Actions interface {
	// Sync applies ops to every running container of the service.
	Sync(ctx context.Context, service string, ops []FileOp) error
	// Rebuild builds the services' images and recreates their containers.
	Rebuild(ctx context.Context, services []string) error
	// Restart restarts the service's containers.
	Restart(ctx context.Context, service string) error
	// Exec runs hook in every running container of the service.
	Exec(ctx context.Context, service string, hook types.ServiceHook) error
}

// Options tune Run.
type Options struct {
	Rules   []Rule
	Actions Actions
	// Log receives docker compose's watch lines ("Watch enabled",
	// "Syncing service ..."); errors of an action are logged, and the
	// watch goes on, as in docker compose.
	Log func(string)
	// Quiet is the quiet period of a batch; 0 is QuietPeriod.
	Quiet time.Duration
	// Ready, when set, is called once the paths are watched.
	Ready func()
}

// Run watches the rules' paths and applies each batch of changes until ctx
// ends; it then returns nil. It fails only when the watch cannot start.
func Run(ctx context.Context, o Options) error {
	if len(o.Rules) == 0 {
		return errors.New(NotConfigured)
	}
	if o.Log == nil {
		o.Log = func(string) {}
	}
	if o.Quiet == 0 {
		o.Quiet = QuietPeriod
	}
	roots := make([]string, 0, len(o.Rules))
	for _, r := range o.Rules {
		roots = append(roots, r.Path)
	}
	w, err := NewWatcher(roots)
	if err != nil {
		return fmt.Errorf("watching %v: %w", roots, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	raw := make(chan string, 256)
	batches := make(chan []string)
	go w.Run(ctx, raw, func(err error) { o.Log("Error: watch: " + err.Error()) })
	go Debounce(ctx, raw, batches, o.Quiet, nil)
	o.Log("Watch enabled")
	if o.Ready != nil {
		o.Ready()
	}
	initialSync(ctx, o)
	for {
		select {
		case <-ctx.Done():
			return nil
		case b := <-batches:
			Apply(ctx, o.Rules, o.Actions, Plan(o.Rules, b), o.Log)
		}
	}
}

// initialSync syncs the whole path of each rule with initial_sync, once.
func initialSync(ctx context.Context, o Options) {
	var paths []string
	for _, r := range o.Rules {
		if r.InitialSync && r.IsSync() {
			paths = append(paths, r.Path)
		}
	}
	if len(paths) == 0 {
		return
	}
	var sync []Rule
	for _, r := range o.Rules {
		if r.InitialSync && r.IsSync() {
			sync = append(sync, r)
		}
	}
	plans := Plan(sync, paths)
	for i := range plans {
		plans[i].Restart, plans[i].Exec = false, nil // nothing changed yet
	}
	Apply(ctx, o.Rules, o.Actions, plans, o.Log)
}

// Apply carries out the plans of one batch: the rebuilds together, then
// each other service's sync, restart and commands.
func Apply(ctx context.Context, rules []Rule, a Actions, plans []ServicePlan, log func(string)) {
	var rebuild []string
	for _, sp := range plans {
		if sp.Rebuild {
			rebuild = append(rebuild, sp.Service)
		}
	}
	if len(rebuild) > 0 {
		log(fmt.Sprintf("Rebuilding service(s) %q after changes were detected...", rebuild))
		if err := a.Rebuild(ctx, rebuild); err != nil {
			log("Error: rebuilding " + fmt.Sprintf("%q", rebuild) + ": " + err.Error())
		} else {
			log(fmt.Sprintf("service(s) %q successfully built", rebuild))
		}
	}
	for _, sp := range plans {
		if sp.Rebuild || ctx.Err() != nil {
			continue
		}
		if len(sp.Sync) > 0 {
			ops := Expand(rules, sp.Service, sp.Sync)
			log(fmt.Sprintf("Syncing service %q after %d changes were detected", sp.Service, len(sp.Sync)))
			if err := a.Sync(ctx, sp.Service, ops); err != nil {
				log(fmt.Sprintf("Error: syncing service %q: %v", sp.Service, err))
				continue
			}
		}
		if sp.Restart {
			log(fmt.Sprintf("Restarting service(s) %q after changes were detected", []string{sp.Service}))
			if err := a.Restart(ctx, sp.Service); err != nil {
				log(fmt.Sprintf("Error: restarting service %q: %v", sp.Service, err))
				continue
			}
		}
		for _, h := range sp.Exec {
			if err := a.Exec(ctx, sp.Service, h); err != nil {
				log(fmt.Sprintf("Error: service %q: exec %q: %v", sp.Service, h.Command, err))
			}
		}
	}
}

// Expand turns a service's mappings into file operations, looking at the
// host now: a path that no longer exists is removed from the container, a
// directory is made there with every file under it that a rule of the
// service watches (it may have been filled before its watch began), a
// file is copied.
func Expand(rules []Rule, service string, ms []Mapping) []FileOp {
	var ops []FileOp
	seen := map[FileOp]bool{}
	add := func(op FileOp) {
		if !seen[op] {
			seen[op] = true
			ops = append(ops, op)
		}
	}
	watched := func(p string) bool {
		for i := range rules {
			if rules[i].Service == service && rules[i].IsSync() && rules[i].Watches(p) {
				return true
			}
		}
		return false
	}
	for _, m := range ms {
		fi, err := os.Stat(m.Host)
		switch {
		case err != nil:
			add(FileOp{Container: m.Container, Delete: true})
		case fi.IsDir():
			_ = filepath.WalkDir(m.Host, func(p string, d fs.DirEntry, err error) error {
				if err != nil {
					return nil
				}
				if !watched(p) {
					if d.IsDir() {
						return filepath.SkipDir
					}
					return nil
				}
				rel, _ := within(m.Host, p)
				c := m.Container
				if rel != "." {
					c = c + "/" + rel
				}
				if d.IsDir() {
					add(FileOp{Container: c, Dir: true})
				} else if d.Type().IsRegular() {
					add(FileOp{Host: p, Container: c})
				}
				return nil
			})
		case fi.Mode().IsRegular():
			add(FileOp{Host: m.Host, Container: m.Container})
		}
	}
	return ops
}
