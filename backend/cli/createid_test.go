package cli

import "testing"

// Regression (tests/fault, garbage mode): a create that printed garbage
// instead of an id had it used as the id by start, network connect and
// rollback (whose argv then held a NUL: "fork/exec: invalid argument").
func TestCreateOutputMustBeAnID(t *testing.T) {
	for _, ok := range []string{"0123abcdef", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", "my-container.1", "4f1c7f36-1b2e-4a9e-9f3e-2b1d0c9a8e7f"} {
		if !containerID.MatchString(ok) {
			t.Errorf("%q rejected", ok)
		}
	}
	for _, bad := range []string{"\xff\x00garbage{[not json", "garbage{", "Error: no such image", "-rf", "a b", "id\x00"} {
		if containerID.MatchString(bad) {
			t.Errorf("%q accepted as a container id", bad)
		}
	}
}
