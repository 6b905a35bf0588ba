package cli

import (
	"fmt"
	"testing"

	"github.com/perryts/perry-container/core"
)

// Outputs recorded live from podman 4.3.1 and nerdctl 2.0.3
// (testdata/live-podman-*, testdata/live-nerdctl-*): three containers
// perrytest-rec-created (published 127.0.0.1:1808x->80), -running (podman:
// with a healthcheck no systemd runs) and -exited (exit 3), a network and a
// volume, all labelled perry.test=1. They read as the Docker CLI's do.

func recordedContainers(t *testing.T, p Protocol, file string, parse func([]byte) ([]core.ContainerInfo, error)) map[string]core.ContainerInfo {
	t.Helper()
	list, err := parse(fixture(t, file))
	if err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	out := map[string]core.ContainerInfo{}
	for _, c := range list {
		p.fixInfo(&c)
		out[c.Name] = c
	}
	return out
}

func TestLiveRuntimeContainers(t *testing.T) {
	type want struct {
		state, health, port string
		exit                *int
	}
	three := 3
	wants := map[string]want{
		"perrytest-rec-created": {state: "created"},
		"perrytest-rec-running": {state: "running"},
		"perrytest-rec-exited":  {state: "exited", exit: &three},
	}
	tests := []struct {
		name   string
		p      Protocol
		files  []string // one file holds one or all the containers
		parse  func([]byte) ([]core.ContainerInfo, error)
		port   string
		health string // the running one's
		// the exited one's command (sh -c 'exit 3'), as docker ps shows
		// it; nerdctl's listing renders it without the quotes
		command string
	}{
		{"podman ps", podmanP, []string{"live-podman-ps.json"}, parsePS, "127.0.0.1:18080->80/tcp", "starting", "sh -c 'exit 3'"},
		{"podman inspect", podmanP, []string{"live-podman-inspect-created.json", "live-podman-inspect-running.json", "live-podman-inspect-exited.json"}, parseInspect, "127.0.0.1:18080->80/tcp", "starting", "sh -c 'exit 3'"},
		{"nerdctl ps", nerdctlP, []string{"live-nerdctl-ps.ndjson"}, parsePS, "127.0.0.1:18081->80/tcp", "", "sh -c exit 3"},
		{"nerdctl inspect", nerdctlP, []string{"live-nerdctl-inspect-created.json", "live-nerdctl-inspect-running.json", "live-nerdctl-inspect-exited.json"}, parseInspect, "", "", "sh -c 'exit 3'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := map[string]core.ContainerInfo{}
			for _, f := range tt.files {
				for k, v := range recordedContainers(t, tt.p, f, tt.parse) {
					got[k] = v
				}
			}
			if len(got) != len(wants) {
				t.Fatalf("containers %v", got)
			}
			for name, w := range wants {
				c := got[name]
				if c.State != w.state || c.Image != "perry-test/busybox:latest" || c.Labels["perry.test"] != "1" || c.ID == "" || c.Created == "" {
					t.Errorf("%s = %+v, want state %s, image perry-test/busybox:latest, labelled, an id and a creation time", name, c, w.state)
				}
				if fmt.Sprint(deref(c.ExitCode)) != fmt.Sprint(deref(w.exit)) {
					t.Errorf("%s exit code %v, want %v", name, deref(c.ExitCode), deref(w.exit))
				}
			}
			if c := got["perrytest-rec-exited"].Command; c != tt.command {
				t.Errorf("exited command %q, want %q", c, tt.command)
			}
			if c := got["perrytest-rec-running"].Command; c != "sleep 300" {
				t.Errorf("running command %q, want sleep 300", c)
			}
			if h := got["perrytest-rec-running"].Health; h != tt.health {
				t.Errorf("running health %q, want %q", h, tt.health)
			}
			// nerdctl's inspect of a container never started has no
			// network settings, so no ports yet.
			if ports := got["perrytest-rec-created"].Ports; tt.port != "" && (len(ports) != 1 || ports[0] != tt.port) {
				t.Errorf("created ports %q, want %s", ports, tt.port)
			}
		})
	}
}

func deref(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func TestLiveRuntimeResources(t *testing.T) {
	t.Run("podman images", func(t *testing.T) {
		images, err := parseImages(fixture(t, "live-podman-images.json"))
		if err != nil || len(images) != 1 {
			t.Fatalf("images %+v %v", images, err)
		}
		podmanP.fixImage(&images[0])
		if images[0].Repository != "perry-test/busybox" || images[0].Tag != "latest" {
			t.Errorf("image %+v, want perry-test/busybox:latest", images[0])
		}
	})
	t.Run("nerdctl images", func(t *testing.T) {
		images, err := parseImages(fixture(t, "live-nerdctl-images.ndjson"))
		if err != nil || len(images) != 1 {
			t.Fatalf("images %+v %v", images, err)
		}
		nerdctlP.fixImage(&images[0])
		if images[0].Repository != "perry-test/busybox" || images[0].Tag != "latest" {
			t.Errorf("image %+v, want perry-test/busybox:latest", images[0])
		}
	})
	networks := []struct {
		name, file string
	}{
		{"podman network", "live-podman-network-inspect.json"},
		{"nerdctl network (native form)", "live-nerdctl-network-inspect-native.json"},
	}
	for _, tt := range networks {
		t.Run(tt.name, func(t *testing.T) {
			list, err := decodeInfos(networkEntry.info)(fixture(t, tt.file))
			if err != nil || len(list) != 1 {
				t.Fatalf("networks %+v %v", list, err)
			}
			if n := list[0]; n.Name != "perrytest-rec-net" || n.ID == "" || n.Driver != "bridge" || n.Labels["perry.test"] != "1" {
				t.Errorf("network %+v, want perrytest-rec-net, an id, driver bridge, labelled", n)
			}
		})
	}
	volumes := []struct {
		name, file string
		p          Protocol
	}{
		{"podman volume", "live-podman-volume-inspect.json", podmanP},
		{"nerdctl volume (no driver in inspect)", "live-nerdctl-volume-inspect.json", nerdctlP},
	}
	for _, tt := range volumes {
		t.Run(tt.name, func(t *testing.T) {
			list, err := decodeInfos(volumeEntry.info)(fixture(t, tt.file))
			if err != nil || len(list) != 1 {
				t.Fatalf("volumes %+v %v", list, err)
			}
			v := list[0]
			tt.p.fixVolume(&v)
			if v.Name != "perrytest-rec-vol" || v.Driver != "local" || v.Labels["perry.test"] != "1" || v.Mountpoint == "" {
				t.Errorf("volume %+v, want perrytest-rec-vol, driver local, labelled, a mountpoint", v)
			}
		})
	}
	t.Run("nerdctl exec exit 7", func(t *testing.T) {
		stderr := string(fixture(t, "live-nerdctl-exec-exit7.stderr"))
		code, ok := nerdctlP.execExitCode(output{stderr: stderr, code: 1})
		if !ok || code != 7 || execStderr(stderr) != "err\n" {
			t.Errorf("exit %d %v, stderr %q; want 7 and the command's own \"err\"", code, ok, execStderr(stderr))
		}
	})
}
