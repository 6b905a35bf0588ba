package core

import (
	"fmt"
	"slices"
	"strings"
)

// The control-character rule, the same on every backend because Validate,
// which every backend calls, applies it:
//
// A control character (C0, U+0000–U+001F, which includes tab, CR and LF; and
// DEL, U+007F) is refused with InvalidArgument naming the field in every
// path, name, identifier and option value of a ContainerSpec: mount and
// volume sources and targets, tmpfs, seccomp, workdir, user, networks,
// aliases, hosts, DNS, capabilities, security options, sysctls, log
// options, ulimits, durations, and the keys of env and labels. These fields
// reach the runtimes inside CSV records (docker's --mount, nerdctl's list
// flags) or key=value and colon-separated syntaxes that cannot carry them
// (Go's CSV reader drops the CR of a CRLF even inside quotes), and a path or
// name with a line break is never what a user meant.
//
// Allowed, because every runtime receives them byte for byte (argv on the
// CLIs, JSON on the Engine API, single-quoted by lima's shell): env values,
// label values, cmd, entrypoint and the healthcheck test, where multi-line
// scripts and tabs are legitimate. Also the JSON whitespace (tab, LF, CR) of
// an inline seccomp profile (security option "seccomp={...}"): a
// pretty-printed profile is a JSON document like any other, which the
// engines receive whole (the API in its body, the compose engine as a file).
// Except CR in env and label values:
// podman's CLI turns CR LF into LF in env values, nerdctl's in labels. NUL
// is refused everywhere (see FindNUL).

// IsControl reports whether r is a C0 control character or DEL.
func IsControl(r rune) bool { return r < 0x20 || r == 0x7f }

// findControl reports the path of the first string of s that must not carry
// a control character but does, and the character.
func (s *ContainerSpec) findControl() (string, rune, bool) {
	c := *s
	c.Cmd, c.Entrypoint = nil, nil
	c.Env, c.Labels = keysOnly(s.Env), keysOnly(s.Labels)
	c.SecurityOpt = blankInlineSeccomp(s.SecurityOpt)
	if s.Healthcheck != nil {
		h := *s.Healthcheck
		h.Test = nil
		c.Healthcheck = &h
	}
	var hit rune
	at, ok := findString(&c, func(v string) bool {
		i := strings.IndexFunc(v, IsControl)
		if i >= 0 {
			hit = rune(v[i])
		}
		return i >= 0
	})
	if ok {
		return at, hit, ok
	}
	for field, m := range map[string]map[string]string{"env": s.Env, "labels": s.Labels} {
		for k, v := range m {
			if strings.ContainsRune(v, '\r') {
				return field + "[" + k + "]", '\r', true
			}
		}
	}
	return "", 0, false
}

// InlineSeccomp returns the JSON document of the security option
// "seccomp=<JSON>" (or the deprecated "seccomp:<JSON>"), and whether opt is
// one; "seccomp=<file>" and "seccomp=unconfined" are not.
func InlineSeccomp(opt string) (string, bool) {
	i := strings.IndexAny(opt, "=:")
	if i < 0 || opt[:i] != "seccomp" {
		return "", false
	}
	v := opt[i+1:]
	return v, strings.HasPrefix(strings.TrimSpace(v), "{")
}

// blankInlineSeccomp is opts with the JSON whitespace of inline seccomp
// profiles made spaces, so that only other control characters are found.
func blankInlineSeccomp(opts []string) []string {
	out := slices.Clone(opts)
	for i, o := range out {
		if _, ok := InlineSeccomp(o); ok {
			out[i] = strings.Map(func(r rune) rune {
				if r == '\t' || r == '\n' || r == '\r' {
					return ' '
				}
				return r
			}, o)
		}
	}
	return out
}

// keysOnly keeps m's keys, which must be checked, and drops its values,
// which may carry anything.
func keysOnly(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k := range m {
		out[k] = ""
	}
	return out
}

func controlError(at string, r rune) error {
	return fmt.Errorf("%s contains the control character U+%04X: paths, names and option values cannot carry C0 controls or DEL", at, r)
}
