package backend

import "testing"

func TestMissingNetwork(t *testing.T) {
	tests := []struct{ name, msg, want string }{
		{"engine API message", "network perry-net not found", "perry-net"},
		{"docker CLI stderr", "docker: Error response from daemon: network n1 not found.\nSee 'docker run --help'.", "n1"},
		{"podman", "Error: unable to find network with name or ID n2: network not found", "n2"},
		{"nerdctl start hook", `level=fatal msg="failed to create shim task: ... stderr: time=\"…\" level=fatal msg=\"no such network: \\\"n3\\\"\": unknown"`, "n3"},
		{"docker on a swarm manager", "docker: Error response from daemon: Could not attach to network n4: rpc error: code = NotFound desc = network n4 not found\n", "n4"},
		{"another object", "No such container: abc", ""},
		{"inside a word", "subnetwork x not found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := MissingNetwork(tt.msg)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("MissingNetwork(%q) = %q, %v; want %q", tt.msg, got, ok, tt.want)
			}
		})
	}
}
