package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The committed table is what the generator writes: regenerate it with
// `go run ./tests/c/badinput/gen` after changing the generator.
func TestCommittedTableIsCurrent(t *testing.T) {
	want := render(cases())
	got, err := os.ReadFile("../cases.inc")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("tests/c/badinput/cases.inc is stale: run `go run ./tests/c/badinput/gen`")
	}
}

// The table covers every function the header exports, with at least 500 cases.
func TestTableCoversEveryExport(t *testing.T) {
	header, err := os.ReadFile("../../../../include/perry_container.h")
	if err != nil {
		t.Fatal(err)
	}
	cs := cases()
	if len(cs) < 500 {
		t.Fatalf("only %d cases", len(cs))
	}
	covered := map[string]bool{}
	for _, c := range cs {
		covered[strings.TrimPrefix(c.Fn, "F_")] = true
	}
	for _, line := range strings.Split(string(header), "\n") {
		if !strings.HasPrefix(line, "PERRY_EXTERN(") {
			continue
		}
		rest := line[strings.Index(line, ")")+1:]
		name := strings.TrimSpace(rest[:strings.Index(rest, "(")])
		if !covered[name] {
			t.Errorf("%s has no bad-input case", name)
		}
	}
}
