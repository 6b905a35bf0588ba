// Package imageref reads image references the way the engines do, on
// github.com/distribution/reference, so that every backend and the compose
// CLI split, compare and show them alike.
package imageref

import (
	"strings"

	"github.com/distribution/reference"
)

// Split returns the repository and tag that `docker images` shows for ref:
// the repository in its familiar form ("busybox", "ghcr.io/o/app"), the tag
// "latest" when ref names none, and no tag for a reference by digest only
// ("busybox@sha256:…" is repository "busybox"). Text that is not a
// reference (a listing's "<none>:<none>", a runtime's short digest) is split
// at its "@", else at its last ":" after the last "/", so it is still shown
// as the runtime wrote it.
func Split(ref string) (repo, tag string) {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		if name, _, ok := strings.Cut(ref, "@"); ok {
			return name, ""
		}
		if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
			return ref[:i], ref[i+1:]
		}
		return ref, ""
	}
	repo = reference.FamiliarName(named)
	if t, ok := named.(reference.Tagged); ok {
		return repo, t.Tag()
	}
	if _, ok := named.(reference.Digested); ok {
		return repo, ""
	}
	return repo, "latest"
}

// Listed is Split for a listing: an image known by digest only shows the
// tag "<none>", as `docker images` shows it.
func Listed(ref string) (repo, tag string) {
	repo, tag = Split(ref)
	if tag == "" {
		tag = "<none>"
	}
	return repo, tag
}

// Familiar writes ref as docker's CLI shows it: "busybox:latest", not
// "docker.io/library/busybox:latest". Text that is not a reference is
// returned as is.
func Familiar(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref
	}
	return reference.FamiliarString(named)
}

// Normalize writes ref in full, registry and repository path included, with
// "latest" when it names neither tag nor digest:
// "busybox" is "docker.io/library/busybox:latest". Text that is not a
// reference is returned as is.
func Normalize(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ref
	}
	return reference.TagNameOnly(named).String()
}

// Digest returns the digest ref pins ("sha256:…"), or "".
func Digest(ref string) string {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return ""
	}
	if d, ok := named.(reference.Digested); ok {
		return d.Digest().String()
	}
	return ""
}

// Pick returns the one of an image's tags ("repo:tag", as an inspect lists
// them) that ref names, else the first, else "": an image with several
// tags is shown under the one it was asked by. A "repo:" without a tag
// (nerdctl's for an image pulled by digest) is no tag.
func Pick(tags []string, ref string) string {
	want := Normalize(ref)
	first := ""
	for _, t := range tags {
		if strings.HasSuffix(t, ":") {
			continue
		}
		if Normalize(t) == want {
			return t
		}
		if first == "" {
			first = t
		}
	}
	return first
}

// FirstDigest returns the digest of the first "repo@sha256:…" entry of an
// inspect's RepoDigests, or "".
func FirstDigest(repoDigests []string) string {
	for _, d := range repoDigests {
		if dg := Digest(d); dg != "" {
			return dg
		}
	}
	return ""
}

// Untagged returns the repository and tag `docker images` shows for an
// image without tags: the repository of its first digest reference, or
// "<none>", and the tag "<none>".
func Untagged(repoDigests []string) (repo, tag string) {
	for _, d := range repoDigests {
		if Digest(d) != "" {
			return Listed(d)
		}
	}
	return "<none>", "<none>"
}
