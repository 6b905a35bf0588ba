package capability

import "path"

// chainguardRegistry is where Chainguard publishes its public images.
const chainguardRegistry = "cgr.dev/chainguard/"

// DefaultBaseImage is the image of a capability whose tool has no image of
// its own: Chainguard's wolfi-base (docs/design.md, Image verification: Chainguard's alpine-base
// was withdrawn by Chainguard in 2023 and gets no updates). It has a shell
// and busybox.
func DefaultBaseImage() string { return chainguardRegistry + "wolfi-base" }

// chainguardTools maps a command name to the Chainguard public image that
// ships it. Only images known to exist are listed; a name missing here
// falls back to DefaultBaseImage. jq is left out: its image could not be
// confirmed against the registry from this (offline) environment.
var chainguardTools = map[string]string{
	"git":     "git",
	"curl":    "curl",
	"python":  "python",
	"python3": "python",
	"go":      "go",
	"node":    "node",
	"bash":    "bash",
	"busybox": "busybox",
}

// ChainguardImage returns the Chainguard image for tool (a command name or
// path: "git", "/usr/bin/git"), and false when there is none. These are
// the :latest images, which have no shell: a capability runs its command
// directly, never through sh -c.
func ChainguardImage(tool string) (string, bool) {
	img, ok := chainguardTools[path.Base(tool)]
	if !ok || tool == "" {
		return "", false
	}
	return chainguardRegistry + img, true
}

// imageFor is the image a capability runs when none is configured.
func imageFor(cmd []string) string {
	if len(cmd) > 0 {
		if img, ok := ChainguardImage(cmd[0]); ok {
			return img
		}
	}
	return DefaultBaseImage()
}
