package backend

import (
	"bytes"
	"errors"
	"io"
	"testing"
	"testing/iotest"
)

func TestParseDetachKeys(t *testing.T) {
	for in, want := range map[string][]byte{
		"":                       {16, 17},
		"ctrl-p,ctrl-q":          {16, 17},
		"CTRL-A,x":               {1, 'x'},
		"ctrl-@,ctrl-[,ctrl-\\":  {0, 27, 28},
		"ctrl-],ctrl-^,ctrl-_,q": {29, 30, 31, 'q'},
	} {
		got, err := ParseDetachKeys(in)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("ParseDetachKeys(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"ctrl-1", "ab", "ctrl-", "ctrl-p,", "ctrl-pq"} {
		if _, err := ParseDetachKeys(in); err == nil {
			t.Errorf("ParseDetachKeys(%q) accepted", in)
		}
	}
}

func TestDetachReader(t *testing.T) {
	keys := []byte{16, 17} // ctrl-p,ctrl-q
	cases := []struct {
		name, in, want string
		detached       bool
	}{
		{"plain input ends", "echo hi\n", "echo hi\n", false},
		{"the sequence detaches", "ls\n\x10\x11after", "ls\n", true},
		{"a broken sequence is input", "a\x10b\x10\x10\x11", "a\x10b\x10", true},
		{"an unfinished sequence at the end is input", "x\x10", "x\x10", false},
	}
	for _, c := range cases {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = bytes.NewReader([]byte(c.in))
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			got, err := io.ReadAll(DetachReader(r, keys))
			if string(got) != c.want || errors.Is(err, ErrDetached) != c.detached || (!c.detached && err != nil) {
				t.Errorf("%s (one byte %v): %q, %v; want %q, detached %v", c.name, oneByte, got, err, c.want, c.detached)
			}
		}
	}
}
