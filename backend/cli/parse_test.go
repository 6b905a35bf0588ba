package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

// Recorded-output parsing tests: every fixture in testdata is real output of
// a runtime (see testdata/README.md).

func fixture(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func intPtr(n int) *int { return &n }

func assertInfo(t *testing.T, got, want core.ContainerInfo) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("container info mismatch\n got: %+v\nwant: %+v", got, want)
	}
}

func TestParsePS(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		want    []core.ContainerInfo
	}{
		{
			name:    "docker docs NDJSON with escaped label and no exit code",
			fixture: "docker-ps.ndjson",
			want: []core.ContainerInfo{{
				ID: "a762a2b37a1d", Name: "boring_keldysh", Image: "nginx", Command: "/docker-entrypoint.…", Status: "Up 3 seconds", State: "running",
				Ports:    []string{"80/tcp"},
				Created:  "2021-03-09T23:15:05Z",
				Labels:   map[string]string{"maintainer": "NGINX Docker Maintainers <docker-maint@nginx.com>"},
				Networks: []string{"bridge"},
			}},
		},
		{
			name:    "docker live: healthy, created with a comma in a label, exited with code",
			fixture: "live-docker-ps.ndjson",
			want: []core.ContainerInfo{
				{
					ID: "2f2ece755b4e55999132514ad92587ccfa7f2b2ab3f2cef6f2682c3fce27b2df", Name: "perrytest-rec-running",
					Image: "perry-test/busybox:latest", Command: "sleep 60", Status: "Up 3 seconds (healthy)", State: "running", Health: "healthy",
					Ports: []string{"127.0.0.1:32770->80/tcp"}, Created: "2026-11-28T21:10:54Z",
					Labels:   map[string]string{"org.opencontainers.image.title": "perry-test/busybox", "perry.test": "1"},
					Networks: []string{"bridge"},
				},
				{
					ID: "0458fb21c47b5ff2f4d91fd43bd8aeee8ef378bf56e64c2a8f88ae42ed05ddea", Name: "perrytest-rec-created",
					Image: "perry-test/busybox:latest", Command: "true", Status: "Created", State: "created",
					Ports: []string{}, Created: "2026-11-28T21:10:54Z",
					Labels:   map[string]string{"note": "a,b", "org.opencontainers.image.title": "perry-test/busybox", "perry.test": "1"},
					Networks: []string{"bridge"},
				},
				{
					ID: "548d2ec6ecb219b30ee3349ec8d3ed38853662f0d126345426fbda8237e27446", Name: "perrytest-rec-exited",
					Image: "perry-test/busybox:latest", Command: "sh -c 'exit 3'", Status: "Exited (3) 5 seconds ago", State: "exited", ExitCode: intPtr(3),
					Ports: []string{}, Created: "2026-11-28T21:10:52Z",
					Labels:   map[string]string{"org.opencontainers.image.title": "perry-test/busybox", "perry.test": "1"},
					Networks: []string{"bridge"},
				},
			},
		},
		{
			name:    "podman array with Id, Names list, port objects and int Created",
			fixture: "podman-ps.json",
			want: []core.ContainerInfo{{
				ID: "id1", Name: "myfirstname", Image: "quay.io/image1:latest", Command: "command", Status: "Up 40 minutes", State: "running",
				Ports:    []string{"127.0.0.1:1234->1234/tcp"},
				Created:  "2024-01-25T10:31:02Z",
				Labels:   map[string]string{"description": "A lovely description.", "version": "1"},
				Networks: []string{},
			}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePS(fixture(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d containers, want %d", len(got), len(tt.want))
			}
			for i := range got {
				assertInfo(t, got[i], tt.want[i])
			}
		})
	}
}

func TestParseNerdctlPSWithoutState(t *testing.T) {
	got, err := parsePS(fixture(t, "nerdctl-ps.ndjson"))
	if err != nil || len(got) != 1 {
		t.Fatalf("parse: %v, %d entries", err, len(got))
	}
	c := got[0]
	if c.State != "running" || c.Status != "Up" {
		t.Errorf("state %q status %q, want running/Up (derived: nerdctl has no State)", c.State, c.Status)
	}
	if c.ID != "250762bf59eb" || c.Name != "test-nginx_1-1" || c.Image != "docker.io/library/nginx:latest" {
		t.Errorf("identity: %+v", c)
	}
	if !reflect.DeepEqual(c.Ports, []string{"0.0.0.0:80->80/tcp"}) {
		t.Errorf("ports %q", c.Ports)
	}
	if c.Created != "2025-04-11T17:14:21.496755142Z" {
		t.Errorf("created %q", c.Created)
	}
	// Label values holding JSON with commas stay whole (the fixture is
	// abridged with "…" pieces, which join the value before them).
	if got := c.Labels["nerdctl/ports"]; !strings.HasPrefix(got, `[{"HostPort":80,"ContainerPort":80,"Protocol":"tcp","HostIP":"0.0.0.0"}]`) {
		t.Errorf("nerdctl/ports label %q", got)
	}
	if c.Labels["com.docker.compose.service"] != "nginx_1" || c.Labels["nerdctl/auto-remove"] != "false" {
		t.Errorf("labels %v", c.Labels)
	}
}

func TestParseInspect(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		want    core.ContainerInfo
	}{
		{
			name:    "docker running with health, port and bridge address",
			fixture: "live-docker-inspect-running.json",
			want: core.ContainerInfo{
				ID: "2f2ece755b4e55999132514ad92587ccfa7f2b2ab3f2cef6f2682c3fce27b2df", Name: "perrytest-rec-running",
				Image: "perry-test/busybox:latest", Command: "sleep 60", Status: "Up (healthy)", State: "running", Health: "healthy",
				Ports: []string{"127.0.0.1:32770->80/tcp"}, Created: "2026-11-28T21:10:54.657607186Z",
				Labels:   map[string]string{"org.opencontainers.image.title": "perry-test/busybox", "perry.test": "1"},
				Networks: []string{"bridge"}, IPAddress: "172.17.0.2",
			},
		},
		{
			name:    "docker exited with code 3",
			fixture: "live-docker-inspect-exited.json",
			want: core.ContainerInfo{
				ID: "548d2ec6ecb219b30ee3349ec8d3ed38853662f0d126345426fbda8237e27446", Name: "perrytest-rec-exited",
				Image: "perry-test/busybox:latest", Command: "sh -c 'exit 3'", Status: "Exited (3)", State: "exited", ExitCode: intPtr(3),
				Ports: []string{}, Created: "2026-11-28T21:10:52.265036859Z",
				Labels:   map[string]string{"org.opencontainers.image.title": "perry-test/busybox", "perry.test": "1"},
				Networks: []string{"bridge"},
			},
		},
		{
			name:    "docker created: no exit code, comma label exact",
			fixture: "live-docker-inspect-created.json",
			want: core.ContainerInfo{
				ID: "0458fb21c47b5ff2f4d91fd43bd8aeee8ef378bf56e64c2a8f88ae42ed05ddea", Name: "perrytest-rec-created",
				Image: "perry-test/busybox:latest", Command: "true", Status: "Created", State: "created",
				Ports: []string{}, Created: "2026-11-28T21:10:54.247208155Z",
				Labels:   map[string]string{"note": "a,b", "org.opencontainers.image.title": "perry-test/busybox", "perry.test": "1"},
				Networks: []string{"bridge"},
			},
		},
		{
			name:    "nerdctl: name without slash, empty FinishedAt, networks from label",
			fixture: "nerdctl-inspect.json",
			want: core.ContainerInfo{
				ID: "be4addd26f056028b1b5144be20da489c0d356bc1517fe70dd388524df684b3e", Name: "nginx",
				Image: "docker.io/library/nginx:alpine", Command: "/docker-entrypoint.sh nginx -g 'daemon off;'", Status: "Up", State: "running",
				Ports: []string{"0.0.0.0:1080->80/tcp"}, Created: "2025-10-11T09:10:33.988952786Z",
				Labels: map[string]string{"containerd.io/restart.policy": "always", "nerdctl/name": "nginx", "nerdctl/namespace": "default",
					"nerdctl/networks": `["bridge"]`, "nerdctl/platform": "linux/amd64"},
				Networks: []string{"bridge"}, IPAddress: "10.4.0.3",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseInspect(fixture(t, tt.fixture))
			if err != nil || len(got) != 1 {
				t.Fatalf("parse: %v, %d entries", err, len(got))
			}
			assertInfo(t, got[0], tt.want)
		})
	}
}

func TestParseInspectHealthFragment(t *testing.T) {
	frag := strings.TrimSpace(string(fixture(t, "docker-health-fragment.txt")))
	doc := `[{"Id":"abc","Name":"/web","State":{"Status":"running","Running":true,` + frag + `}}]`
	got, err := parseInspect([]byte(doc))
	if err != nil || len(got) != 1 {
		t.Fatalf("parse: %v", err)
	}
	if got[0].Health != "healthy" || got[0].Name != "web" {
		t.Errorf("health %q name %q", got[0].Health, got[0].Name)
	}
}

func TestParseInspectPodmanLegacyHealthcheck(t *testing.T) {
	doc := `[{"Id":"p1","Name":"db","State":{"Status":"running","Healthcheck":{"Status":"starting"}},"ImageName":"docker.io/library/postgres:16","Config":{}}]`
	got, err := parseInspect([]byte(doc))
	if err != nil || len(got) != 1 {
		t.Fatalf("parse: %v", err)
	}
	if got[0].Health != "starting" || got[0].Image != "docker.io/library/postgres:16" {
		t.Errorf("got %+v", got[0])
	}
}

func TestParseAppleContainers(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		want    core.ContainerInfo
	}{
		{
			name:    "0.12.3 layout: status string, Apple-epoch startedDate",
			fixture: "apple-0.12-list.json",
			want: core.ContainerInfo{
				ID: "gantry-smoke", Name: "gantry-smoke", Image: "docker.io/library/alpine:latest", Command: "sleep 600", Status: "Up", State: "running",
				Ports:    []string{"127.0.0.1:8088->80/tcp"},
				Created:  "2026-06-06T14:48:34.597753Z", // 802450114.597753 + 978307200
				Labels:   map[string]string{"com.example.role": "smoke"},
				Networks: []string{"default"}, IPAddress: "192.168.64.2",
			},
		},
		{
			name:    "1.0.0 layout: status object, ISO dates",
			fixture: "apple-1.0-list.json",
			want: core.ContainerInfo{
				ID: "kina-probe-100", Name: "kina-probe-100", Image: "docker.io/library/alpine:latest", Command: "sleep 120", Status: "Up", State: "running",
				Ports: []string{}, Created: "2026-06-10T23:03:47Z", Labels: map[string]string{},
				Networks: []string{"default"}, IPAddress: "192.168.65.2",
			},
		},
		{
			name:    "1.x never started: stopped without startedDate is created",
			fixture: "apple-1.x-created.json",
			want: core.ContainerInfo{
				ID: "created-ctr", Name: "created-ctr", Image: "docker.io/library/alpine:latest", Command: "sleep 120", Status: "Created", State: "created",
				Ports: []string{}, Created: "2026-06-10T23:03:47Z", Labels: map[string]string{},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAppleContainers(fixture(t, tt.fixture))
			if err != nil || len(got) != 1 {
				t.Fatalf("parse: %v, %d entries", err, len(got))
			}
			assertInfo(t, got[0], tt.want)
		})
	}
}

func TestParseAppleNetworksVolumesVersion(t *testing.T) {
	nets, err := parseAppleNetworks(fixture(t, "apple-0.12-network-list.json"))
	if err != nil {
		t.Fatal(err)
	}
	wantNet := core.NetworkInfo{ID: "default", Name: "default", Driver: "nat", Labels: map[string]string{"com.apple.container.resource.role": "builtin"}}
	if len(nets) != 1 || !reflect.DeepEqual(nets[0], wantNet) {
		t.Errorf("networks %+v", nets)
	}
	vols, err := parseAppleVolumes(fixture(t, "apple-0.12-volume-list.json"))
	if err != nil {
		t.Fatal(err)
	}
	wantVol := core.VolumeInfo{Name: "gantry-test-vol", Driver: "local", Labels: map[string]string{"a": "b"},
		Mountpoint: "/Users/test/Library/Application Support/com.apple.container/volumes/gantry-test-vol/volume.img"}
	if len(vols) != 1 || !reflect.DeepEqual(vols[0], wantVol) {
		t.Errorf("volumes %+v", vols)
	}
	v, err := parseAppleVersion(fixture(t, "apple-system-version.json"))
	if err != nil || v != "1.2.3" {
		t.Errorf("version %q, %v", v, err)
	}
	if got := parseVersionText("container CLI version 0.5.0 (build: release, commit: 1234abc)"); got != "0.5.0" {
		t.Errorf("old --version text: %q", got)
	}
}

func TestParseAppleImages(t *testing.T) {
	doc := `[{"reference":"docker.io/library/alpine:latest","descriptor":{"mediaType":"application/vnd.oci.image.index.v1+json","digest":"sha256:5b10","size":9218},"fullSize":"4,2 MB"},
	{"reference":"localhost:5000/app@sha256:abcd","descriptor":{"digest":"sha256:abcd","size":100}}]`
	images, err := parseAppleImages([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []core.ImageInfo{
		{ID: "sha256:5b10", Repository: "alpine", Tag: "latest", Size: 4200000, Digest: "sha256:5b10"}, // familiar, as docker shows it
		{ID: "sha256:abcd", Repository: "localhost:5000/app", Tag: "", Size: 100, Digest: "sha256:abcd"},
	}
	if !reflect.DeepEqual(images, want) {
		t.Errorf("images\n got %+v\nwant %+v", images, want)
	}
	if img, ok := matchAppleImage(images, "alpine"); !ok || img.Digest != "sha256:5b10" {
		t.Errorf("alpine should match the normalized reference: %+v %v", img, ok)
	}
	if _, ok := matchAppleImage(images, "alpine:3"); ok {
		t.Error("alpine:3 must not match alpine:latest")
	}
}

func TestParseImages(t *testing.T) {
	tests := []struct {
		name    string
		fixture string
		want    []core.ImageInfo
	}{
		{
			name:    "docker docs: human size, <none> digest",
			fixture: "docker-images.ndjson",
			want:    []core.ImageInfo{{ID: "4dd97cefde62", Repository: "ubuntu", Tag: "latest", Size: 72900000, Created: "2021-03-04T02:24:42Z"}},
		},
		{
			name:    "docker live: full id",
			fixture: "live-docker-images.ndjson",
			want: []core.ImageInfo{{ID: "sha256:62225a5ddf6771fae65171719f2fd07d8e5d4a9951454b7ef705d11895bf269b",
				Repository: "perry-test/busybox", Tag: "latest", Size: 1990000, Created: "2026-11-28T21:01:40Z"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseImages(fixture(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestParsePodmanImagesNamesAndIntegers(t *testing.T) {
	doc := `[{"Id":"b22b91a9","RepoDigests":["quay.io/a/b@sha256:ff"],"Size":1234567,"Names":["quay.io/a/b:1.0","quay.io/a/b:latest"],"Digest":"sha256:ff","Created":1706178662,"CreatedAt":"2024-01-25T10:31:02Z"}]`
	got, err := parseImages([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	want := []core.ImageInfo{
		{ID: "b22b91a9", Repository: "quay.io/a/b", Tag: "1.0", Size: 1234567, Created: "2024-01-25T10:31:02Z", Digest: "sha256:ff"},
		{ID: "b22b91a9", Repository: "quay.io/a/b", Tag: "latest", Size: 1234567, Created: "2024-01-25T10:31:02Z", Digest: "sha256:ff"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %+v\nwant %+v", got, want)
	}
}

func TestParseImageInspectNetworkVolumeVersion(t *testing.T) {
	imgs, err := decodeObjects[imageInspect](fixture(t, "live-docker-image-inspect.json"))
	if err != nil || len(imgs) != 1 {
		t.Fatalf("image inspect: %v", err)
	}
	wantImg := core.ImageInfo{ID: "sha256:62225a5ddf6771fae65171719f2fd07d8e5d4a9951454b7ef705d11895bf269b",
		Repository: "perry-test/busybox", Tag: "latest", Size: 1985574, Created: "2026-11-28T21:01:40.295801575Z", Platform: "linux/amd64"}
	if got := imgs[0].info("perry-test/busybox"); !reflect.DeepEqual(got, wantImg) {
		t.Errorf("image\n got %+v\nwant %+v", got, wantImg)
	}
	arm, _ := decodeObjects[imageInspect]([]byte(`[{"Id":"sha256:aa","Os":"linux","Architecture":"arm64","Variant":"v8"}]`))
	if len(arm) != 1 || arm[0].info("x").Platform != "linux/arm64/v8" {
		t.Errorf("an image's variant is not in its platform: %+v", arm)
	}

	nets, err := decodeObjects[networkEntry](fixture(t, "live-docker-network-inspect.json"))
	if err != nil || len(nets) != 1 {
		t.Fatalf("network inspect: %v", err)
	}
	wantNet := core.NetworkInfo{ID: "e28b4ea1b1100ec7b5acfface49ff3f05a0fd2f76c085fa534bdad4324140d2d", Name: "perrytest-probenet",
		Driver: "bridge", Labels: map[string]string{"perry.test": "1"}}
	if got := nets[0].info(); !reflect.DeepEqual(got, wantNet) {
		t.Errorf("network %+v", got)
	}
	// podman 4+ writes lower-case keys.
	pn, _ := decodeObjects[networkEntry]([]byte(`[{"name":"n1","id":"abc","driver":"bridge","labels":{"k":"v"}}]`))
	if len(pn) != 1 || pn[0].info().Name != "n1" || pn[0].info().Labels["k"] != "v" {
		t.Errorf("podman network %+v", pn)
	}

	vols, err := decodeObjects[volumeEntry](fixture(t, "live-docker-volume-inspect.json"))
	if err != nil || len(vols) != 1 {
		t.Fatalf("volume inspect: %v", err)
	}
	wantVol := core.VolumeInfo{Name: "perrytest-probevol", Driver: "local", Mountpoint: "/var/lib/docker/volumes/perrytest-probevol/_data",
		Labels: map[string]string{"a": "b,c", "perry.test": "1"}}
	if got := vols[0].info(); !reflect.DeepEqual(got, wantVol) {
		t.Errorf("volume %+v", got)
	}

	versions, err := decodeObjects[dockerVersion](fixture(t, "live-docker-version.json"))
	if err != nil || len(versions) != 1 || versions[0].version() != "20.10.24+dfsg1" {
		t.Errorf("docker version: %v %+v", err, versions)
	}
	nerd, _ := decodeObjects[dockerVersion]([]byte(`{"Client":{"Version":"v2.0.3","GitCommit":"x"},"Server":{"Components":[{"Name":"containerd","Version":"v1.7.24"}]}}`))
	if len(nerd) != 1 || nerd[0].version() != "v2.0.3" {
		t.Errorf("nerdctl version: %+v", nerd)
	}
}

func TestParseLimaList(t *testing.T) {
	tests := []struct {
		fixture string
		want    []limaInstance
	}{
		{"lima-2.2-list.ndjson", []limaInstance{
			{Name: "default", Status: "Running", LimaVersion: "2.2.0"},
			{Name: "captain", Status: "Stopped", LimaVersion: "2.2.0"},
			{Name: "broken", Status: "Broken", Errors: []string{"open lima.yaml: no such file or directory"}},
		}},
		{"lima-old-list.ndjson", []limaInstance{{Name: "default", Status: "Running"}}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			got, err := parseLimaList(fixture(t, tt.fixture))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func TestDecodeObjectsFramings(t *testing.T) {
	type obj struct{ A int }
	tests := []struct {
		name, in string
		want     int
	}{
		{"empty output", "", 0},
		{"null", "null\n", 0},
		{"empty array", "[]", 0},
		{"array", `[{"A":1},{"A":2}]`, 2},
		{"ndjson", "{\"A\":1}\n{\"A\":2}\n{\"A\":3}\n", 3},
		{"single object", `{"A":1}`, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := decodeObjects[obj]([]byte(tt.in))
			if err != nil || len(got) != tt.want {
				t.Errorf("got %d objects, err %v; want %d", len(got), err, tt.want)
			}
		})
	}
	if _, err := decodeObjects[obj]([]byte("not json")); err == nil {
		t.Error("garbage must be an error")
	}
}

// TestStatusHelpers: nerdctl's state comes from the status line; health and
// exit code are read by backend.Health and backend.ExitCode (tested there).
func TestStatusHelpers(t *testing.T) {
	tests := []struct{ status, state string }{
		{"Up 3 seconds", "running"},
		{"Up 2 seconds (healthy)", "running"},
		{"Up 3 minutes (Paused)", "paused"},
		{"Exited (7) 2 minutes ago", "exited"},
		{"Created", "created"},
		{"Restarting (1) 5 seconds ago", "restarting"},
		{"Dead", "dead"},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			if got := stateFromStatus(tt.status); got != tt.state {
				t.Errorf("state %q, want %q", got, tt.state)
			}
		})
	}
}

func TestSizesDatesPortsLabels(t *testing.T) {
	sizes := map[string]int64{"72.9MB": 72900000, "1.99MB": 1990000, "4,2 MB": 4200000, "512B": 512, "1.5GiB": 1610612736, "0B": 0, "N/A": 0}
	for in, want := range sizes {
		if got := parseSize(in); got != want {
			t.Errorf("parseSize(%q) = %d, want %d", in, got, want)
		}
	}
	dates := map[string]string{
		"2021-03-10 00:15:05 +0100 CET":           "2021-03-09T23:15:05Z",
		"2026-11-28 21:04:37.849580717 +0000 UTC": "2026-11-28T21:04:37.849580717Z",
		"2025-10-11T09:10:33.988952786Z":          "2025-10-11T09:10:33.988952786Z",
		"0001-01-01T00:00:00Z":                    "",
		"":                                        "",
	}
	for in, want := range dates {
		if got := isoTime(in); got != want {
			t.Errorf("isoTime(%q) = %q, want %q", in, got, want)
		}
	}
	if got := unixISO(podmanZeroTime); got != "" {
		t.Errorf("podman zero time: %q", got)
	}
	ports := []struct{ ip, host, ctr, proto, want string }{
		{"0.0.0.0", "8080", "80", "tcp", "0.0.0.0:8080->80/tcp"},
		{"::", "8080", "80", "tcp", "[::]:8080->80/tcp"},
		{"", "", "53", "udp", "53/udp"},
		{"", "9000", "9000", "", "0.0.0.0:9000->9000/tcp"},
		{"", "", "eighty", "", "eighty/tcp"},
		{"", "x", "80", "", "80/tcp"},
	}
	for _, p := range ports {
		if got := formatPort(p.ip, p.host, p.ctr, p.proto); got != p.want {
			t.Errorf("formatPort(%q,%q,%q,%q) = %q, want %q", p.ip, p.host, p.ctr, p.proto, got, p.want)
		}
	}
	labels := splitLabels("a=1,x=a,b,y=,z=k=v")
	want := map[string]string{"a": "1", "x": "a,b", "y": "", "z": "k=v"}
	if !reflect.DeepEqual(labels, want) {
		t.Errorf("splitLabels = %v, want %v", labels, want)
	}
}

// docker's ps prints its ports as one string in its own order; they are
// reported in the order every backend uses (core.SortPorts).
func TestPsPortsStringIsSorted(t *testing.T) {
	got := psPorts(json.RawMessage(`"0.0.0.0:9000->8080/tcp, :::9000->8080/tcp, 0.0.0.0:9001->80/tcp, 53/udp"`))
	want := []string{"53/udp", "0.0.0.0:9001->80/tcp", "0.0.0.0:9000->8080/tcp", "[::]:9000->8080/tcp"}
	if !slices.Equal(got, want) {
		t.Errorf("psPorts = %q, want %q", got, want)
	}
}
