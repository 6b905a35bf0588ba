package backend

import "strings"

// InterfacesChanged reports whether err is a network create that failed
// because the host's interfaces changed while the runtime read them. Podman
// picks a free subnet from the host's interfaces and their addresses, read
// in two steps (Go's net.Interfaces, then the addresses); an interface that
// appears or goes in between — any container starting or stopping on the
// host — fails the create with Go's "route ip+net: no such network
// interface" before anything is created, so the create can be tried again.
func InterfacesChanged(err error) bool {
	return err != nil && strings.Contains(err.Error(), "no such network interface")
}

// DetailStepExitCode is the detail of a build error holding the exit code
// of the build step that failed (a RUN exiting 9), where the runtime says
// it apart from its own status: the Engine API's build stream does; a
// CLI's exit status may be the CLI's own (podman's 125), so the CLI
// strategy does not set it.
const DetailStepExitCode = "stepExitCode"

// CreateRetries is how many times a create that failed on InterfacesChanged
// is tried again.
const CreateRetries = 3
