package engine

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/perryts/perry-container/core"
)

// Commands that change a project (up, create, down, start, stop, restart,
// kill, rm) hold the project's lock while they observe, plan and execute,
// so that two of them on one host — two perry-compose processes, two
// library hosts, two engines in one process — never interleave: two
// concurrent ups would otherwise both find the network missing and both
// create it (Docker allows two networks of one name). The lock is flock(2)
// on a file in a private directory (mode 0700), keyed by the runtime's
// endpoint and the project's name; the kernel releases it when its holder
// exits, however it exits, so a crashed holder never wedges a project.
// Read-only commands (ps, logs, config, ls) never take it.

// EnvLockTimeout bounds how long a command waits for another one changing
// the same project: a Go duration ("90s", "10m") or a number of seconds.
// WithLockTimeout overrides it.
const EnvLockTimeout = "PERRY_COMPOSE_LOCK_TIMEOUT"

// DefaultLockTimeout is how long a command waits for the project's lock
// unless told otherwise.
const DefaultLockTimeout = 10 * time.Minute

// lockPoll is how often a waiting command tries the lock again.
const lockPoll = 50 * time.Millisecond

// WithLockTimeout bounds how long a command waits for another command
// changing the same project (default PERRY_COMPOSE_LOCK_TIMEOUT, else
// DefaultLockTimeout); d <= 0 keeps the default.
func WithLockTimeout(d time.Duration) Option {
	return func(e *Engine) {
		if d > 0 {
			e.lockTimeout = d
		}
	}
}

// lockTimeoutFromEnv reads EnvLockTimeout; unset or invalid means the default.
func lockTimeoutFromEnv() time.Duration {
	v := strings.TrimSpace(os.Getenv(EnvLockTimeout))
	if v == "" {
		return DefaultLockTimeout
	}
	if n, err := strconv.Atoi(v); err == nil && n > 0 {
		return time.Duration(n) * time.Second
	}
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return d
	}
	return DefaultLockTimeout
}

// LockDir is the private directory holding the project lock files:
// $XDG_RUNTIME_DIR/perry-compose/locks when set, else the user's cache
// directory's perry-compose/locks.
func LockDir() (string, error) {
	if d := os.Getenv("XDG_RUNTIME_DIR"); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "perry-compose", "locks"), nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "perry-compose", "locks"), nil
}

// lockKey names the runtime the engine changes: its name and the daemon
// endpoint the environment selects. Two backends reaching one daemon (its
// CLI and its API) get the same key.
func (e *Engine) lockKey() string {
	name := e.backend.Name()
	host := ""
	for _, v := range []string{"DOCKER_HOST", "CONTAINER_HOST", "CONTAINERD_ADDRESS"} {
		if h := strings.TrimSpace(os.Getenv(v)); h != "" {
			host = v + "=" + h
			break
		}
	}
	return name + "@" + host
}

// memLock prefixes the lock "paths" of the fake engine: it lives in this
// process only, so its locks do too (no file; each fake instance its own).
const memLock = "mem:"

// lockPath is the lock file of project on the engine's runtime.
func (e *Engine) lockPath(project string) (string, error) {
	if e.backend.Name() == "fake" {
		return fmt.Sprintf("%sfake@%p\x00%s", memLock, e.backend, project), nil
	}
	dir, err := LockDir()
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(e.lockKey() + "\x00" + project))
	return filepath.Join(dir, hex.EncodeToString(sum[:12])+".lock"), nil
}

// privateDir makes dir (mode 0700) and checks that it is a real directory
// that only its owner, this user, can use.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	fi, err := os.Lstat(dir)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	if !ownedByMe(fi) {
		return fmt.Errorf("%s belongs to another user", dir)
	}
	if fi.Mode().Perm() != 0o700 {
		return os.Chmod(dir, 0o700)
	}
	return nil
}

// heldLocks are the project locks this process holds, by lock file. Engines
// sharing a Recorder (the per-node engines of one workload run, which bring
// one project up service by service, concurrently) are one change: they
// share their holding; any other engine waits, as another process does.
var heldLocks = struct {
	sync.Mutex
	m map[string]*holding
}{m: map[string]*holding{}}

type holding struct {
	f     *os.File
	group *recorder // the shared recorder of the holders, nil for none
	n     int       // holders
}

// lockProject takes the project's lock, waiting for another holder at most
// the lock timeout; it emits one warning naming the holder when it has to
// wait. The returned function releases it; it is never nil.
func (e *Engine) lockProject(ctx context.Context, project string) (func(), error) {
	noop := func() {}
	path, err := e.lockPath(project)
	if err == nil && !strings.HasPrefix(path, memLock) {
		err = privateDir(filepath.Dir(path))
	}
	if err != nil {
		return noop, core.Errorf(core.KindInternal, "locking project %q: %v", project, err).With("project", project)
	}
	timeout := e.lockTimeout
	if timeout <= 0 {
		timeout = lockTimeoutFromEnv()
	}
	group := e.sharedRecorder()
	deadline := time.Now().Add(timeout)
	warned, tries := false, 0
	var ticker *time.Ticker
	for {
		release, holder, err := tryLock(path, group)
		if err != nil {
			return noop, core.Errorf(core.KindInternal, "locking project %q (%s): %v", project, path, err).With("project", project)
		}
		if release != nil {
			return release, nil
		}
		// Once, naming the holder: its pid is in the file from just after
		// it took the lock, so give it a moment when it is not there yet.
		if tries++; !warned && (holder > 0 || tries > 20) {
			warned = true
			e.emit(Event{ID: project, Status: StatusWarning,
				Text: fmt.Sprintf("waiting for another perry-compose (%s) changing project %s", holderText(holder), project)})
		}
		if !time.Now().Before(deadline) {
			return noop, core.Errorf(core.KindTimeout,
				"another perry-compose (%s) is changing project %s: gave up waiting for it after %s (lock %s; set %s to wait longer)",
				holderText(holder), project, timeout, path, EnvLockTimeout).
				With("project", project).With("pid", holder).With("lock", path)
		}
		if ticker == nil {
			ticker = time.NewTicker(lockPoll)
			defer ticker.Stop()
		}
		select {
		case <-ctx.Done():
			return noop, core.AsError(ctx.Err()).With("project", project)
		case <-ticker.C:
		}
	}
}

func holderText(pid int) string {
	if pid <= 0 {
		return "pid unknown"
	}
	return "pid " + strconv.Itoa(pid)
}

// tryLock takes the lock at path without waiting. It returns the release
// function, or nil and the holder's pid (0 when unknown) when another
// holds it.
func tryLock(path string, group *recorder) (func(), int, error) {
	heldLocks.Lock()
	defer heldLocks.Unlock()
	if h := heldLocks.m[path]; h != nil {
		if group != nil && h.group == group {
			h.n++
			return releaser(path, h), 0, nil
		}
		return nil, os.Getpid(), nil
	}
	if strings.HasPrefix(path, memLock) {
		h := &holding{group: group, n: 1}
		heldLocks.m[path] = h
		return releaser(path, h), 0, nil
	}
	f, pid, err := lockFile(path)
	if f == nil {
		return nil, pid, err
	}
	// The holder's pid, for the message of those who wait.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	h := &holding{f: f, group: group, n: 1}
	heldLocks.m[path] = h
	return releaser(path, h), 0, nil
}

// releaser releases one holder of h, once.
func releaser(path string, h *holding) func() {
	var once sync.Once
	return func() {
		once.Do(func() {
			heldLocks.Lock()
			defer heldLocks.Unlock()
			if h.n--; h.n > 0 {
				return
			}
			delete(heldLocks.m, path)
			if h.f == nil {
				return // an in-memory lock
			}
			// Removed while still locked, so that lock files do not pile
			// up; a waiter that opened it finds it gone once it gets the
			// flock, and tries again (tryLock). Closing releases the flock.
			_ = os.Remove(path)
			h.f.Close()
		})
	}
}

// lockFile opens path and takes its flock without waiting: the open file,
// or nil and the holder's pid.
func lockFile(path string) (*os.File, int, error) {
	for {
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
		if err != nil {
			return nil, 0, err
		}
		ok, err := flockExclusive(f)
		if err != nil || !ok {
			pid := readPid(f)
			f.Close()
			return nil, pid, err
		}
		// The previous holder removed the file on release (releaser): a
		// flock on that removed file is no lock; open the new one.
		if fi, err := f.Stat(); err == nil && sameFile(fi, path) {
			return f, 0, nil
		}
		f.Close()
	}
}

// sameFile reports whether path still names the file fi describes.
func sameFile(fi os.FileInfo, path string) bool {
	cur, err := os.Lstat(path)
	return err == nil && os.SameFile(fi, cur)
}

func readPid(f *os.File) int {
	buf := make([]byte, 32)
	n, err := f.ReadAt(buf, 0)
	if err != nil && !errors.Is(err, io.EOF) {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	return pid
}
