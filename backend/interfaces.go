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

// CreateRetries is how many times a create that failed on InterfacesChanged
// is tried again.
const CreateRetries = 3
