package fake

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/perryts/perry-container/core"
)

// MountPoint is one mount of a container as an engine reports it (docker
// inspect's Mounts): one its spec declares (volumes, mounts) or one
// volumes_from copied from another container.
type MountPoint struct {
	Type        string // volume | bind | tmpfs
	Source      string // the volume's name or the host path; "" for tmpfs
	Destination string
	RW          bool
	// Anonymous: a volume the engine made for a container. It is removed
	// with the last container that mounts it, as the engines' remove with
	// volumes does (they skip a volume another container still uses).
	Anonymous bool
}

// Mounts returns the mounts of a container, by destination.
func (b *Backend) Mounts(id string) ([]MountPoint, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, err := b.find(id)
	if err != nil {
		return nil, err
	}
	return slices.Clone(c.mounts), nil
}

// mountPoints is what an engine mounts for spec, with b.mu held: the
// mounts of every volumes_from container first (read-only with ":ro"), then
// the spec's own volumes and mounts, which take the place of a copied one
// at the same destination. It makes the anonymous volumes the spec asks
// for; a volumes_from container that does not exist is NotFound, as the
// engines refuse it.
func (b *Backend) mountPoints(spec *core.ContainerSpec) ([]MountPoint, error) {
	byDest := map[string]MountPoint{}
	for _, v := range spec.VolumesFrom {
		name, mode, err := core.ParseVolumesFrom(v)
		if err != nil {
			return nil, core.InvalidArgument("volumes_from", "%q: %v", v, err)
		}
		src, err := b.find(name)
		if err != nil {
			return nil, err
		}
		for _, m := range src.mounts {
			m.RW = m.RW && mode != "ro"
			byDest[m.Destination] = m
		}
	}
	for i, v := range spec.Volumes {
		e, err := core.ParseVolume(v)
		if err != nil {
			return nil, core.InvalidArgument(fmt.Sprintf("volumes[%d]", i), "%q: %v", v, err)
		}
		m := MountPoint{Type: "volume", Source: e.Source, Destination: e.Target, RW: !e.ReadOnly(), Anonymous: e.Source == ""}
		if e.IsBind() {
			m.Type = "bind"
		}
		byDest[m.Destination] = m
	}
	for _, mt := range spec.Mounts {
		byDest[mt.Target] = MountPoint{Type: mt.Type, Source: mt.Source, Destination: mt.Target, RW: !mt.ReadOnly,
			Anonymous: mt.Type == "volume" && mt.Source == ""}
	}
	out := make([]MountPoint, 0, len(byDest))
	for _, m := range byDest {
		out = append(out, m)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Destination < out[j].Destination })
	for i, m := range out {
		if m.Anonymous && m.Source == "" {
			// Unlabelled and named by a random id, as the engines make them.
			name := newID()
			b.volumes[name] = core.VolumeInfo{Name: name, Driver: "local", Mountpoint: "/var/lib/fake/volumes/" + name}
			out[i].Source = name
		}
	}
	return out, nil
}

// releaseMounts removes the anonymous volumes of c, a removed container,
// that no other container mounts, with b.mu held.
func (b *Backend) releaseMounts(c *container) {
	for _, m := range c.mounts {
		if m.Anonymous && b.mountedBy(m.Source) == nil {
			delete(b.volumes, m.Source)
			delete(b.volumeFiles, m.Source)
		}
	}
}

// mountedBy is a container that mounts volume name, or nil.
func (b *Backend) mountedBy(name string) *container {
	for _, c := range b.containers {
		for _, m := range c.mounts {
			if m.Type == "volume" && m.Source == name {
				return c
			}
		}
	}
	return nil
}

// volumeAt is the volume mount of c that holds file p (the deepest
// destination above it), or false.
func volumeAt(c *container, p string) (MountPoint, string, bool) {
	var best MountPoint
	var rel string
	found := false
	for _, m := range c.mounts {
		if m.Type != "volume" {
			continue
		}
		r, ok := strings.CutPrefix(path.Clean("/"+p), strings.TrimSuffix(m.Destination, "/")+"/")
		if ok && (!found || len(m.Destination) > len(best.Destination)) {
			best, rel, found = m, r, true
		}
	}
	return best, rel, found
}

// filesOf is c's file system as its processes see it, with b.mu held: its
// own files, and those of the volumes it mounts under their destinations.
// The result is a copy; storeFiles writes changes back.
func (b *Backend) filesOf(c *container) map[string]string {
	out := map[string]string{}
	for _, m := range c.mounts {
		if m.Type != "volume" {
			continue
		}
		for rel, content := range b.volumeFiles[m.Source] {
			out[path.Join(m.Destination, rel)] = content
		}
	}
	for p, content := range b.files[c.info.ID] {
		if _, _, ok := volumeAt(c, p); !ok {
			out[p] = content
		}
	}
	return out
}

// storeFiles writes a view from filesOf back, with b.mu held: a file under
// a volume's destination into the volume, which every container mounting
// it sees (unless the mount is read-only, where the write is lost, as it
// fails in a real container), any other into c's own files.
func (b *Backend) storeFiles(c *container, files map[string]string) {
	own := b.files[c.info.ID]
	if own == nil {
		own = map[string]string{}
		b.files[c.info.ID] = own
	}
	for p, content := range files {
		m, rel, ok := volumeAt(c, p)
		switch {
		case !ok:
			own[p] = content
		case m.RW:
			if b.volumeFiles[m.Source] == nil {
				b.volumeFiles[m.Source] = map[string]string{}
			}
			b.volumeFiles[m.Source][rel] = content
		}
	}
}
