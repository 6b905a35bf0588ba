package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/imageref"
	"github.com/perryts/perry-container/core"
)

// Fuzz targets of every CLI output parser: docker, podman and nerdctl
// (ps, inspect, images, image/network/volume inspect, version),
// apple/container (list, images, networks, volumes, system version and
// --version text) and limactl list. A runtime may print anything (a new
// version's shape, a truncated pipe, garbage): the parsers return data or an
// error, never panic, and what they return encodes as JSON.
// (colima status is parsed by backend/detect: FuzzColimaStatus there.)
//
//	go test -run '^$' -fuzz '^FuzzParseDocker$' -fuzztime 1h ./backend/cli/

func addFixtures(f *testing.F, match func(name string) bool) {
	names, _ := filepath.Glob("testdata/*")
	for _, n := range names {
		if !match(filepath.Base(n)) {
			continue
		}
		if b, err := os.ReadFile(n); err == nil {
			f.Add(b)
		}
	}
}

func mustEncode(t *testing.T, what string, v any) {
	t.Helper()
	if _, err := json.Marshal(v); err != nil {
		t.Fatalf("%s: result does not encode: %v", what, err)
	}
}

var garbage = []string{
	"", "null", "[]", "[null]", "{}", "{", "\xff\xfe", "Error: daemon not running\n", `{"ID":1}`, `[{"Names":{}}]`,
	`{"Ports":[{"host_port":65535,"range":2147483647,"container_port":-1}]}`, `{"Created":1e308}`, `{"Created":-1e308}`,
	`{"Created":"NaN"}`, `{"Status":"Exited (99999999999999999999) 1s ago"}`, `{"Size":"1e999 GiB"}`, `{"Size":1e300}`,
	`{"Labels":"a=b,,=,c"}`, `{"State":{"Health":null,"Healthcheck":{"Status":1}}}`, `[[[[]]]]`, `{"NetworkSettings":{"Ports":{"80/tcp":null}}}`,
}

func FuzzParseDocker(f *testing.F) {
	addFixtures(f, func(n string) bool {
		return !strings.HasPrefix(n, "apple") && !strings.HasPrefix(n, "lima") && n != "fakecli.sh"
	})
	for _, g := range garbage {
		f.Add([]byte(g))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if ps, err := parsePS(data); err == nil {
			mustEncode(t, "ps", ps)
		}
		if in, err := parseInspect(data); err == nil {
			mustEncode(t, "inspect", in)
		}
		if im, err := parseImages(data); err == nil {
			mustEncode(t, "images", im)
		}
		if ii, err := decodeObjects[imageInspect](data); err == nil {
			for _, e := range ii {
				mustEncode(t, "image inspect", e.info("busybox"))
			}
		}
		if ns, err := decodeObjects[networkEntry](data); err == nil {
			for _, e := range ns {
				mustEncode(t, "network inspect", e.info())
			}
		}
		if vs, err := decodeObjects[volumeEntry](data); err == nil {
			for _, e := range vs {
				mustEncode(t, "volume inspect", e.info())
			}
		}
		if v, err := decodeObjects[dockerVersion](data); err == nil && len(v) > 0 {
			_ = v[0].version()
		}
		s := string(data)
		_ = parseSize(s)
		_ = isoTime(s)
		_ = splitLabels(s)
		_, _ = backend.ExitCode(s)
		_, _ = imageref.Split(s)
		_ = stateFromStatus(s)
		_ = backend.Health(true, s, s)
		_ = lastLine(s)
		ports := splitList(s, ",")
		core.SortPorts(ports)
	})
}

func FuzzParseApple(f *testing.F) {
	addFixtures(f, func(n string) bool { return strings.HasPrefix(n, "apple") })
	for _, g := range garbage {
		f.Add([]byte(g))
	}
	f.Add([]byte(`[{"id":"x","status":{"state":"running"},"configuration":{"id":"x","publishedPorts":[{"hostPort":1,"containerPort":2,"count":-5}]},"startedDate":1e300}]`))
	f.Add([]byte("container CLI version 0.5.0 (build: release)"))
	f.Fuzz(func(t *testing.T, data []byte) {
		if cs, err := parseAppleContainers(data); err == nil {
			mustEncode(t, "list", cs)
		}
		if im, err := parseAppleImages(data); err == nil {
			mustEncode(t, "images", im)
			_, _ = matchAppleImage(im, "busybox")
		}
		if ns, err := parseAppleNetworks(data); err == nil {
			mustEncode(t, "networks", ns)
		}
		if vs, err := parseAppleVolumes(data); err == nil {
			mustEncode(t, "volumes", vs)
		}
		_, _ = parseAppleVersion(data)
		_ = parseVersionText(string(data))
		_ = imageref.Normalize(string(data))
	})
}

func FuzzParseLima(f *testing.F) {
	addFixtures(f, func(n string) bool { return strings.HasPrefix(n, "lima") })
	for _, g := range garbage {
		f.Add([]byte(g))
	}
	f.Add([]byte(`{"name":"default","status":"Running","errors":null,"limaVersion":"2.2.0"}` + "\n" + `{"name":1}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if l, err := parseLimaList(data); err == nil {
			mustEncode(t, "limactl list", l)
		}
	})
}
