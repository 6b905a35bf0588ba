package cli

import (
	"slices"
	"testing"

	"github.com/perryts/perry-container/core"
)

// nerdctl 2.0 has no network aliases; one name on every network is given
// as the hostname, which nerdctl writes into its peers' hosts files.
func TestNerdctlAliasesAsHostname(t *testing.T) {
	tests := []struct {
		name string
		spec core.ContainerSpec
		want []string // nil: rejected naming the field
		// field the rejection names
		field string
	}{
		{"compose's service alias", core.ContainerSpec{Network: "p_default", NetworkAliases: []string{"db"}},
			[]string{"--network=p_default", "--hostname=db"}, ""},
		{"the same name on two networks", core.ContainerSpec{Network: "front", NetworkAliases: []string{"api"},
			Networks: []core.NetworkAttach{{Name: "back", Aliases: []string{"api"}}}},
			[]string{"--network=front", "--hostname=api", "--network=back"}, ""},
		{"two names", core.ContainerSpec{Network: "n", NetworkAliases: []string{"db", "pg"}}, nil, "network_aliases"},
		{"another name on the second network", core.ContainerSpec{Network: "front", NetworkAliases: []string{"api"},
			Networks: []core.NetworkAttach{{Name: "back", Aliases: []string{"backend"}}}}, nil, "network_aliases"},
		{"a hostname of its own", core.ContainerSpec{Network: "n", Hostname: "h", NetworkAliases: []string{"db"}}, nil, "network_aliases"},
		// compose's: the container's own name, which nerdctl's hosts
		// files carry anyway, then the service's.
		{"its own name and the service's", core.ContainerSpec{Name: "p-db-1", Network: "p_default", NetworkAliases: []string{"p-db-1", "db"},
			Networks: []core.NetworkAttach{{Name: "back", Aliases: []string{"p-db-1", "db"}}}},
			[]string{"--network=p_default", "--hostname=db", "--network=back"}, ""},
		{"its own name only", core.ContainerSpec{Name: "p-db-run-1", Hostname: "h", Network: "p_default", NetworkAliases: []string{"p-db-run-1"},
			Networks: []core.NetworkAttach{{Name: "back", Aliases: []string{"p-db-run-1"}}}},
			[]string{"--network=p_default", "--network=back"}, ""},
		// A replacement, created under a temporary name and renamed
		// once the container it replaces is gone.
		{"a replacement's final name and the service's", core.ContainerSpec{Name: "0123456789ab_p-db-1", Network: "p_default", NetworkAliases: []string{"p-db-1", "db"}},
			[]string{"--network=p_default", "--hostname=db"}, ""},
		{"a name with an underscore is no replacement", core.ContainerSpec{Name: "my_db", Network: "n", NetworkAliases: []string{"my_db", "db"}},
			[]string{"--network=n", "--hostname=db"}, ""},
		{"its own name and two others", core.ContainerSpec{Name: "p-db-1", Network: "n", NetworkAliases: []string{"p-db-1", "db", "pg"}}, nil, "network_aliases"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spec := tt.spec
			spec.Image = "img"
			args, err := nerdctlP.CreateArgs(&spec)
			if tt.want == nil {
				assertRejected(t, nerdctlP, err, tt.field)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			assertContiguous(t, "nerdctl", args, tt.want)
		})
	}
}

// nerdctl 2.0 reports an exec'd command's exit status as its own failure.
func TestNerdctlExecExitCode(t *testing.T) {
	tests := []struct {
		name   string
		p      Protocol
		stderr string
		exit   int // the CLI's own exit status
		code   int
		ok     bool
	}{
		{"nerdctl's fatal line", nerdctlP, "oops\ntime=\"2026-12-06T03:59:12Z\" level=fatal msg=\"exec failed with exit code 7\"\n", 1, 7, true},
		{"nerdctl's text fatal line", nerdctlP, "FATA[0000] exec failed with exit code 3\n", 1, 3, true},
		{"another nerdctl failure", nerdctlP, "time=\"x\" level=fatal msg=\"no such container\"\n", 1, 0, false},
		{"the command printed the words and exited 0", nerdctlP, "time=\"x\" level=fatal msg=\"exec failed with exit code 7\"\n", 0, 0, false},
		{"the command printed the words and failed", nerdctlP, "exec failed with exit code 7\n", 2, 0, false},
		{"docker says nothing of the kind", dockerP, "exec failed with exit code 7\n", 1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, ok := tt.p.execExitCode(output{stderr: tt.stderr, code: tt.exit})
			if code != tt.code || ok != tt.ok {
				t.Fatalf("execExitCode = %d, %v; want %d, %v", code, ok, tt.code, tt.ok)
			}
		})
	}
	if got := execStderr("oops\nlevel=fatal msg=\"exec failed with exit code 7\"\n"); got != "oops\n" {
		t.Errorf("execStderr kept %q, want the command's own line", got)
	}
}

// Images are shown as docker's CLI shows them, whatever the runtime wrote.
func TestFamiliarImageNames(t *testing.T) {
	tests := []struct {
		p        Protocol
		in, want string
	}{
		{podmanP, "localhost/perry-test/busybox:latest", "perry-test/busybox:latest"},
		{podmanP, "docker.io/library/busybox:1.36", "busybox:1.36"},
		{nerdctlP, "docker.io/perry-test/busybox:latest", "perry-test/busybox:latest"},
		{nerdctlP, "127.0.0.1:5000/a/b:v1", "127.0.0.1:5000/a/b:v1"},
		{dockerP, "localhost/app:v1", "localhost/app:v1"}, // a registry named localhost
	}
	for _, tt := range tests {
		t.Run(string(tt.p.Flavor)+" "+tt.in, func(t *testing.T) {
			if got := tt.p.familiarImage(tt.in); got != tt.want {
				t.Fatalf("familiarImage(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// Podman pulls from a loopback registry over HTTP, as docker does.
func TestPodmanPullsLoopbackOverHTTP(t *testing.T) {
	tests := []struct {
		ref  string
		want bool
	}{
		{"127.0.0.1:5000/a:v1", true},
		{"localhost:5000/a:v1", true},
		{"[::1]:5000/a:v1", true},
		{"registry.example.com/a:v1", false},
		{"busybox", false},
	}
	for _, tt := range tests {
		t.Run(tt.ref, func(t *testing.T) {
			args := podmanP.PullArgs(tt.ref)
			if got := slices.Contains(args, "--tls-verify=false"); got != tt.want {
				t.Fatalf("PullArgs(%q) = %q", tt.ref, args)
			}
		})
	}
}
