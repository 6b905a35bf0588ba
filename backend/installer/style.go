package installer

import "strings"

// ANSI SGR sequences of the installer's colours (name bold, install command cyan, success green, error red).
const (
	sgrBold  = "\x1b[1m"
	sgrCyan  = "\x1b[36m"
	sgrGreen = "\x1b[32m"
	sgrRed   = "\x1b[31m"
	sgrReset = "\x1b[0m"
)

// ANSICapable reports whether the installer may use colour and the
// arrow-key menu on env's stderr: it is a terminal, NO_COLOR is unset, and
// TERM is not "dumb" (nor empty, except on Windows, whose consoles set no
// TERM but understand ANSI).
func ANSICapable(env Env) bool { return ansiCapable(env.withDefaults()) }

func ansiCapable(env Env) bool {
	if !env.StderrIsTTY || env.Getenv("NO_COLOR") != "" {
		return false
	}
	t := strings.TrimSpace(env.Getenv("TERM"))
	switch {
	case t == "dumb":
		return false
	case t == "":
		return env.GOOS == "windows"
	}
	return true
}

type style struct{ ansi bool }

func newStyle(ansi bool) style { return style{ansi: ansi} }

func (s style) wrap(sgr, text string) string {
	if !s.ansi {
		return text
	}
	return sgr + text + sgrReset
}

func (s style) bold(t string) string  { return s.wrap(sgrBold, t) }
func (s style) cyan(t string) string  { return s.wrap(sgrCyan, t) }
func (s style) green(t string) string { return s.wrap(sgrGreen, t) }
func (s style) red(t string) string   { return s.wrap(sgrRed, t) }
