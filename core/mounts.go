package core

import (
	"errors"
	"fmt"
	"path"
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
