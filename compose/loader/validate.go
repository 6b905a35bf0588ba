package loader

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/errdefs"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/core"
)

// Conditions are the depends_on conditions the compose spec defines; the
// engine knows how to wait for each.
var Conditions = []string{
	types.ServiceConditionStarted,
	types.ServiceConditionHealthy,
	types.ServiceConditionCompletedSuccessfully,
}

// VolumeTypes are the mount types of the compose spec's long volume syntax.
var VolumeTypes = []string{
	types.VolumeTypeBind,
	types.VolumeTypeVolume,
	types.VolumeTypeTmpfs,
	types.VolumeTypeCluster,
	types.VolumeTypeNamedPipe,
	types.VolumeTypeImage,
}

// ValidateCondition checks the depends_on condition service declares on dep.
// Anything but the three spec conditions (including "") is an InvalidConfig
// error naming the service, the dependency and the value.
func ValidateCondition(service, dep, cond string) error {
	if slices.Contains(Conditions, cond) {
		return nil
	}
	return core.Errorf(core.KindInvalidConfig,
		"service %q: depends_on %q: unknown condition %q (must be one of %s)",
		service, dep, cond, strings.Join(Conditions, ", ")).
		With("service", service).With("dependency", dep).With("value", cond)
}

// ValidateVolumeType checks the type of one of service's volumes. Anything
// but the spec's types (including "") is an InvalidConfig error naming the
// service and the value.
func ValidateVolumeType(service, typ string) error {
	if slices.Contains(VolumeTypes, typ) {
		return nil
	}
	return core.Errorf(core.KindInvalidConfig,
		"service %q: unknown volume type %q (must be one of %s)",
		service, typ, strings.Join(VolumeTypes, ", ")).
		With("service", service).With("value", typ)
}

// NormalizeProjectName turns any string into a valid project name the way
// docker compose turns a directory name into one: lower case, only
// [a-z0-9_-] kept, leading '_' and '-' dropped. The result may be empty.
func NormalizeProjectName(s string) string {
	// compose-go's NormalizeProjectName, in one pass: it keeps each allowed
	// character through a regexp match of its own, which takes over a
	// minute on a 16 MiB name (a library call would hang that long).
	s = strings.ToLower(s)
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b = append(b, c)
		}
	}
	return strings.TrimLeft(string(b), "_-")
}

// ValidateProjectName checks an explicitly given project name (-p,
// COMPOSE_PROJECT_NAME): it must match ^[a-z0-9][a-z0-9_-]*$. Explicit names
// are never normalized, so the error says exactly what is wrong and suggests
// the normalized name.
func ValidateProjectName(s string) error {
	if s != "" && NormalizeProjectName(s) == s {
		return nil
	}
	// compose-go's wording first: tools match on it.
	msg := fmt.Sprintf("invalid project name %q: must consist only of lowercase alphanumeric characters, hyphens, and underscores as well as start with a letter or number", s)
	var why []string
	if s == "" {
		why = append(why, "it is empty")
	} else {
		var bad []string
		seen := map[rune]bool{}
		for _, r := range s {
			ok := r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-'
			if !ok && !seen[r] {
				seen[r] = true
				bad = append(bad, fmt.Sprintf("%q", r))
			}
		}
		if len(bad) > 0 {
			why = append(why, "it contains "+strings.Join(bad, ", "))
		}
		if s[0] == '_' || s[0] == '-' {
			why = append(why, fmt.Sprintf("it starts with %q", s[0]))
		}
	}
	msg += "; " + strings.Join(why, " and ")
	if n := NormalizeProjectName(s); n != "" {
		msg += fmt.Sprintf(" (did you mean %q?)", n)
	}
	return (&core.Error{Kind: core.KindInvalidConfig, Message: msg}).With("value", s)
}

// validateProject runs our checks on a loaded project: the value checks, and
// that every required depends_on names a service (compose-go checks this
// too, unless its consistency checks are skipped; the engine relies on it).
func validateProject(p *types.Project) error {
	if err := validateValues(p); err != nil {
		return err
	}
	if err := validateRobust(p); err != nil {
		return err
	}
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
			if _, ok := p.Services[dep]; ok || !s.DependsOn[dep].Required {
				continue
			}
			// Both end in compose-go's ": invalid compose project", as docker
			// compose's message does, and are about the merged project, not
			// one file (see withFiles).
			if ds, ok := p.DisabledServices[dep]; ok {
				return core.Errorf(core.KindInvalidConfig,
					"service %q depends on service %q, which is disabled (enable it with profile %s): %w",
					name, dep, strings.Join(ds.Profiles, " or "), errdefs.ErrInvalid).
					With("service", name).With("value", dep)
			}
			return core.Errorf(core.KindInvalidConfig, "service %q depends on undefined service %q: %w", name, dep, errdefs.ErrInvalid).
				With("service", name).With("value", dep)
		}
	}
	return nil
}

// validateValues checks every service, enabled or not (a typo in a profile's
// service is still a typo), in name order so the first error is stable.
func validateValues(p *types.Project) error {
	all := p.AllServices()
	for _, name := range slices.Sorted(maps.Keys(all)) {
		s := all[name]
		for _, dep := range slices.Sorted(maps.Keys(s.DependsOn)) {
			if err := ValidateCondition(name, dep, s.DependsOn[dep].Condition); err != nil {
				return err
			}
		}
		for _, v := range s.Volumes {
			if err := ValidateVolumeType(name, v.Type); err != nil {
				return core.AsError(err).With("target", v.Target)
			}
		}
	}
	return nil
}
