package imageref

import "testing"

const dg = "sha256:9f1d6bde1c2c1b0a0f4e8f5d7c6b5a49382716a5b4c3d2e1f0a9b8c7d6e5f4a3"

func TestSplit(t *testing.T) {
	tests := []struct {
		name, ref, repo, tag string
	}{
		{"bare name", "busybox", "busybox", "latest"},
		{"tag", "busybox:1.36", "busybox", "1.36"},
		{"digest only", "busybox@" + dg, "busybox", ""},
		{"tag and digest", "busybox:1.36@" + dg, "busybox", "1.36"},
		{"docker hub in full", "docker.io/library/busybox:1", "busybox", "1"},
		{"registry with port", "localhost:5000/a/b:v1", "localhost:5000/a/b", "v1"},
		{"registry with port, no tag", "127.0.0.1:5000/app", "127.0.0.1:5000/app", "latest"},
		{"registry with port and digest", "127.0.0.1:5000/app@" + dg, "127.0.0.1:5000/app", ""},
		{"listing placeholder", "<none>:<none>", "<none>", "<none>"},
		{"not a reference", "UPPER", "UPPER", ""},
		{"short digest", "localhost:5000/app@sha256:abcd", "localhost:5000/app", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if repo, tag := Split(tt.ref); repo != tt.repo || tag != tt.tag {
				t.Errorf("Split(%q) = %q, %q; want %q, %q", tt.ref, repo, tag, tt.repo, tt.tag)
			}
		})
	}
}

func TestNormalizeDigestPick(t *testing.T) {
	for in, want := range map[string]string{"docker.io/library/busybox:latest": "busybox:latest", "ghcr.io/o/a@" + dg: "ghcr.io/o/a@" + dg, "<none>": "<none>"} {
		if got := Familiar(in); got != want {
			t.Errorf("Familiar(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Normalize("busybox"); got != "docker.io/library/busybox:latest" {
		t.Errorf("Normalize(busybox) = %q", got)
	}
	if got := Normalize("busybox@" + dg); got != "docker.io/library/busybox@"+dg {
		t.Errorf("Normalize(digest ref) = %q", got)
	}
	if got := Normalize("<none>:<none>"); got != "<none>:<none>" {
		t.Errorf("Normalize(placeholder) = %q", got)
	}
	if got := Digest("busybox:1@" + dg); got != dg {
		t.Errorf("Digest = %q", got)
	}
	if got := Digest("busybox:1"); got != "" {
		t.Errorf("Digest(tag ref) = %q, want none", got)
	}
	tags := []string{"a:1", "busybox:latest", "ghcr.io/o/b:2"}
	for _, tt := range []struct{ ref, want string }{
		{"busybox", "busybox:latest"},
		{"docker.io/library/busybox:latest", "busybox:latest"},
		{"ghcr.io/o/b:2", "ghcr.io/o/b:2"},
		{"other", "a:1"},
	} {
		if got := Pick(tags, tt.ref); got != tt.want {
			t.Errorf("Pick(%q) = %q, want %q", tt.ref, got, tt.want)
		}
	}
	if got := Pick([]string{"repo:", "repo:v2"}, "repo@"+dg); got != "repo:v2" {
		t.Errorf("Pick skips nerdctl's tagless repo: entry: got %q", got)
	}
	if got := Pick([]string{"repo:"}, "repo@"+dg); got != "" {
		t.Errorf("Pick(only repo:) = %q, want none", got)
	}
	if repo, tag := Listed("busybox@" + dg); repo != "busybox" || tag != "<none>" {
		t.Errorf("Listed(digest ref) = %q, %q", repo, tag)
	}
	if got := Pick(nil, "x"); got != "" {
		t.Errorf("Pick(no tags) = %q", got)
	}
	if got := FirstDigest([]string{"junk", "busybox@" + dg}); got != dg {
		t.Errorf("FirstDigest = %q", got)
	}
}

func TestUntagged(t *testing.T) {
	if repo, tag := Untagged([]string{"127.0.0.1:5000/app@" + dg}); repo != "127.0.0.1:5000/app" || tag != "<none>" {
		t.Errorf("Untagged(digest) = %q, %q", repo, tag)
	}
	if repo, tag := Untagged(nil); repo != "<none>" || tag != "<none>" {
		t.Errorf("Untagged(nothing) = %q, %q", repo, tag)
	}
}
