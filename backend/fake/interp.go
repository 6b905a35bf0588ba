package fake

import (
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// shell is what a command of the fake's tiny language sees: its
// environment, working directory and the container's files (never nil: a
// redirection writes into it).
type shell struct {
	env   map[string]string
	wd    string
	files map[string]string
	modes map[string]fileMeta // read only
}

// fileMeta is a file's mode and owner, as stat prints them.
type fileMeta struct {
	mode     fs.FileMode
	uid, gid int
}

// defaultMeta is a file's mode and owner unless WriteFiles set them.
var defaultMeta = fileMeta{mode: 0o644}

// result is one command's outcome. exits reports whether the command ends by
// itself (a container running it exits); a command the language does not
// know does not end.
type result struct {
	stdout, stderr string
	code           int
	exits          bool
}

// interpret runs argv in the fake's tiny command language.
func (sh shell) interpret(argv []string) result {
	if len(argv) == 0 {
		return result{}
	}
	switch argv[0] {
	case "echo":
		return result{stdout: strings.Join(argv[1:], " ") + "\n", exits: true}
	case "true":
		return result{exits: true}
	case "false":
		return result{code: 1, exits: true}
	case "env":
		keys := make([]string, 0, len(sh.env))
		for k := range sh.env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var sb strings.Builder
		for _, k := range keys {
			sb.WriteString(k + "=" + sh.env[k] + "\n")
		}
		return result{stdout: sb.String(), exits: true}
	case "pwd":
		wd := sh.wd
		if wd == "" {
			wd = "/"
		}
		return result{stdout: wd + "\n", exits: true}
	case "cat":
		var sb strings.Builder
		for _, p := range argv[1:] {
			content, ok := sh.files[p]
			if !ok {
				return result{stdout: sb.String(), stderr: "cat: can't open '" + p + "': No such file or directory\n", code: 1, exits: true}
			}
			sb.WriteString(content)
		}
		return result{stdout: sb.String(), exits: true}
	case "stat":
		// stat -c FORMAT FILE...: %n, %a, %u and %g.
		if len(argv) < 4 || argv[1] != "-c" {
			return result{stderr: "stat: the fake knows stat -c FORMAT FILE... only\n", code: 1, exits: true}
		}
		var sb strings.Builder
		for _, p := range argv[3:] {
			if _, ok := sh.files[p]; !ok {
				return result{stdout: sb.String(), stderr: "stat: can't stat '" + p + "': No such file or directory\n", code: 1, exits: true}
			}
			m, ok := sh.modes[p]
			if !ok {
				m = defaultMeta
			}
			sb.WriteString(strings.NewReplacer("%n", p, "%a", strconv.FormatUint(uint64(m.mode), 8),
				"%u", strconv.Itoa(m.uid), "%g", strconv.Itoa(m.gid)).Replace(argv[2]) + "\n")
		}
		return result{stdout: sb.String(), exits: true}
	case "test", "[":
		// test -f FILE / test -e FILE: whether the file exists.
		if len(argv) >= 3 && (argv[1] == "-f" || argv[1] == "-e") {
			if _, ok := sh.files[argv[2]]; ok {
				return result{exits: true}
			}
		}
		return result{code: 1, exits: true}
	case "exit":
		n := 0
		if len(argv) > 1 {
			n, _ = strconv.Atoi(argv[1])
		}
		return result{code: n, exits: true}
	case "sh", "/bin/sh":
		if len(argv) == 3 && argv[1] == "-c" {
			return sh.script(argv[2])
		}
	}
	return result{}
}

// script runs a `sh -c` script: simple commands separated by ';' or
// newlines, words split on blanks with '…' and "…" quoting, and the
// redirections >, >>, 2>, 2>>, 2>&1 and >&2 (to a file of the container, or
// /dev/null). It stops at `exit`, or at a command that does not end (the
// container keeps running with the output so far).
func (sh shell) script(s string) result {
	var out, errOut strings.Builder
	code := 0
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		words := splitWords(part)
		argv, redirs := parseRedirections(words)
		r := sh.interpret(argv)
		sh.redirect(r, redirs, &out, &errOut)
		code = r.code
		if !r.exits {
			return result{stdout: out.String(), stderr: errOut.String()}
		}
		if len(argv) > 0 && argv[0] == "exit" {
			break
		}
	}
	return result{stdout: out.String(), stderr: errOut.String(), code: code, exits: true}
}

// redirection sends stream 1 or 2 to a file (append or truncate) or to the
// other stream (toFD).
type redirection struct {
	fd     int
	path   string
	append bool
	toFD   int
}

// parseRedirections separates a command's words from its redirections.
func parseRedirections(words []string) (argv []string, redirs []redirection) {
	for i := 0; i < len(words); i++ {
		w := words[i]
		fd := 1
		rest := w
		if strings.HasPrefix(rest, "2>") || strings.HasPrefix(rest, "1>") {
			fd = int(rest[0] - '0')
			rest = rest[1:]
		}
		if !strings.HasPrefix(rest, ">") {
			argv = append(argv, w)
			continue
		}
		rest = rest[1:]
		r := redirection{fd: fd}
		if strings.HasPrefix(rest, ">") {
			r.append, rest = true, rest[1:]
		}
		if rest == "&1" || rest == "&2" {
			r.toFD = int(rest[1] - '0')
			redirs = append(redirs, r)
			continue
		}
		if rest == "" && i+1 < len(words) {
			i++
			rest = words[i]
		}
		r.path = rest
		redirs = append(redirs, r)
	}
	return argv, redirs
}

// redirect writes a command's output where its redirections say, in order
// (as sh applies them: `> f 2>&1` sends both to f).
func (sh shell) redirect(r result, redirs []redirection, out, errOut *strings.Builder) {
	type sink struct {
		path string // "" = the command's own stream
		app  bool
		fd   int
	}
	dest := [3]sink{1: {fd: 1}, 2: {fd: 2}}
	for _, rd := range redirs {
		if rd.toFD != 0 {
			dest[rd.fd] = dest[rd.toFD]
			continue
		}
		dest[rd.fd] = sink{path: rd.path, app: rd.append, fd: -1}
	}
	truncated := map[string]bool{}
	for fd, text := range [3]string{1: r.stdout, 2: r.stderr} {
		if fd == 0 {
			continue
		}
		d := dest[fd]
		switch {
		case d.fd == 1:
			out.WriteString(text)
		case d.fd == 2:
			errOut.WriteString(text)
		case d.path == "/dev/null":
		default:
			if !d.app && !truncated[d.path] {
				sh.files[d.path] = ""
				truncated[d.path] = true
			}
			sh.files[d.path] += text
		}
	}
}

// splitWords splits a command on blanks, keeping '…' and "…" together
// (without the quotes).
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0:
			if r == quote {
				quote = 0
			} else {
				cur.WriteRune(r)
			}
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
