package cli

import (
	"testing"
	"time"
)

func TestParseEvent(t *testing.T) {
	docker := `{"status":"start","id":"abc","Type":"container","Action":"start","Actor":{"ID":"abc","Attributes":{"name":"p-app-1","com.docker.compose.service":"app"}},"time":1700000000,"timeNano":1700000000123456789}`
	ev, ok := parseEvent([]byte(docker))
	if !ok || ev.Action != "start" || ev.ID != "abc" || ev.Attributes["name"] != "p-app-1" || ev.Attributes["com.docker.compose.service"] != "app" ||
		!ev.Time.Equal(time.Unix(0, 1700000000123456789)) {
		t.Fatalf("docker: %+v %v", ev, ok)
	}
	podman := `{"ID":"def","Image":"busybox","Name":"p-app-1","Status":"died","Time":"2024-01-02T03:04:05.5Z","Type":"container","Attributes":{"com.docker.compose.service":"app"}}`
	ev, ok = parseEvent([]byte(podman))
	if !ok || ev.Action != "die" || ev.ID != "def" || ev.Attributes["name"] != "p-app-1" || ev.Attributes["image"] != "busybox" ||
		ev.Attributes["com.docker.compose.service"] != "app" || !ev.Time.Equal(time.Date(2024, 1, 2, 3, 4, 5, 5e8, time.UTC)) {
		t.Fatalf("podman: %+v %v", ev, ok)
	}
	for _, bad := range []string{"", "not json", `{"Type":"container"}`} {
		if _, ok := parseEvent([]byte(bad)); ok {
			t.Errorf("%q parsed", bad)
		}
	}
}

func TestHostPathWithAColonStaysLocal(t *testing.T) {
	if p := hostPath("a:b"); p == "a:b" || p[0] != '/' {
		t.Fatalf("hostPath(a:b) = %q", p)
	}
	for _, p := range []string{"/x:y", "./x:y", "plain"} {
		if got := hostPath(p); got != p {
			t.Errorf("hostPath(%q) = %q", p, got)
		}
	}
}
