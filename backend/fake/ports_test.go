package fake

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// The fake reports ports as the engines do: one "ip:host->container/proto"
// entry per container port, a free host port handed out when the spec
// names none, and [] (never null) when nothing is published.
func TestFakeReportsPortsAsTheEngines(t *testing.T) {
	cases := []struct {
		name  string
		ports []string
		want  []string
	}{
		{"nothing published", nil, []string{}},
		{"host and container", []string{"8080:80"}, []string{"0.0.0.0:8080->80/tcp"}},
		{"ipv6 loopback, free port", []string{"[::1]::80/tcp"}, []string{"[::1]:32768->80/tcp"}},
		{"range, one entry per port", []string{"127.0.0.1:9000-9001:90-91/udp"}, []string{"127.0.0.1:9000->90/udp", "127.0.0.1:9001->91/udp"}},
		{"host range for one port takes its first", []string{"8000-8009:85"}, []string{"0.0.0.0:8000->85/tcp"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := New("img")
			ctx := context.Background()
			h, err := b.Create(ctx, &core.ContainerSpec{Image: "img", Ports: c.ports})
			if err != nil {
				t.Fatal(err)
			}
			info, err := b.Inspect(ctx, h.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(info.Ports, c.want) {
				t.Errorf("ports = %#v, want %#v", info.Ports, c.want)
			}
			raw, _ := json.Marshal(info)
			if len(c.want) == 0 && !strings.Contains(string(raw), `"ports":[]`) {
				t.Errorf("json %s: want \"ports\":[]", raw)
			}
		})
	}
}

func TestFakeRejectsBadPortsByIndex(t *testing.T) {
	b := New("img")
	_, err := b.Create(context.Background(), &core.ContainerSpec{Image: "img", Ports: []string{"80", "80/icmp"}})
	if core.KindOf(err) != core.KindInvalidArgument || !strings.Contains(err.Error(), "ports[1]") {
		t.Fatalf("Create = %v, want InvalidArgument naming ports[1]", err)
	}
	if list, _ := b.List(context.Background(), backend.ListOptions{All: true}); len(list) != 0 {
		t.Errorf("a refused create left %d containers", len(list))
	}
}
