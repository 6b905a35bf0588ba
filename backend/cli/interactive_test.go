package cli

import (
	"bytes"
	"testing"

	"github.com/perryts/perry-container/internal/testenv"
)

// Attached exec and run through the docker, podman and nerdctl CLIs.
func TestInteractiveCLIs(t *testing.T) {
	for _, name := range []string{"docker", "podman", "nerdctl"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testenv.InteractiveContract(t, liveBackend(t, name))
		})
	}
}

// nerdctl's log lines are held back, the last one dropped when it carried
// the exit status; everything else passes at once, in any split.
func TestLogLineFilter(t *testing.T) {
	const fatal = `time="2026-01-01T00:00:00Z" level=fatal msg="exec failed with exit code 7"` + "\n"
	const warn = `time="2026-01-01T00:00:00Z" level=warning msg="x"` + "\n"
	cases := []struct {
		in, early, final string
		drop             bool
	}{
		{"err\n" + fatal, "err\n", "err\n", true},
		{"err\n" + fatal, "err\n", "err\n" + fatal, false},
		{warn + "out\n" + fatal, "out\n", "out\n" + warn, true},
		{"$ ", "$ ", "$ ", false},               // a prompt passes without its newline
		{"ti\ntime", "ti\n", "ti\ntime", false}, // short lines that begin like one
	}
	for _, c := range cases {
		for _, size := range []int{1, 3, 1000} {
			var out bytes.Buffer
			f := &logLineFilter{w: &out}
			for in := c.in; in != ""; {
				n := min(size, len(in))
				if k, err := f.Write([]byte(in[:n])); k != n || err != nil {
					t.Fatalf("Write: %d %v", k, err)
				}
				in = in[n:]
			}
			if out.String() != c.early {
				t.Errorf("%q in pieces of %d: %q before the end, want %q", c.in, size, out.String(), c.early)
			}
			f.finish(c.drop)
			if out.String() != c.final {
				t.Errorf("%q in pieces of %d (drop %v): %q, want %q", c.in, size, c.drop, out.String(), c.final)
			}
		}
	}
}
