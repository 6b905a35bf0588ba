package core

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"
)

// ValidateMounts checks the long-form mounts' subpaths (part of Validate),
// as the Docker engine checks them at create, so that a bad one fails the
// same way on every backend before any runtime is asked.
func (s *ContainerSpec) ValidateMounts() error {
	for i, m := range s.Mounts {
		if m.Subpath == "" {
			continue
		}
		at := fmt.Sprintf("mounts[%d].subpath", i)
		if m.Type != "volume" {
			return fmt.Errorf("%s applies only to volume mounts, not %q", at, m.Type)
		}
		if m.Source == "" {
			// The engines refuse it: an anonymous volume is created empty.
			return fmt.Errorf("%s needs a named volume (source), not an anonymous one", at)
		}
		if err := ValidateSubpath(m.Subpath); err != nil {
			return fmt.Errorf("%s %v", at, err)
		}
	}
	return nil
}

// ValidateSubpath checks a path inside a volume as the Docker engine does
// (its filepath.IsLocal): relative, and not leaving the volume through
// "..", which it refuses at create. Whether the path exists is known only
// when the container starts. NUL and control characters are Validate's.
func ValidateSubpath(p string) error {
	if p == "" {
		return errors.New("is empty")
	}
	if strings.HasPrefix(p, "/") {
		return fmt.Errorf("%q must be a path relative to the volume's root", p)
	}
	if c := path.Clean(p); c == ".." || strings.HasPrefix(c, "../") {
		return fmt.Errorf("%q leaves the volume through \"..\"", p)
	}
	return nil
}

// VolumeEntry is one short-form volume of a container spec ("dst" for an
// anonymous volume, "src:dst[:mode]" for a named volume or a bind), split
// as the Docker engine reads it.
type VolumeEntry struct {
	Source string   // "" for an anonymous volume
	Target string   // the container path, absolute
	Modes  []string // the words after the second ':' ("ro", "z", "nocopy", …)
}

// volumeModes are the mode words the engine accepts after "src:dst:".
var volumeModes = map[string]bool{
	"ro": true, "rw": true, "z": true, "Z": true, "nocopy": true,
	"shared": true, "rshared": true, "slave": true, "rslave": true, "private": true, "rprivate": true,
	"consistent": true, "cached": true, "delegated": true,
}

// ParseVolume splits one ContainerSpec.Volumes entry; the one reading of
// that form for every backend.
func ParseVolume(v string) (VolumeEntry, error) {
	parts := strings.Split(v, ":")
	switch len(parts) {
	case 1:
		if !strings.HasPrefix(v, "/") {
			return VolumeEntry{}, errors.New("an anonymous volume needs an absolute container path")
		}
		return VolumeEntry{Target: v}, nil
	case 2, 3:
	default:
		return VolumeEntry{}, errors.New("expected src:dst[:mode]")
	}
	e := VolumeEntry{Source: parts[0], Target: parts[1]}
	if e.Source == "" {
		return VolumeEntry{}, errors.New("empty source")
	}
	if !strings.HasPrefix(e.Target, "/") {
		return VolumeEntry{}, fmt.Errorf("container path %q must be absolute", e.Target)
	}
	if len(parts) == 3 {
		e.Modes = strings.Split(parts[2], ",")
		for _, m := range e.Modes {
			if !volumeModes[m] {
				return VolumeEntry{}, fmt.Errorf("unknown mode %q", m)
			}
		}
	}
	return e, nil
}

// IsBind reports a source that is a host path ("/", ".", "~"), which the
// engines bind-mount; any other source names a volume.
func (e VolumeEntry) IsBind() bool {
	return strings.HasPrefix(e.Source, "/") || strings.HasPrefix(e.Source, ".") || strings.HasPrefix(e.Source, "~")
}

// ReadOnly reports the "ro" mode.
func (e VolumeEntry) ReadOnly() bool { return slices.Contains(e.Modes, "ro") }
