package detect_test

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend/contracttest"
	"github.com/perryts/perry-container/backend/detect"
	"github.com/perryts/perry-container/internal/testenv"
)

// tcpProxy serves tcp on 127.0.0.1 and forwards to the local engine socket:
// a remote daemon as far as the library can tell.
func tcpProxy(t *testing.T, socket string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				u, err := net.DialTimeout("unix", socket, 5*time.Second)
				if err != nil {
					return
				}
				defer u.Close()
				go func() { _, _ = io.Copy(u, c) }()
				_, _ = io.Copy(c, u)
			}()
		}
	}()
	return "tcp://" + ln.Addr().String()
}

// Server-first mode against a remote endpoint: the remote daemon is chosen,
// BackendInfo says remote, and the contract lifecycle passes through it.
func TestServerFirstPicksTheRemoteDaemon(t *testing.T) {
	const socket = "/var/run/docker.sock"
	testenv.RequireEngineAt(t, "unix://"+socket)
	host := tcpProxy(t, socket)
	t.Setenv("DOCKER_HOST", host)
	t.Setenv("PERRY_CONTAINER_MODE", "server-first")
	t.Setenv("PERRY_CONTAINER_BACKEND", "")
	t.Setenv("PERRY_CONTAINER_STRATEGY", "")

	d := detect.New(detect.OS())
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := d.Detect(ctx)
	if err != nil {
		t.Fatalf("detect: %v", err)
	}
	if rep.Selected == nil || rep.Selected.Info.Mode != "remote" || rep.Selected.Host != host {
		t.Fatalf("selection %+v, want the remote %s", rep.Selected, host)
	}
	b, err := d.Backend(ctx)
	if err != nil {
		t.Fatal(err)
	}
	info, err := b.Info(ctx)
	if err != nil || info.Mode != "remote" || info.Strategy != "api" {
		t.Fatalf("info %+v %v, want mode remote over the API", info, err)
	}
	contracttest.Run(t, b, contracttest.Options{Only: []string{"Lifecycle"}})
}
