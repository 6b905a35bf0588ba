package main

import (
	"context"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
)

func TestDryRunUpAndDownOnFake(t *testing.T) {
	c := newCLIEnv(t, sleepers)
	count := func() int {
		cs, err := c.b.List(context.Background(), backend.ListOptions{All: true})
		if err != nil {
			t.Fatal(err)
		}
		return len(cs)
	}
	// Before the command and after it.
	for _, args := range [][]string{{"--dry-run", "--progress", "plain", "up", "-d"}, {"--progress", "plain", "up", "-d", "--dry-run"}} {
		r := c.must(args...)
		if !strings.Contains(r.stderr, "demo-app-1  Started") || count() != 0 {
			t.Fatalf("%v: %q, %d containers", args, r.stderr, count())
		}
	}
	c.must("up", "-d")
	r := c.must("--dry-run", "--progress", "plain", "down")
	if !strings.Contains(r.stderr, "demo-web-1  Removed") || count() != 2 {
		t.Fatalf("dry-run down: %q, %d containers", r.stderr, count())
	}
	if r := c.must("--dry-run", "ps", "--services"); r.stdout != "app\nweb\n" {
		t.Fatalf("ps under --dry-run: %q", r.stdout)
	}
	if r := c.run("--dry-run", "stop"); r.code == 0 || !strings.Contains(r.stderr, "--dry-run") {
		t.Fatalf("stop under --dry-run: %+v", r)
	}
	if s := c.states(); s["app"] != "running" || s["web"] != "running" {
		t.Fatalf("after the dry runs: %v", s)
	}
}
