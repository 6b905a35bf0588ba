package main

import (
	"strings"
	"testing"
)

const portsProject = `
services:
  web:
    image: perry-test/busybox:latest
    command: ["sleep", "1000"]
    scale: 2
    ports:
      - "18100-18109:80"
      - target: 81
        host_ip: "::1"
        published: "8081"
      - "127.0.0.1:5353:53/udp"
      - "90"
`

// port prints where a replica's container port is published, IPv6
// bracketed, per replica and protocol, and fails naming what it lacks.
func TestPortCommand(t *testing.T) {
	c := newCLIEnv(t, portsProject)
	c.must("up", "-d")
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"first replica takes the range's first port", []string{"port", "web", "80"}, "0.0.0.0:18100\n"},
		{"second replica the next", []string{"port", "--index", "2", "web", "80"}, "0.0.0.0:18101\n"},
		{"ipv6 host address in brackets", []string{"port", "web", "81"}, "[::1]:8081\n"},
		{"udp by --protocol", []string{"port", "--protocol", "udp", "web", "53"}, "127.0.0.1:5353\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if r := c.must(tc.args...); r.stdout != tc.want {
				t.Fatalf("%v printed %q, want %q", tc.args, r.stdout, tc.want)
			}
		})
	}
	errs := []struct {
		name string
		args []string
		want string
	}{
		{"not published on that protocol", []string{"port", "web", "53"}, "no port 53/tcp for container demo-web-1"},
		{"no such replica", []string{"port", "--index", "3", "web", "80"}, `service "web" has no running container number 3`},
		{"not a port", []string{"port", "web", "http"}, `invalid port "http"`},
		{"unknown protocol", []string{"port", "--protocol", "icmp", "web", "80"}, `--protocol "icmp"`},
		{"index from 1", []string{"port", "--index", "0", "web", "80"}, "invalid --index 0"},
	}
	for _, tc := range errs {
		t.Run(tc.name, func(t *testing.T) {
			r := c.run(tc.args...)
			if r.code == 0 || !strings.Contains(r.stderr, tc.want) {
				t.Fatalf("%v: exit %d, stderr %q; want a failure saying %q", tc.args, r.code, r.stderr, tc.want)
			}
		})
	}
}
