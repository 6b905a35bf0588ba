package backend

import (
	"reflect"
	"testing"
)

func TestParseTop(t *testing.T) {
	got := ParseTop("UID   PID  CMD\nroot  1    sh -c  'a  b'\n\nroot  7    sleep 9\n")
	want := Processes{Titles: []string{"UID", "PID", "CMD"}, Processes: [][]string{{"root", "1", "sh -c  'a  b'"}, {"root", "7", "sleep 9"}}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %#v", got)
	}
	if got := ParseTop(""); len(got.Titles) != 0 || len(got.Processes) != 0 {
		t.Fatalf("empty: %#v", got)
	}
}
