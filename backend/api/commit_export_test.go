package api_test

import (
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// TestCommitSendsDockerCommitsQuery: POST /commit with the container, the
// reference split into repo and tag, the author, the message as comment,
// every change, and pause=0 only when asked not to pause (docker pauses
// by default); docker's and podman's service alike, podman's with an empty
// config as body (podman 4.3 fails one without) and its bare hex id
// written as docker's.
func TestCommitSendsDockerCommitsQuery(t *testing.T) {
	const hex = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		name, answer string
		body         bool
	}{
		{"docker", "sha256:" + hex, false},
		{"podman", hex, true},
	} {
		name := tc.name
		var got url.Values
		var body string
		b := fakeEngineAt(t, name, "1.41", func(w http.ResponseWriter, r *http.Request) bool {
			if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/commit") {
				return false
			}
			got = r.URL.Query()
			data, _ := io.ReadAll(r.Body)
			body = string(data)
			w.WriteHeader(http.StatusCreated)
			w.Write([]byte(`{"Id":"` + tc.answer + `"}`))
			return true
		})
		id, err := b.Commit(t.Context(), "c1", backend.CommitOptions{Reference: "team/app:snap", Author: "Ann", Message: "why",
			Changes: []string{"ENV A=1", "EXPOSE 80"}, NoPause: true})
		if err != nil || id != "sha256:"+hex || strings.HasPrefix(body, "{") != tc.body {
			t.Fatalf("%s: %q, %v, body %q", name, id, err, body)
		}
		if got.Get("container") != "c1" || got.Get("repo") != "docker.io/team/app" || got.Get("tag") != "snap" || got.Get("author") != "Ann" ||
			got.Get("comment") != "why" || !slices.Equal(got["changes"], []string{"ENV A=1", "EXPOSE 80"}) || got.Get("pause") != "0" {
			t.Errorf("%s: query %v", name, got)
		}
		if _, err := b.Commit(t.Context(), "c1", backend.CommitOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, ok := got["pause"]; ok || got.Get("repo") != "" {
			t.Errorf("%s: a default commit sent %v", name, got)
		}
	}
}

// TestExportStreamsTheEnginesArchive: GET /containers/{id}/export, its body
// written as it comes; a 404 is the container's NotFound, nothing written.
func TestExportStreamsTheEnginesArchive(t *testing.T) {
	b := fakeEngine(t, func(w http.ResponseWriter, r *http.Request) bool {
		switch {
		case r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, "/containers/c1/export"):
			w.Header().Set("Content-Type", "application/x-tar")
			w.Write([]byte("tar bytes"))
		case strings.HasSuffix(r.URL.Path, "/containers/c9/export"):
			w.WriteHeader(http.StatusNotFound)
			w.Write([]byte(`{"message":"No such container: c9"}`))
		default:
			return false
		}
		return true
	})
	var out strings.Builder
	if err := b.Export(t.Context(), "c1", &out); err != nil || out.String() != "tar bytes" {
		t.Fatalf("export: %q, %v", out.String(), err)
	}
	out.Reset()
	if err := b.Export(t.Context(), "c9", &out); core.KindOf(err) != core.KindNotFound || out.Len() != 0 {
		t.Fatalf("export of an unknown container: %v, %q written", err, out.String())
	}
}
