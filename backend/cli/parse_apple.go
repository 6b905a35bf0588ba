package cli

import (
	"encoding/json"
	"strings"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/imageref"
	"github.com/perryts/perry-container/core"
)

// appleContainer is one container of `container list/inspect --format json`
// in either layout:
//
//	≤0.12: {status: "running", configuration, networks, startedDate: 802450114.6}
//	≥1.0:  {id, configuration{…, creationDate}, status{state, networks, startedDate}}
type appleContainer struct {
	ID            string            `json:"id"`
	Status        json.RawMessage   `json:"status"`
	Configuration appleConfig       `json:"configuration"`
	Networks      []appleAttachment `json:"networks"`    // 0.x
	StartedDate   flexTime          `json:"startedDate"` // 0.x
}

type appleConfig struct {
	ID    string `json:"id"`
	Image struct {
		Reference string `json:"reference"`
	} `json:"image"`
	Labels         map[string]string `json:"labels"`
	PublishedPorts []applePort       `json:"publishedPorts"`
	CreationDate   flexTime          `json:"creationDate"` // 1.x
	InitProcess    struct {
		Executable string   `json:"executable"`
		Arguments  []string `json:"arguments"`
	} `json:"initProcess"`
}

type applePort struct {
	HostAddress   string `json:"hostAddress"`
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Proto         string `json:"proto"`
	Count         int    `json:"count"`
}

type appleAttachment struct {
	Network     string `json:"network"`
	IPv4Address string `json:"ipv4Address"` // "192.168.64.2/24"
}

// appleStatus is 1.x's status object (0.x spreads it over the top level).
type appleStatus struct {
	State       string            `json:"state"`
	Networks    []appleAttachment `json:"networks"`
	StartedDate flexTime          `json:"startedDate"`
}

func (c appleContainer) status() appleStatus {
	var text string
	if json.Unmarshal(c.Status, &text) == nil {
		return appleStatus{State: text, Networks: c.Networks, StartedDate: c.StartedDate}
	}
	var st appleStatus
	_ = json.Unmarshal(c.Status, &st) // an unreadable status leaves the state unknown
	return st
}

func (c appleContainer) info() core.ContainerInfo {
	st := c.status()
	info := core.ContainerInfo{
		ID:      c.ID,
		Image:   c.Configuration.Image.Reference,
		Command: backend.Command(c.Configuration.InitProcess.Executable, c.Configuration.InitProcess.Arguments),
		Labels:  c.Configuration.Labels,
		Ports:   applePorts(c.Configuration.PublishedPorts),
	}
	if info.ID == "" {
		info.ID = c.Configuration.ID
	}
	info.Name = info.ID // apple/container's id is the name given at creation
	info.State = appleState(st.State, st.StartedDate.set())
	info.Status = humanStatus(info.State, nil, "")
	info.Created = c.Configuration.CreationDate.apple()
	if info.Created == "" { // 0.x records no creation date; the start is the closest
		info.Created = st.StartedDate.apple()
	}
	for _, n := range st.Networks {
		info.Networks = append(info.Networks, n.Network)
		if info.IPAddress == "" {
			info.IPAddress, _, _ = strings.Cut(n.IPv4Address, "/")
		}
	}
	return info
}

// appleState maps apple/container's states (running, stopped, stopping,
// unknown) onto docker's. A never-started container is "stopped" without a
// start date: docker calls that "created".
func appleState(state string, started bool) string {
	switch strings.ToLower(state) {
	case "running", "stopping": // stopping: the process still runs
		return "running"
	case "stopped":
		if started {
			return "exited"
		}
		return "created"
	case "":
		return ""
	}
	return "dead"
}

func applePorts(list []applePort) []string {
	ports := []string{}
	for _, p := range list {
		n := max(p.Count, 1)
		ports = append(ports, formatPort(p.HostAddress, portRange(p.HostPort, n), portRange(p.ContainerPort, n), p.Proto))
	}
	core.SortPorts(ports)
	return ports
}

// parseAppleContainers reads `container list/inspect` output.
func parseAppleContainers(data []byte) ([]core.ContainerInfo, error) {
	return decodeInfos(appleContainer.info)(data)
}

// appleImage is one image of `container image list --format json`.
type appleImage struct {
	Reference  string `json:"reference"`
	Descriptor struct {
		Digest string `json:"digest"`
		Size   int64  `json:"size"`
	} `json:"descriptor"`
	FullSize json.RawMessage `json:"fullSize"` // 0.12.3: a locale-formatted string ("4,2 MB")
}

func (i appleImage) info() core.ImageInfo {
	img := core.ImageInfo{ID: i.Descriptor.Digest, Digest: i.Descriptor.Digest, Size: i.Descriptor.Size}
	img.Repository, img.Tag = imageref.Split(i.Reference)
	if len(i.FullSize) > 0 {
		if n := jsonSize(i.FullSize); n > 0 {
			img.Size = n
		}
	}
	return img
}

func parseAppleImages(data []byte) ([]core.ImageInfo, error) {
	entries, err := decodeObjects[appleImage](data)
	if err != nil {
		return nil, err
	}
	out := make([]core.ImageInfo, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.info())
	}
	return out, nil
}

// matchAppleImage finds ref among the images: apple/container normalizes
// references ("alpine" is "docker.io/library/alpine:latest").
func matchAppleImage(images []core.ImageInfo, ref string) (core.ImageInfo, bool) {
	want := imageref.Normalize(ref)
	for _, img := range images {
		full := img.Repository + ":" + img.Tag
		if img.Tag == "" {
			full = img.Repository + "@" + img.Digest
		}
		if img.Digest == ref || imageref.Normalize(full) == want {
			return img, true
		}
	}
	return core.ImageInfo{}, false
}

// appleLabeled carries labels wherever a layout put them.
type appleLabeled struct {
	Labels map[string]string `json:"labels"`
	Mode   string            `json:"mode"`
	ID     string            `json:"id"`
}

// appleNetwork is one network of `container network list/inspect`:
// 0.12 {id, state, config{id, mode, labels, creationDate}, status}; later
// layouts may name config "configuration".
type appleNetwork struct {
	ID            string            `json:"id"`
	Config        *appleLabeled     `json:"config"`
	Configuration *appleLabeled     `json:"configuration"`
	Labels        map[string]string `json:"labels"`
}

func (n appleNetwork) info() core.NetworkInfo {
	info := core.NetworkInfo{ID: n.ID, Name: n.ID, Labels: n.Labels}
	for _, c := range []*appleLabeled{n.Config, n.Configuration} {
		if c == nil {
			continue
		}
		if info.Labels == nil {
			info.Labels = c.Labels
		}
		if info.Driver == "" {
			info.Driver = c.Mode // "nat"
		}
		if info.ID == "" {
			info.ID, info.Name = c.ID, c.ID
		}
	}
	return info
}

func parseAppleNetworks(data []byte) ([]core.NetworkInfo, error) {
	entries, err := decodeObjects[appleNetwork](data)
	if err != nil {
		return nil, err
	}
	out := make([]core.NetworkInfo, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.info())
	}
	return out, nil
}

// appleVolume is one volume of `container volume list/inspect`.
type appleVolume struct {
	Name   string            `json:"name"`
	Driver string            `json:"driver"`
	Source string            `json:"source"` // the volume's disk image on the host
	Labels map[string]string `json:"labels"`
}

func parseAppleVolumes(data []byte) ([]core.VolumeInfo, error) {
	entries, err := decodeObjects[appleVolume](data)
	if err != nil {
		return nil, err
	}
	out := make([]core.VolumeInfo, 0, len(entries))
	for _, v := range entries {
		out = append(out, core.VolumeInfo{Name: v.Name, Driver: v.Driver, Mountpoint: v.Source, Labels: v.Labels})
	}
	return out, nil
}

// appleVersion is one component of `container system version --format json`.
type appleVersion struct {
	AppName string `json:"appName"`
	Version string `json:"version"`
}

// parseAppleVersion returns the CLI's version (the "container" component).
func parseAppleVersion(data []byte) (string, error) {
	entries, err := decodeObjects[appleVersion](data)
	if err != nil {
		return "", err
	}
	for _, e := range entries {
		if e.AppName == "container" {
			return e.Version, nil
		}
	}
	if len(entries) > 0 {
		return entries[0].Version, nil
	}
	return "", nil
}

// parseVersionText reads "container CLI version 0.5.0 (build: …)", the
// output of `container --version` before `system version` existed.
func parseVersionText(s string) string {
	fields := strings.Fields(s)
	for i, f := range fields {
		if f == "version" && i+1 < len(fields) {
			return fields[i+1]
		}
	}
	for _, f := range fields {
		if len(f) > 0 && (f[0] >= '0' && f[0] <= '9' || f[0] == 'v') && strings.Contains(f, ".") {
			return f
		}
	}
	return strings.TrimSpace(s)
}
