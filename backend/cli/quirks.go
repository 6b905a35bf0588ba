package cli

import (
	"net"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/distribution/reference"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// What podman and nerdctl do differently from docker's CLI, measured on
// podman 4.3 and nerdctl 2.0 (tests/runtimes). Each fix brings their output
// to the shape the Docker CLI gives, so callers see one model.

// familiarImage writes an image name the way docker's CLI shows it.
func (p Protocol) familiarImage(name string) string {
	if name == "" || p.Flavor == FlavorApple {
		return name
	}
	return backend.FamiliarImage(name, p.Flavor == FlavorPodman)
}

// fixInfo normalises one container of ps or inspect output.
func (p Protocol) fixInfo(info *core.ContainerInfo) {
	info.Image = p.familiarImage(info.Image)
	if p.Flavor == FlavorNerdctl && info.State == "" && info.ExitCode == nil {
		// nerdctl's inspect leaves State.Status empty until the container
		// has a task, that is until its first start; its ps says "Created".
		info.State = "created"
		info.Status = humanStatus(info.State, nil, info.Health)
	}
}

// fixImage normalises one image of images or image inspect output.
func (p Protocol) fixImage(img *core.ImageInfo) {
	if img.Repository == "" || img.Repository == "<none>" {
		return
	}
	img.Repository = p.familiarImage(img.Repository)
}

// fixVolume fills what nerdctl's volume inspect leaves out: nerdctl has
// only local volumes, and says so in volume ls but not in inspect.
func (p Protocol) fixVolume(v *core.VolumeInfo) {
	if p.Flavor == FlavorNerdctl && v.Driver == "" {
		v.Driver = "local"
	}
}

// removedNothing reports whether a forced removal found nothing to remove:
// podman's rm -f, volume rm -f and rmi -f exit 0 and print nothing for a
// missing object, where they print the name of each one they removed.
func (p Protocol) removedNothing(args []string, out output) bool {
	return p.Flavor == FlavorPodman && forced(args) && strings.TrimSpace(string(out.stdout)) == "" && strings.TrimSpace(out.stderr) == ""
}

func forced(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--force" || a == "-f" {
			return true
		}
	}
	return false
}

// nerdctlExecExit matches the line by which nerdctl 2.0 reports the exit
// status of an exec'd command: it exits 1 with a fatal log line instead of
// exiting with the command's code.
var nerdctlExecExit = regexp.MustCompile(`exec failed with exit code (\d+)`)

// nerdctl 2.0's exec can lose the end of a command's output: it returns on
// the exit status, and deleting the exec process then closes its end of the
// output FIFOs before its copy has read what the shim wrote there. The
// command's exit code is right, its output short or empty (measured here: 2
// of 80 `env` execs run 8 at a time came back exit 0 with no output; none
// of 200 run one after another). Nothing on the command line avoids it (a
// TTY takes the same path); the exit code, which health probes read, is
// never affected.

// execExitCode returns the exec'd command's exit code when the CLI reported
// it as its own failure (nerdctl), and false otherwise. Only a failed CLI's
// fatal log line counts: the command itself may print those words.
func (p Protocol) execExitCode(out output) (int, bool) {
	last := lastLine(out.stderr)
	if p.Flavor != FlavorNerdctl || out.code == 0 || !nerdctlFatal(last) {
		return 0, false
	}
	m := nerdctlExecExit.FindStringSubmatch(last)
	if m == nil {
		return 0, false
	}
	code, err := strconv.Atoi(m[1])
	return code, err == nil
}

// nerdctlFatal reports whether line is nerdctl's fatal log line, in its
// text (FATA[0000] ...) or logfmt (level=fatal) form.
func nerdctlFatal(line string) bool {
	return strings.HasPrefix(line, "FATA[") || strings.Contains(line, "level=fatal")
}

// execStderr drops the log line that execExitCode read, so the command's
// own stderr is what remains.
func execStderr(stderr string) string {
	s := strings.TrimRight(stderr, "\n")
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		return s[:i+1]
	}
	return ""
}

// existsAlready reports whether a create failed only because the volume
// exists: docker's and nerdctl's volume create keep an existing volume and
// succeed, podman 4's refuses (it has no --ignore before 4.4).
func (p Protocol) existsAlready(out output) bool {
	return p.Flavor == FlavorPodman && out.code != 0 && strings.Contains(out.stderr, "already exists")
}

// loopbackRegistry reports whether ref names a registry on a loopback
// address (localhost, 127.0.0.0/8, ::1), which Docker treats as insecure.
func loopbackRegistry(ref string) bool {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return false
	}
	host := reference.Domain(named)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// isImageID reports whether s is an image id ("sha256:<64 hex>" or the 64
// hex digits alone) rather than a reference.
func isImageID(s string) bool {
	s = strings.TrimPrefix(s, "sha256:")
	return len(s) == 64 && reference.IdentifierRegexp.MatchString(s)
}

// nerdctlAliasHost returns the one name every network alias of s gives,
// when nerdctl can give it as the hostname instead. nerdctl 2.0 has no
// network aliases, but it writes each container's hostname into the hosts
// file of every container on a shared network, so a hostname resolves as an
// alias would; nerdctl compose names its services that way. It applies only
// when its aliases are one name (compose's default: the service name on
// every network) and s sets no hostname of its own. An alias that is the
// container's own name needs nothing: nerdctl writes the name into the
// hosts files too.
func nerdctlAliasHost(s *core.ContainerSpec, primary *core.NetworkAttach) (string, bool) {
	name := ""
	for _, set := range append([][]string{primary.Aliases}, networkAliases(s.Networks)...) {
		for _, alias := range otherAliases(s, set) {
			if s.Hostname != "" || name != "" && alias != name {
				return "", false
			}
			name = alias
		}
	}
	return name, name != ""
}

// otherAliases is aliases without the container's own name: its name, or
// the name a replacement container is renamed to once the one it replaces
// is gone (compose creates it as "<12 hex digits of the old id>_<name>",
// docker compose's convention too).
func otherAliases(s *core.ContainerSpec, aliases []string) []string {
	final := s.Name
	if id, rest, ok := strings.Cut(s.Name, "_"); ok && len(id) == 12 && strings.Trim(id, "0123456789abcdef") == "" {
		final = rest
	}
	return slices.DeleteFunc(slices.Clone(aliases), func(a string) bool { return a != "" && (a == s.Name || a == final) })
}

func networkAliases(nets []core.NetworkAttach) [][]string {
	out := make([][]string, len(nets))
	for i, n := range nets {
		out[i] = n.Aliases
	}
	return out
}

// followsFinished reports whether a follow of a container in state must
// read its log whole instead: podman 4's logs -f of a container that has
// exited (k8s-file log driver) stops at some point of a long log, losing
// the rest (a 100,000-line log arrived with 20,000 to 50,000 of its lines,
// some out of order), where its logs without -f prints every line. A
// finished container's log is complete, so nothing is lost by not
// following it. Its API service shares the fault (see backend/api/podman.go).
func (p Protocol) followsFinished(state string) bool {
	return p.Flavor == FlavorPodman && (state == "exited" || state == "dead")
}

// podmanNotRunning matches podman's refusal of an exec in a container that
// is not running: it exits 255 (not 125), so exit status alone would read
// as the command's own.
const podmanNotRunning = "can only create exec sessions on running containers"

// execRefused reports whether the CLI refused an exec because the
// container is not running, in the words of each CLI.
func (p Protocol) execRefused(out output) bool {
	last := lastLine(out.stderr)
	switch {
	case out.code == 0:
		return false
	case p.Flavor == FlavorPodman:
		return strings.HasPrefix(last, "Error: ") && strings.Contains(last, podmanNotRunning)
	case p.Flavor == FlavorNerdctl:
		return nerdctlFatal(last) && strings.Contains(last, "cannot exec in a stopped state")
	case p.Flavor == FlavorDocker:
		return strings.HasPrefix(last, "Error response from daemon:") && strings.HasSuffix(last, " is not running")
	}
	return false
}
