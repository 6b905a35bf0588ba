package api_test

import (
	"net/http"
	"os"
	"path/filepath"
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
