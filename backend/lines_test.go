package backend

import (
	"slices"
	"testing"
)

func TestLineWriter(t *testing.T) {
	var got []string
	w := NewLineWriter(func(l string) { got = append(got, l) })
	for _, chunk := range []string{"a", "b\nc\n", "", "\n", "d\r\ne"} {
		if n, err := w.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	if want := []string{"ab", "c", "", "d\r"}; !slices.Equal(got, want) {
		t.Fatalf("before Close: %q, want %q", got, want)
	}
	_ = w.Close()
	_ = w.Close()
	if want := []string{"ab", "c", "", "d\r", "e"}; !slices.Equal(got, want) {
		t.Fatalf("after Close: %q, want %q", got, want)
	}
}
