package cli

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/perryts/perry-container/core"
)

// nerdctlMountsLabel is where nerdctl keeps the mounts a container was
// created with (its volumes, binds and tmpfs, each volume by name). Its
// inspect lists them as Mounts; without the label, Mounts lists the
// runtime's own binds (/etc/hosts, /etc/resolv.conf, /etc/hostname, an
// IPC namespace's /dev/shm) instead.
const nerdctlMountsLabel = "nerdctl/mounts"

// nerdctlInspect is what nerdctlVolumesFrom reads of a container's
// inspect: its mounts, its labels and the runtime's own files.
type nerdctlInspect struct {
	ID     string `json:"Id"`
	Mounts []struct {
		Type        string `json:"Type"`
		Name        string `json:"Name"`
		Source      string `json:"Source"`
		Destination string `json:"Destination"`
		RW          bool   `json:"RW"`
	} `json:"Mounts"`
	Config struct {
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
	ResolvConfPath string `json:"ResolvConfPath"`
	HostnamePath   string `json:"HostnamePath"`
	HostsPath      string `json:"HostsPath"`
}

// sharedMounts are the mounts another container gets from this one by
// volumes_from, as the Docker engine copies them: the volumes, each by its
// name (an anonymous one by its generated name), and the binds the
// container was created with; no tmpfs, and none of the runtime's own
// files.
func (c nerdctlInspect) sharedMounts() []core.Mount {
	if _, ok := c.Config.Labels[nerdctlMountsLabel]; !ok {
		return nil // Mounts are the runtime's files: the container has none of its own
	}
	var out []core.Mount
	for _, m := range c.Mounts {
		switch {
		case m.Type == "volume" && m.Name != "":
			out = append(out, core.Mount{Type: "volume", Source: m.Name, Target: m.Destination, ReadOnly: !m.RW})
		case m.Type == "bind" && m.Source != "" && !slices.Contains([]string{c.ResolvConfPath, c.HostnamePath, c.HostsPath}, m.Source):
			out = append(out, core.Mount{Type: "bind", Source: m.Source, Target: m.Destination, ReadOnly: !m.RW})
		}
	}
	return out
}

// nerdctlVolumesFrom is spec with volumes_from turned into mounts. nerdctl's
// --volumes-from copies every mount of the source's OCI spec, its
// /etc/hosts, /etc/hostname and /etc/resolv.conf from the source's state
// directory too, and adds the source's anonymous volumes to this
// container's own: removing it with `rm --volumes` (recreate, scale-down,
// run --rm, down) would delete them while the source still uses them. So
// each source is inspected and its volumes and binds (sharedMounts) are
// passed as mounts of this container, a volume by its name, read-only with
// ":ro" or where the source has it read-only. A mount at a path this spec
// mounts itself is left out, and a later source's replaces an earlier one's
// at the same path, as the Docker engine does. A source that does not
// exist is NotFound naming the entry, as the other runtimes refuse it.
func (b *Backend) nerdctlVolumesFrom(ctx context.Context, spec *core.ContainerSpec) (*core.ContainerSpec, error) {
	own := ownTargets(spec)
	shared := map[string]core.Mount{}
	for i, v := range spec.VolumesFrom {
		name, mode, _ := core.ParseVolumesFrom(v) // Validate passed
		src, err := b.nerdctlInspect(ctx, name)
		if err != nil {
			if core.KindOf(err) == core.KindNotFound {
				return nil, core.NotFound("container", name).With("field", fmt.Sprintf("volumes_from[%d]", i)).With("backend", b.name)
			}
			return nil, err
		}
		for _, m := range src.sharedMounts() {
			m.Target = path.Clean(m.Target)
			if own[m.Target] {
				continue
			}
			m.ReadOnly = m.ReadOnly || mode == "ro"
			shared[m.Target] = m
		}
	}
	out := *spec
	out.VolumesFrom = nil
	out.Mounts = slices.Clone(spec.Mounts)
	// By path, so that a mount inside another comes after it.
	for _, target := range slices.Sorted(maps.Keys(shared)) {
		out.Mounts = append(out.Mounts, shared[target])
	}
	return &out, nil
}

// nerdctlInspect inspects one container for nerdctlVolumesFrom.
func (b *Backend) nerdctlInspect(ctx context.Context, name string) (nerdctlInspect, error) {
	out, err := b.call(ctx, target{"container", name}, b.proto.InspectArgs(name))
	if err != nil {
		return nerdctlInspect{}, err
	}
	list, err := decodeObjects[nerdctlInspect](out.stdout)
	if err != nil {
		return nerdctlInspect{}, parseErr(b.name, "inspect", err)
	}
	if len(list) == 0 {
		return nerdctlInspect{}, core.NotFound("container", name).With("backend", b.name)
	}
	return list[0], nil
}

// ownTargets are the container paths spec mounts itself (volumes, long-form
// mounts, tmpfs), cleaned.
func ownTargets(spec *core.ContainerSpec) map[string]bool {
	own := map[string]bool{}
	for _, v := range spec.Volumes {
		if e, err := core.ParseVolume(v); err == nil { // Validate passed
			own[path.Clean(e.Target)] = true
		}
	}
	for _, m := range spec.Mounts {
		own[path.Clean(m.Target)] = true
	}
	for _, t := range spec.Tmpfs { // "/path[:opts]"
		dst, _, _ := strings.Cut(t, ":")
		own[path.Clean(dst)] = true
	}
	return own
}
