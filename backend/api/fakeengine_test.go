package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend/api"
)

// fakeEngine serves the ping and whatever handle answers (handle returns
// false for requests it does not know: 404), and returns a backend on it.
// For answers the real engine gives only by chance (a race) or that a unit
// test must see exactly.
func fakeEngine(t *testing.T, handle func(w http.ResponseWriter, r *http.Request) bool) *api.Backend {
	t.Helper()
	return fakeEngineAt(t, "docker", "1.41", handle)
}

// fakeEngineAt is fakeEngine answering API version version, as the
// runtime name (docker, podman) whose backend it returns.
func fakeEngineAt(t *testing.T, name, version string, handle func(w http.ResponseWriter, r *http.Request) bool) *api.Backend {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", version)
		if strings.HasSuffix(r.URL.Path, "/_ping") {
			w.Write([]byte("OK"))
			return
		}
		w.Header().Set("Content-Type", "application/json")
		if !handle(w, r) {
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	b, err := api.New("tcp://"+srv.Listener.Addr().String(), name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	return b
}
