package watch

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/fsnotify/fsnotify"
)

// Watcher reports the host paths that change under a set of roots (files
// or directories, existing or not yet). fsnotify watches one directory at
// a time, so every directory under a root is added, and each new one as it
// appears; a root that does not exist yet is waited for from its nearest
// existing parent.
type Watcher struct {
	roots []string
	w     *fsnotify.Watcher
	mu    sync.Mutex
	added map[string]bool
}

// NewWatcher watches roots (absolute paths).
func NewWatcher(roots []string) (*Watcher, error) {
	fw, err := fsnotify.NewWatcher()
	if err != nil {
		return nil, err
	}
	w := &Watcher{w: fw, added: map[string]bool{}}
	for _, r := range roots {
		w.roots = append(w.roots, filepath.Clean(r))
	}
	for _, r := range w.roots {
		// the nearest existing directory at or above the root
		d := r
		for {
			if fi, err := os.Stat(d); err == nil && fi.IsDir() {
				break
			}
			parent := filepath.Dir(d)
			if parent == d {
				break
			}
			d = parent
		}
		if err := w.addTree(d, nil); err != nil {
			_ = fw.Close()
			return nil, err
		}
	}
	return w, nil
}

// wanted reports whether dir is a root, under one, or on the way to one.
func (w *Watcher) wanted(dir string) bool {
	for _, r := range w.roots {
		if _, ok := within(r, dir); ok {
			return true
		}
		if _, ok := within(dir, r); ok {
			return true
		}
	}
	return false
}

// relevant reports whether a changed path is a root or under one.
func (w *Watcher) relevant(p string) bool {
	for _, r := range w.roots {
		if _, ok := within(r, p); ok {
			return true
		}
	}
	return false
}

// addTree watches dir and the wanted directories under it; found (when
// not nil) is told each file and directory found below dir, which may have
// been made before the watch began.
func (w *Watcher) addTree(dir string, found func(string)) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) || errors.Is(err, fs.ErrPermission) {
				return nil // gone meanwhile, or not ours to read
			}
			return err
		}
		if p != dir && found != nil && w.relevant(p) {
			found(p)
		}
		if !d.IsDir() {
			return nil
		}
		if !w.wanted(p) {
			return filepath.SkipDir
		}
		w.mu.Lock()
		done := w.added[p]
		w.added[p] = true
		w.mu.Unlock()
		if done {
			return nil
		}
		if err := w.w.Add(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		// a directory on the way to a root: its other children are not ours
		if !w.relevant(p) {
			for _, r := range w.roots {
				if rel, ok := within(p, r); ok && rel != "." {
					next := filepath.Join(p, strings.SplitN(rel, "/", 2)[0])
					if fi, err := os.Stat(next); err == nil && fi.IsDir() {
						if err := w.addTree(next, found); err != nil {
							return err
						}
					}
				}
			}
			return filepath.SkipDir
		}
		return nil
	})
}

// Run sends every changed path to out until ctx ends; errors of the
// watch go to errs (when not nil). It closes the watcher on return.
func (w *Watcher) Run(ctx context.Context, out chan<- string, errs func(error)) {
	defer w.w.Close()
	send := func(p string) bool {
		select {
		case out <- p:
			return true
		case <-ctx.Done():
			return false
		}
	}
	for {
		select {
		case <-ctx.Done():
			return
		case err, ok := <-w.w.Errors:
			if !ok {
				return
			}
			if errs != nil {
				errs(err)
			}
		case ev, ok := <-w.w.Events:
			if !ok {
				return
			}
			p := filepath.Clean(ev.Name)
			if ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename) {
				w.mu.Lock()
				for d := range w.added {
					if _, ok := within(p, d); ok {
						delete(w.added, d) // fsnotify drops its watch itself
					}
				}
				w.mu.Unlock()
			}
			if ev.Has(fsnotify.Create) {
				if fi, err := os.Stat(p); err == nil && fi.IsDir() && w.wanted(p) {
					var found []string
					if err := w.addTree(p, func(f string) { found = append(found, f) }); err != nil && errs != nil {
						errs(err)
					}
					for _, f := range found {
						if !send(f) {
							return
						}
					}
				}
			}
			if ev.Op == fsnotify.Chmod {
				continue // docker compose ignores attribute-only changes
			}
			if w.relevant(p) && !send(p) {
				return
			}
		}
	}
}

// Close stops watching (Run closes it too).
func (w *Watcher) Close() error { return w.w.Close() }
