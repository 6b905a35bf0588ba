package watch

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// collect reads changed paths until want is seen, failing after timeout.
func waitPath(t *testing.T, ch <-chan string, want string, timeout time.Duration) {
	t.Helper()
	deadline := time.After(timeout)
	var seen []string
	for {
		select {
		case p := <-ch:
			if p == want {
				return
			}
			seen = append(seen, p)
		case <-deadline:
			t.Fatalf("no event for %s within %v (saw %v)", want, timeout, seen)
		}
	}
}

func TestWatcherRecursive(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(filepath.Join(src, "old"), 0o700); err != nil {
		t.Fatal(err)
	}
	// a root that does not exist yet, and a file root
	later := filepath.Join(dir, "later", "deep")
	file := filepath.Join(dir, "conf.yml")
	w, err := NewWatcher([]string{src, later, file})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	ch := make(chan string, 100)
	go w.Run(ctx, ch, func(err error) { t.Errorf("watch error: %v", err) })

	write := func(p string) {
		t.Helper()
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// a file in an existing subdirectory
	write(filepath.Join(src, "old", "a.txt"))
	waitPath(t, ch, filepath.Join(src, "old", "a.txt"), 10*time.Second)

	// a new directory tree made at once: its files are reported even if
	// they were written before the watch on the directory began
	if err := os.MkdirAll(filepath.Join(src, "n1", "n2"), 0o700); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(src, "n1", "n2", "b.txt"))
	waitPath(t, ch, filepath.Join(src, "n1", "n2", "b.txt"), 10*time.Second)
	// and the new directory is watched from then on
	write(filepath.Join(src, "n1", "n2", "c.txt"))
	waitPath(t, ch, filepath.Join(src, "n1", "n2", "c.txt"), 10*time.Second)

	// a deletion
	if err := os.Remove(filepath.Join(src, "old", "a.txt")); err != nil {
		t.Fatal(err)
	}
	waitPath(t, ch, filepath.Join(src, "old", "a.txt"), 10*time.Second)

	// a directory removed and made again is watched again
	if err := os.RemoveAll(filepath.Join(src, "n1")); err != nil {
		t.Fatal(err)
	}
	waitPath(t, ch, filepath.Join(src, "n1"), 10*time.Second)
	if err := os.MkdirAll(filepath.Join(src, "n1", "n2"), 0o700); err != nil {
		t.Fatal(err)
	}
	waitPath(t, ch, filepath.Join(src, "n1", "n2"), 10*time.Second)
	write(filepath.Join(src, "n1", "n2", "again.txt"))
	waitPath(t, ch, filepath.Join(src, "n1", "n2", "again.txt"), 10*time.Second)

	// the file root, and the root that appears later
	write(file)
	waitPath(t, ch, file, 10*time.Second)
	if err := os.MkdirAll(later, 0o700); err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(later, "d.txt"))
	waitPath(t, ch, filepath.Join(later, "d.txt"), 10*time.Second)

	// paths beside the roots are not reported
	write(filepath.Join(dir, "unrelated.txt"))
	write(filepath.Join(src, "marker"))
	for p := range ch {
		if p == filepath.Join(dir, "unrelated.txt") {
			t.Fatalf("reported %s, outside every root", p)
		}
		if p == filepath.Join(src, "marker") {
			break
		}
	}
}
