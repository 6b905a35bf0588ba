package installer

import (
	"strings"
)

// Entry is one installable backend of a platform's menu: its name, a one-line description, the installation
// command(s) and the official documentation URL.
type Entry struct {
	// Name is the backend's canonical name ("podman", "apple/container", …),
	// the same name detection reports.
	Name string
	// Description is the one-line description shown next to the name.
	Description string
	// Commands are the installation steps, each an argv run without a shell,
	// in order; the first failure stops the installation. An entry with no
	// Commands cannot be installed automatically: Manual says what to do.
	Commands [][]string
	// Manual is the installation advice shown instead of a command when
	// Commands is empty (e.g. a Linux distribution we have no command for).
	Manual string
	// Note follows the command in the menu (e.g. "or see docs").
	Note string
	// DocsURL is the official installation documentation.
	DocsURL string
}

// Command is the entry's installation as a person would type it: the steps
// joined with " && ", or Manual when there are no steps.
func (e Entry) Command() string {
	if len(e.Commands) == 0 {
		return e.Manual
	}
	parts := make([]string, len(e.Commands))
	for i, argv := range e.Commands {
		parts[i] = DisplayArgv(argv)
	}
	return strings.Join(parts, " && ")
}

// Automatic reports whether the entry has commands the installer can run.
func (e Entry) Automatic() bool { return len(e.Commands) > 0 }

// DisplayArgv renders one argv for display. A fixed shell script run as
// ["sh", "-c", script] is shown as the script itself; other arguments are
// single-quoted when they hold characters a shell would interpret.
func DisplayArgv(argv []string) string {
	if len(argv) == 3 && argv[0] == "sh" && argv[1] == "-c" {
		return argv[2]
	}
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = shellQuote(a)
	}
	return strings.Join(out, " ")
}

func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`|&;<>()*?[]{}!#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Platform names a menu of the install table.
type Platform string

const (
	PlatformMacOS   Platform = "macos"        // darwin and ios
	PlatformDebian  Platform = "linux-debian" // Debian, Ubuntu and their derivatives
	PlatformFedora  Platform = "linux-fedora" // Fedora, RHEL, CentOS and their derivatives
	PlatformLinux   Platform = "linux"        // any other Linux (or other Unix): manual podman advice
	PlatformWindows Platform = "windows"
)

// Label is the platform as the installer names it to a person.
func (p Platform) Label() string {
	switch p {
	case PlatformMacOS:
		return "macOS"
	case PlatformDebian:
		return "Linux (Debian/Ubuntu)"
	case PlatformFedora:
		return "Linux (Fedora/RHEL)"
	case PlatformWindows:
		return "Windows"
	default:
		return "Linux"
	}
}

// Table maps each platform to its menu, highest priority first (detection's
// platform order, docs/design.md, Detection). It is data: tests and embedders may pass their own.
type Table map[Platform][]Entry

// Menu returns a copy of the platform's menu.
func (t Table) Menu(p Platform) []Entry {
	src := t[p]
	out := make([]Entry, len(src))
	for i, e := range src {
		e.Commands = cloneCommands(e.Commands)
		out[i] = e
	}
	return out
}

func cloneCommands(cmds [][]string) [][]string {
	if cmds == nil {
		return nil
	}
	out := make([][]string, len(cmds))
	for i, argv := range cmds {
		out[i] = append([]string(nil), argv...)
	}
	return out
}

// Docs URLs and descriptions shared by several menus.
const (
	podmanLinuxDocs = "https://podman.io/getting-started/installation"
	// dockerEngineDocs is Docker Engine's official installation page.
	dockerEngineDocs = "https://docs.docker.com/engine/install/"
	// dockerConvenienceScript is Docker's official convenience installer.
	// It is a pipe, so it runs as ["sh", "-c", dockerConvenienceScript]:
	// the string is a constant of this table, never built from user data.
	dockerConvenienceScript = "curl -fsSL https://get.docker.com | sh"
)

func linuxMenu(podman Entry) []Entry {
	return []Entry{
		podman,
		{
			Name:        "nerdctl",
			Description: "containerd CLI wrapper",
			Commands:    [][]string{{"brew", "install", "nerdctl"}},
			Note:        "or see docs",
			DocsURL:     "https://github.com/containerd/nerdctl",
		},
		{
			Name:        "docker",
			Description: "Docker Engine",
			Commands:    [][]string{{"sh", "-c", dockerConvenienceScript}},
			DocsURL:     dockerEngineDocs,
		},
	}
}

// DefaultTable is the install table of every platform. Each call
// returns a fresh table the caller may modify.
func DefaultTable() Table {
	const podmanDesc = "Daemonless, rootless OCI runtime (recommended)"
	return Table{
		PlatformMacOS: {
			{
				Name:        "apple/container",
				Description: "Apple's native container runtime (recommended)",
				Commands:    [][]string{{"brew", "install", "container"}},
				DocsURL:     "https://github.com/apple/container",
			},
			{
				Name:        "orbstack",
				Description: "Fast macOS VM with Docker-compatible API",
				Commands:    [][]string{{"brew", "install", "--cask", "orbstack"}},
				DocsURL:     "https://orbstack.dev",
			},
			{
				Name:        "colima",
				Description: "Lightweight macOS container runtime",
				Commands:    [][]string{{"brew", "install", "colima"}},
				DocsURL:     "https://github.com/abiosoft/colima",
			},
			{
				Name:        "podman",
				Description: "Daemonless, rootless OCI runtime",
				Commands: [][]string{
					{"brew", "install", "podman"},
					{"podman", "machine", "init"},
					{"podman", "machine", "start"},
				},
				DocsURL: "https://podman.io",
			},
			{
				Name:        "docker",
				Description: "Docker Desktop for Mac",
				Commands:    [][]string{{"brew", "install", "--cask", "docker"}},
				DocsURL:     "https://docs.docker.com/desktop/mac",
			},
		},
		PlatformDebian: linuxMenu(Entry{
			Name:        "podman",
			Description: podmanDesc,
			Commands:    [][]string{{"sudo", "apt-get", "install", "-y", "podman"}},
			DocsURL:     podmanLinuxDocs,
		}),
		PlatformFedora: linuxMenu(Entry{
			Name:        "podman",
			Description: podmanDesc,
			Commands:    [][]string{{"sudo", "dnf", "install", "-y", "podman"}},
			DocsURL:     podmanLinuxDocs,
		}),
		// A distribution that is neither Debian- nor Fedora-like: we do not
		// guess its package manager, so podman is advice only.
		PlatformLinux: linuxMenu(Entry{
			Name:        "podman",
			Description: podmanDesc,
			Manual:      "sudo apt-get install -y podman (Debian/Ubuntu) or sudo dnf install -y podman (Fedora/RHEL), or your distribution's package manager",
			DocsURL:     podmanLinuxDocs,
		}),
		PlatformWindows: {
			{
				Name:        "podman",
				Description: podmanDesc,
				Commands:    [][]string{{"winget", "install", "RedHat.Podman"}},
				DocsURL:     podmanLinuxDocs,
			},
			{
				Name:        "docker",
				Description: "Docker Desktop for Windows",
				Commands:    [][]string{{"winget", "install", "Docker.DockerDesktop"}},
				DocsURL:     "https://docs.docker.com/desktop/windows",
			},
		},
	}
}

// DetectPlatform picks the menu for a GOOS value and, on Linux, the contents
// of /etc/os-release: Debian/Ubuntu-like and Fedora/RHEL-like distributions
// (by ID, then ID_LIKE) get their package manager's command; any other Linux,
// an unreadable os-release, and any other Unix get PlatformLinux.
func DetectPlatform(goos, osRelease string) Platform {
	switch goos {
	case "darwin", "ios":
		return PlatformMacOS
	case "windows":
		return PlatformWindows
	case "linux":
		return linuxFamily(osRelease)
	default:
		return PlatformLinux
	}
}

var (
	debianIDs = []string{"debian", "ubuntu", "linuxmint", "pop", "raspbian", "elementary", "kali", "neon", "zorin", "devuan"}
	fedoraIDs = []string{"fedora", "rhel", "centos", "rocky", "almalinux", "ol", "amzn", "nobara"}
)

func linuxFamily(osRelease string) Platform {
	kv := ParseOSRelease(osRelease)
	classify := func(ids []string) Platform {
		for _, id := range ids {
			for _, d := range debianIDs {
				if id == d {
					return PlatformDebian
				}
			}
			for _, f := range fedoraIDs {
				if id == f {
					return PlatformFedora
				}
			}
		}
		return ""
	}
	if p := classify([]string{strings.ToLower(kv["ID"])}); p != "" {
		return p
	}
	if p := classify(strings.Fields(strings.ToLower(kv["ID_LIKE"]))); p != "" {
		return p
	}
	return PlatformLinux
}

// ParseOSRelease parses os-release(5) text: KEY=value lines, values
// optionally single- or double-quoted, # comments and blank lines ignored.
func ParseOSRelease(text string) map[string]string {
	out := map[string]string{}
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			quote := v[0]
			v = v[1 : len(v)-1]
			if quote == '"' {
				v = strings.NewReplacer(`\"`, `"`, `\\`, `\`, "\\`", "`", `\$`, `$`).Replace(v)
			}
		}
		out[strings.TrimSpace(k)] = v
	}
	return out
}

// Menu is the default table's menu for a platform, highest priority first.
func Menu(goos, osRelease string) []Entry {
	return DefaultTable().Menu(DetectPlatform(goos, osRelease))
}

// EnvNoInstallPrompt silences the interactive installer when set to "1".
const EnvNoInstallPrompt = "PERRY_NO_INSTALL_PROMPT"

// silenceLine tells a person at the installer prompt how to skip it; only
// the prompt says it (a library host is never prompted).
const silenceLine = "Set " + EnvNoInstallPrompt + "=1 to silence the interactive installer prompt."

// Hint is the non-interactive install advice for the platform's
// recommended backend (the first entry of its menu): what to install and
// how, and its docs URL. It is the one install hint: detection appends it to
// NoBackendFound, the installer prints it when a person declines.
func Hint(goos, osRelease string) string {
	return DefaultTable().Hint(goos, osRelease)
}

// Hint is Hint over this table.
func (t Table) Hint(goos, osRelease string) string {
	p := DetectPlatform(goos, osRelease)
	var b strings.Builder
	if menu := t[p]; len(menu) > 0 {
		e := menu[0]
		b.WriteString("Hint: Install " + e.Name + " for " + p.Label())
		if e.Automatic() {
			b.WriteString(": `" + e.Command() + "`")
		} else if e.Manual != "" {
			b.WriteString(": " + e.Manual)
		}
		b.WriteString(". See: " + e.DocsURL)
	} else {
		b.WriteString("Hint: install a container runtime (podman or docker) for " + p.Label() + ".")
	}
	return b.String()
}
