package fake

import (
	"sort"
	"strconv"
	"strings"
)

// interpret runs argv in the fake's tiny command language. exits reports
// whether the command ends by itself (a container running it exits).
func interpret(argv []string, env map[string]string, wd string, files map[string]string) (stdout, stderr string, code int, exits bool) {
	if len(argv) == 0 {
		return "", "", 0, false
	}
	switch argv[0] {
	case "echo":
		return strings.Join(argv[1:], " ") + "\n", "", 0, true
	case "true":
		return "", "", 0, true
	case "false":
		return "", "", 1, true
	case "env":
		keys := make([]string, 0, len(env))
		for k := range env {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var sb strings.Builder
		for _, k := range keys {
			sb.WriteString(k + "=" + env[k] + "\n")
		}
		return sb.String(), "", 0, true
	case "pwd":
		if wd == "" {
			wd = "/"
		}
		return wd + "\n", "", 0, true
	case "cat":
		var sb strings.Builder
		for _, p := range argv[1:] {
			content, ok := files[p]
			if !ok {
				return sb.String(), "cat: can't open '" + p + "': No such file or directory\n", 1, true
			}
			sb.WriteString(content)
		}
		return sb.String(), "", 0, true
	case "exit":
		n := 0
		if len(argv) > 1 {
			n, _ = strconv.Atoi(argv[1])
		}
		return "", "", n, true
	case "sh", "/bin/sh":
		if len(argv) == 3 && argv[1] == "-c" {
			return script(argv[2], env, wd, files)
		}
	}
	return "", "", 0, false
}

// script runs a `sh -c` script of simple commands separated by ';' or
// newlines. It stops at `exit`, or at a command that does not end (the
// container keeps running with the output so far).
func script(s string, env map[string]string, wd string, files map[string]string) (stdout, stderr string, code int, exits bool) {
	var out, errOut strings.Builder
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '\n' }) {
		o, e, c, ends := interpret(strings.Fields(part), env, wd, files)
		out.WriteString(o)
		errOut.WriteString(e)
		code = c
		if !ends {
			return out.String(), errOut.String(), 0, false
		}
		if f := strings.Fields(part); len(f) > 0 && f[0] == "exit" {
			break
		}
	}
	return out.String(), errOut.String(), code, true
}
