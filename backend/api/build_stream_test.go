package api_test

import (
	"archive/tar"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// TestBuildFailureCarriesTheStepsExitCode: the classic builder reports a
// failed RUN in the progress stream with its exit code, which the error
// carries (docker compose exits with it); a failure without one carries
// none.
func TestBuildFailureCarriesTheStepsExitCode(t *testing.T) {
	for _, tc := range []struct {
		name, stream string
		want         any
	}{
		{"step exit code",
			`{"stream":"Step 2/2 : RUN exit 9\n"}` + "\n" +
				`{"errorDetail":{"code":9,"message":"The command '/bin/sh -c exit 9' returned a non-zero code: 9"},"error":"The command '/bin/sh -c exit 9' returned a non-zero code: 9"}`,
			9},
		{"no code",
			`{"errorDetail":{"message":"dockerfile parse error line 1: unknown instruction: FORM"},"error":"dockerfile parse error line 1: unknown instruction: FORM"}`,
			nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := fakeEngine(t, func(w http.ResponseWriter, r *http.Request) bool {
				if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/build") {
					return false
				}
				w.Write([]byte(tc.stream + "\n"))
				return true
			})
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte("FROM scratch\n"), 0o644); err != nil {
				t.Fatal(err)
			}
			err := b.Build(t.Context(), core.BuildSpec{Context: dir}, "perrytest-build:1")
			ce := core.AsError(err)
			if err == nil || ce.Kind != core.KindBackendError {
				t.Fatalf("Build: %v", err)
			}
			if got := ce.Details[backend.DetailStepExitCode]; got != tc.want {
				t.Fatalf("exitCode detail %v, want %v", got, tc.want)
			}
		})
	}
}

// TestBuildSendsTagsHostsShmAndAnInlineDockerfile: the build request names
// every tag, the extra hosts and /dev/shm's size, and an inline Dockerfile
// travels in the context under the name the request gives.
func TestBuildSendsTagsHostsShmAndAnInlineDockerfile(t *testing.T) {
	var query url.Values
	files := map[string]string{}
	b := fakeEngine(t, func(w http.ResponseWriter, r *http.Request) bool {
		if r.Method != http.MethodPost || !strings.HasSuffix(r.URL.Path, "/build") {
			return false
		}
		query = r.URL.Query()
		tr := tar.NewReader(r.Body)
		for {
			h, err := tr.Next()
			if err != nil {
				break
			}
			data, _ := io.ReadAll(tr)
			files[h.Name] = string(data)
		}
		w.Write([]byte(`{"stream":"Successfully built 0123456789ab\n"}` + "\n"))
		return true
	})
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "app.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	const inline = "FROM scratch\nCOPY app.txt /\n"
	err := b.Build(t.Context(), core.BuildSpec{Context: dir, DockerfileInline: inline, Tags: []string{"reg.example/app:2", "app:latest"},
		ExtraHosts: []string{"db:10.0.0.2"}, ShmSize: 64 << 20}, "app:1")
	if err != nil {
		t.Fatal(err)
	}
	if got := query["t"]; !slices.Equal(got, []string{"app:1", "reg.example/app:2", "app:latest"}) {
		t.Errorf("tags %q", got)
	}
	if query.Get("extrahosts") != "db:10.0.0.2" || query.Get("shmsize") != strconv.Itoa(64<<20) {
		t.Errorf("query %v", query)
	}
	if df := query.Get("dockerfile"); files[df] != inline || files["app.txt"] != "x" {
		t.Errorf("the context holds %q, the request names the Dockerfile %q", files, df)
	}
	err = b.Build(t.Context(), core.BuildSpec{Context: dir, Tags: []string{"Not A Ref"}}, "app:1")
	if ce := core.AsError(err); ce.Kind != core.KindInvalidArgument || !strings.Contains(ce.Message, "build.tags[0]") {
		t.Errorf("a bad tag: %v", err)
	}
}
