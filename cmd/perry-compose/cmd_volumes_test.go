package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/perryts/perry-container/core"
)

const volumesYAML = `
services:
  db:
    image: perry-test/busybox:latest
    command: ["sleep", "3600"]
    volumes: ["data:/data", "logs:/logs"]
  app:
    image: perry-test/busybox:latest
    command: ["sleep", "3600"]
    volumes_from: ["db:ro"]
  cache:
    image: perry-test/busybox:latest
    command: ["sleep", "3600"]
    volumes: ["scratch:/scratch", "shared:/shared"]
  idle:
    image: perry-test/busybox:latest
    command: ["sleep", "3600"]
    volumes: ["idle:/idle"]
volumes:
  data: {}
  logs: {}
  scratch: {}
  idle: {}
  shared:
    external: true
    name: outside
`

func TestVolumesListsTheProjectsOwn(t *testing.T) {
	c := newCLIEnv(t, volumesYAML)
	if err := c.b.CreateVolume(t.Context(), "outside", core.VolumeConfig{}); err != nil {
		t.Fatal(err)
	}
	c.must("up", "-d")
	c.must("stop", "idle")

	tests := []struct {
		name string
		args []string
		want string
	}{
		{"table of every project volume, external ones left out", []string{"volumes"},
			"DRIVER    VOLUME NAME\nlocal     demo_data\nlocal     demo_idle\nlocal     demo_logs\nlocal     demo_scratch\n"},
		{"quiet prints the names", []string{"volumes", "-q"}, "demo_data\ndemo_idle\ndemo_logs\ndemo_scratch\n"},
		{"a service's own volumes", []string{"volumes", "-q", "cache"}, "demo_scratch\n"},
		{"volumes_from mounts the source's volumes", []string{"volumes", "-q", "app"}, "demo_data\ndemo_logs\n"},
		{"a stopped container mounts nothing", []string{"volumes", "-q", "idle"}, ""},
		{"several services", []string{"volumes", "-q", "cache", "db"}, "demo_data\ndemo_logs\ndemo_scratch\n"},
		{"a template", []string{"volumes", "--format", "{{.Name}} {{.Label \"com.docker.compose.volume\"}}", "db"}, "demo_data data\ndemo_logs logs\n"},
		{"a table template", []string{"volumes", "--format", "table {{.Name}}\t{{.Scope}}", "cache"}, "VOLUME NAME    SCOPE\ndemo_scratch   local\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := c.must(tc.args...).stdout; got != tc.want {
				t.Errorf("perry-compose %s:\n%q\nwant\n%q", strings.Join(tc.args, " "), got, tc.want)
			}
		})
	}

	t.Run("json has docker's keys", func(t *testing.T) {
		out := c.must("volumes", "--format", "json", "cache").stdout
		var row map[string]any
		if err := json.Unmarshal([]byte(out), &row); err != nil {
			t.Fatalf("%v: %q", err, out)
		}
		if row["Name"] != "demo_scratch" || row["Driver"] != "local" || row["Scope"] != "local" ||
			!strings.Contains(row["Labels"].(string), "com.docker.compose.project=demo") || row["Size"] != "N/A" {
			t.Errorf("json row: %v", row)
		}
		if !strings.HasPrefix(out, `{"Availability":"N/A","Driver":"local",`) {
			t.Errorf("keys not in docker's order: %s", out)
		}
	})
	t.Run("an unknown service is refused", func(t *testing.T) {
		r := c.run("volumes", "nosuch")
		if r.code == 0 || !strings.Contains(r.stderr, "nosuch") {
			t.Errorf("exit %d, stderr %q", r.code, r.stderr)
		}
	})
	t.Run("after down -v nothing is listed", func(t *testing.T) {
		c.must("down", "-v")
		if got := c.must("volumes").stdout; got != "DRIVER    VOLUME NAME\n" {
			t.Errorf("got %q", got)
		}
	})
}

// Without a compose file (-p alone), the project is read from its
// containers' labels: a service's volumes are those its running containers
// were created with.
func TestVolumesOfAServiceWithoutComposeFile(t *testing.T) {
	c := newCLIEnv(t, volumesYAML)
	if err := c.b.CreateVolume(t.Context(), "outside", core.VolumeConfig{}); err != nil {
		t.Fatal(err)
	}
	c.must("up", "-d")
	wd, _ := os.Getwd()
	if err := os.Chdir(t.TempDir()); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	for _, tc := range []struct {
		service, want string
	}{
		{"cache", "demo_scratch\n"},
		{"db", "demo_data\ndemo_logs\n"},
	} {
		var out, errb bytes.Buffer
		if code := c.app(strings.NewReader(""), &out, &errb).run(t.Context(), []string{"-p", "demo", "volumes", "-q", tc.service}); code != 0 || out.String() != tc.want {
			t.Errorf("volumes -q %s by project name: exit %d %q (%s), want %q", tc.service, code, out.String(), errb.String(), tc.want)
		}
	}
}
