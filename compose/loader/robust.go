package loader

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/core"
)

// Checks that keep a bad model an InvalidConfig error: compose-go accepts
// some values nothing downstream can use (and panics on a few ill-typed
// ones, see recoverModelPanic).

// validateRobust rejects what compose-go lets through but no runtime can
// take: NUL in any string of a service (argv and environment end there),
// and numbers that are not finite ("cpus: NaN"), which no JSON encoder,
// Engine API request or config hash can carry. Services are checked in name
// order, so the first error is stable.
func validateRobust(p *types.Project) error {
	all := p.AllServices()
	for _, name := range slices.Sorted(maps.Keys(all)) {
		s := all[name]
		if at, ok := core.FindNUL(s); ok {
			return core.Errorf(core.KindInvalidConfig, "service %q: %s contains NUL", name, at).
				With("service", name).With("key", at)
		}
		if _, err := json.Marshal(s); err != nil {
			return core.Errorf(core.KindInvalidConfig, "service %q: a value cannot be used (numbers must be finite): %v", name, err).
				With("service", name)
		}
		// Sizes and cpus the runtime would refuse only at create time, as a
		// failed start (mem_limit -1 is not "unlimited" to Docker).
		for _, f := range []struct {
			key string
			neg bool
		}{{"mem_limit", s.MemLimit < 0}, {"mem_reservation", s.MemReservation < 0}, {"shm_size", s.ShmSize < 0}, {"cpus", s.CPUS < 0}} {
			if f.neg {
				return core.Errorf(core.KindInvalidConfig, "service %q: %s must not be negative", name, f.key).
					With("service", name).With("key", f.key)
			}
		}
	}
	for _, n := range slices.Sorted(maps.Keys(p.Networks)) {
		if at, ok := core.FindNUL(p.Networks[n]); ok {
			return core.Errorf(core.KindInvalidConfig, "network %q: %s contains NUL", n, at).With("key", at)
		}
	}
	for _, n := range slices.Sorted(maps.Keys(p.Volumes)) {
		if at, ok := core.FindNUL(p.Volumes[n]); ok {
			return core.Errorf(core.KindInvalidConfig, "volume %q: %s contains NUL", n, at).With("key", at)
		}
	}
	return nil
}

// recoverModelPanic turns a panic of compose-go on an ill-typed model (for
// example `external: "yes"`, which its validation asserts to be a bool) into
// an InvalidConfig error: a bad compose file must never take the host
// process down. Deferred by Load.
func recoverModelPanic(p **types.Project, err *error) {
	if r := recover(); r != nil {
		if p != nil {
			*p = nil
		}
		*err = core.Errorf(core.KindInvalidConfig, "invalid compose model: a value has the wrong type (%v)", fmt.Sprint(r))
	}
}
