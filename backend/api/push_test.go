package api_test

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/moby/moby/api/types/registry"
)

// TestPushAndPullSendTheStoredLogin: a push or a pull carries the credentials `docker login`
// stored for the image's registry (Docker Hub's under the docker CLI's
// index key), and an empty login where none is stored; the engine's
// progress stream error fails it.
func TestPushAndPullSendTheStoredLogin(t *testing.T) {
	dir := t.TempDir()
	auths := `{"auths":{
	  "reg.example:5000": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("ann:s3cret")) + `"},
	  "https://index.docker.io/v1/": {"auth": "` + base64.StdEncoding.EncodeToString([]byte("hub:pw")) + `"}}}`
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(auths), 0o600); err != nil {
		t.Fatal(err)
	}
	// A login stored after an earlier push (in a config the host points
	// to later) is used: the config directory is not read once for good.
	var first string
	b := fakeEngine(t, func(w http.ResponseWriter, r *http.Request) bool {
		first = r.Header.Get(registry.AuthHeader)
		w.Write([]byte(`{"status":"Pushed","id":"abc"}` + "\n"))
		return true
	})
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	if err := b.PushImage(t.Context(), "reg.example:5000/team/app:1"); err != nil {
		t.Fatal(err)
	}
	if data, _ := base64.URLEncoding.DecodeString(first); string(data) != "{}" {
		t.Fatalf("a push without a stored login sent %q", data)
	}
	t.Setenv("DOCKER_CONFIG", dir)
	for _, tc := range []struct {
		ref, user, pass string
		stream          string
		wantErr         string
	}{
		{"reg.example:5000/team/app:1", "ann", "s3cret", `{"status":"Pushed","id":"abc"}`, ""},
		{"team/app:1", "hub", "pw", `{"status":"Pushed","id":"abc"}`, ""},
		{"other.example/app:1", "", "", `{"errorDetail":{"message":"unauthorized"},"error":"unauthorized"}`, "unauthorized"},
	} {
		for _, op := range []string{"push", "pull"} {
			t.Run(op+" "+tc.ref, func(t *testing.T) {
				var header string
				b := fakeEngine(t, func(w http.ResponseWriter, r *http.Request) bool {
					switch {
					case r.Method == http.MethodPost && op == "push" && strings.HasSuffix(r.URL.Path, "/push"),
						r.Method == http.MethodPost && op == "pull" && strings.HasSuffix(r.URL.Path, "/images/create"):
					default:
						return false
					}
					header = r.Header.Get(registry.AuthHeader)
					w.Write([]byte(tc.stream + "\n"))
					return true
				})
				var err error
				if op == "push" {
					err = b.PushImage(t.Context(), tc.ref)
				} else {
					err = b.PullImage(t.Context(), tc.ref)
				}
				if (err == nil) != (tc.wantErr == "") || err != nil && !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("PushImage: %v, want error %q", err, tc.wantErr)
				}
				data, derr := base64.URLEncoding.DecodeString(header)
				var got registry.AuthConfig
				if derr != nil || json.Unmarshal(data, &got) != nil {
					t.Fatalf("%s header %q is not an encoded login", registry.AuthHeader, header)
				}
				if got.Username != tc.user || got.Password != tc.pass {
					t.Fatalf("login sent %q/%q, want %q/%q", got.Username, got.Password, tc.user, tc.pass)
				}
			})
		}
	}
}
