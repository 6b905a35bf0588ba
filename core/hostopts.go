package core

import (
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
)

// ValidateHostOptions checks mac_address, storage_opt, annotations and
// volumes_from (part of Validate; the compose engine calls it, with
// ValidateCgroup, to refuse a service before anything is created), so that
// a bad value fails the same way on every backend, before any runtime is
// asked.
func (s *ContainerSpec) ValidateHostOptions() error {
	for i, v := range s.VolumesFrom {
		if _, _, err := ParseVolumesFrom(v); err != nil {
			return fmt.Errorf("volumes_from[%d] %q: %v", i, v, err)
		}
	}
	if s.MacAddress != "" {
		if _, err := parseMAC(s.MacAddress); err != nil {
			return err
		}
		// The address is the primary network's interface's: a mode
		// without one of its own cannot take it (docker: "conflicting
		// options: mac-address and the network mode").
		n := s.Network
		if n == "" && len(s.Networks) > 0 {
			n = s.Networks[0].Name
		}
		if n == "host" || n == "none" || strings.HasPrefix(n, "container:") || strings.HasPrefix(n, "service:") {
			return fmt.Errorf("mac_address cannot be set with network mode %q", n)
		}
	}
	for _, m := range []struct {
		key string
		m   map[string]string
	}{{"storage_opt", s.StorageOpt}, {"annotations", s.Annotations}} {
		for _, k := range slices.Sorted(maps.Keys(m.m)) {
			// The CLIs take "key=value": a key with "=" would split elsewhere.
			if k == "" || strings.Contains(k, "=") {
				return fmt.Errorf("%s key %q is empty or contains '='", m.key, k)
			}
		}
	}
	return nil
}

// MAC is the spec's mac_address in its canonical form (lower-case, colon
// separated: "92:d0:c6:0a:29:33"), nil when it is unset or invalid
// (Validate refuses an invalid one).
func (s *ContainerSpec) MAC() net.HardwareAddr {
	if s.MacAddress == "" {
		return nil
	}
	hw, err := parseMAC(s.MacAddress)
	if err != nil {
		return nil
	}
	return hw
}

// parseMAC accepts what net.ParseMAC does, but only the 48-bit addresses an
// Ethernet interface has.
func parseMAC(s string) (net.HardwareAddr, error) {
	hw, err := net.ParseMAC(s)
	if err != nil || len(hw) != 6 {
		return nil, fmt.Errorf("mac_address %q is not a MAC address such as \"92:d0:c6:0a:29:33\"", s)
	}
	return hw, nil
}

// ParseVolumesFrom reads a volumes_from entry in the engines' form,
// "container[:ro|:rw]" (a container's name or id, then the mode its
// volumes are mounted with; "" keeps each volume's own). The runtimes
// take other modes too (podman's "z"); these two are the ones every
// runtime that has volumes_from shares.
func ParseVolumesFrom(v string) (container, mode string, err error) {
	container, mode, hasMode := strings.Cut(v, ":")
	switch {
	case container == "":
		return "", "", fmt.Errorf("the container name is empty")
	case !validName(container):
		return "", "", fmt.Errorf("%q is not a container name or id (they match [a-zA-Z0-9][a-zA-Z0-9_.-]*)", container)
	case hasMode && mode != "ro" && mode != "rw":
		return "", "", fmt.Errorf("the mode %q must be ro or rw", mode)
	}
	return container, mode, nil
}
