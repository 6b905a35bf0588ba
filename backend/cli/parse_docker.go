package cli

import (
	"encoding/json"
	"sort"
	"strconv"
	"strings"

	"github.com/moby/moby/client/pkg/versions"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/imageref"
	"github.com/perryts/perry-container/core"
)

// psEntry is one container of `ps` JSON in any docker-compatible shape.
// encoding/json matches keys case-insensitively, so podman's "Id" fills ID.
type psEntry struct {
	ID           string          `json:"ID"`
	Names        stringOrList    `json:"Names"`    // docker/nerdctl: "a,b"; podman: ["a","b"]
	Image        string          `json:"Image"`    //
	Command      json.RawMessage `json:"Command"`  // docker/nerdctl: quoted "\"sleep 300\""; podman: ["sleep","300"]
	Status       string          `json:"Status"`   // "Up 3 seconds (healthy)", "Exited (7) 2 minutes ago"
	State        string          `json:"State"`    // absent in nerdctl
	Ports        json.RawMessage `json:"Ports"`    // docker/nerdctl: string; podman: array or null
	Labels       labelMap        `json:"Labels"`   // docker/nerdctl: comma-joined; podman: object
	Networks     stringOrList    `json:"Networks"` // docker: comma-joined; podman: array
	CreatedAt    string          `json:"CreatedAt"`
	Created      flexTime        `json:"Created"`  // podman: Unix seconds
	ExitCode     *int            `json:"ExitCode"` // podman
	HealthStatus string          `json:"HealthStatus"`
}

// podmanPort is one element of podman's ps Ports.
type podmanPort struct {
	HostIP        string `json:"host_ip"`
	ContainerPort int    `json:"container_port"`
	HostPort      int    `json:"host_port"`
	Range         int    `json:"range"`
	Protocol      string `json:"protocol"`
}

func (e psEntry) info() core.ContainerInfo {
	info := core.ContainerInfo{
		ID:      e.ID,
		Image:   e.Image,
		Command: psCommand(e.Command),
		Status:  e.Status,
		Ports:   psPorts(e.Ports),
		Labels:  e.Labels,
	}
	if len(e.Names) > 0 {
		info.Name = strings.TrimPrefix(e.Names[0], "/")
	}
	info.Networks = []string(e.Networks)
	info.State = normalizeState(e.State)
	if info.State == "" {
		info.State = stateFromStatus(e.Status)
	}
	info.Health = backend.Health(info.Running(), e.HealthStatus, e.Status)
	if info.State == "exited" || info.State == "dead" {
		if e.ExitCode != nil {
			info.ExitCode = e.ExitCode
		} else if code, ok := backend.ExitCode(e.Status); ok {
			info.ExitCode = &code
		}
	}
	if e.Created.set() {
		info.Created = e.Created.unix()
	} else {
		info.Created = isoTime(e.CreatedAt)
	}
	return info
}

// psCommand reads a ps Command value: docker's and nerdctl's string, which
// their CLIs print Go-quoted, or podman's argv.
func psCommand(raw json.RawMessage) string {
	var text string
	if json.Unmarshal(raw, &text) == nil {
		if strings.HasPrefix(text, `"`) {
			if unquoted, err := strconv.Unquote(text); err == nil {
				return unquoted
			}
		}
		return text
	}
	var argv []string
	if json.Unmarshal(raw, &argv) != nil || len(argv) == 0 {
		return ""
	}
	return backend.Command(argv[0], argv[1:])
}

// psPorts reads a ps Ports value: docker's "a, b" string or podman's array.
func psPorts(raw json.RawMessage) []string {
	if len(raw) == 0 || string(raw) == "null" {
		return []string{}
	}
	var text string
	if json.Unmarshal(raw, &text) == nil {
		ports := displayPorts(splitList(text, ", "))
		if ports == nil {
			ports = []string{}
		}
		core.SortPorts(ports)
		return ports
	}
	var list []podmanPort
	if json.Unmarshal(raw, &list) != nil {
		return []string{}
	}
	ports := []string{}
	for _, p := range list {
		n := max(p.Range, 1)
		host := ""
		if p.HostPort != 0 {
			host = portRange(p.HostPort, n)
		}
		ports = append(ports, formatPort(p.HostIP, host, portRange(p.ContainerPort, n), p.Protocol))
	}
	core.SortPorts(ports)
	return ports
}

// parsePS reads `ps` output.
func parsePS(data []byte) ([]core.ContainerInfo, error) {
	return decodeInfos(psEntry.info)(data)
}

// healthState is State.Health (docker, podman ≥4, nerdctl ≥2.1.5) or
// State.Healthcheck (podman ≤3).
type healthState struct {
	Status string `json:"Status"`
}

type portBinding struct {
	HostIP   string `json:"HostIp"`
	HostPort string `json:"HostPort"`
}

// inspectEntry is one element of `inspect --type=container` output.
type inspectEntry struct {
	ID      string `json:"Id"`
	Created string `json:"Created"`
	Name    string `json:"Name"`
	State   struct {
		Status      string       `json:"Status"`
		Running     bool         `json:"Running"`
		Paused      bool         `json:"Paused"`
		ExitCode    int          `json:"ExitCode"`
		Error       string       `json:"Error"`
		Health      *healthState `json:"Health"`
		Healthcheck *healthState `json:"Healthcheck"`
	} `json:"State"`
	Path      string   `json:"Path"`
	Args      []string `json:"Args"`
	ImageName string   `json:"ImageName"` // podman
	// Image is the image's id on docker and podman, the reference on
	// nerdctl (whose Config has no Image).
	Image  string `json:"Image"`
	Config struct {
		Image  string            `json:"Image"`
		Labels map[string]string `json:"Labels"`
	} `json:"Config"`
	NetworkSettings struct {
		IPAddress string                   `json:"IPAddress"`
		Ports     map[string][]portBinding `json:"Ports"`
		Networks  map[string]struct {
			IPAddress string `json:"IPAddress"`
		} `json:"Networks"`
	} `json:"NetworkSettings"`
}

func (e inspectEntry) info() core.ContainerInfo {
	info := core.ContainerInfo{
		ID:      e.ID,
		Name:    strings.TrimPrefix(e.Name, "/"), // docker's has a leading "/", nerdctl's not
		Image:   e.Config.Image,
		Command: backend.Command(e.Path, e.Args),
		Created: isoTime(e.Created),
		Labels:  e.Config.Labels,
		Ports:   inspectPorts(e.NetworkSettings.Ports),
	}
	if info.Image == "" {
		info.Image = e.ImageName
	}
	if info.Image == "" && !isImageID(e.Image) {
		info.Image = e.Image
	}
	info.State = e.state()
	if h := e.State.Health; h != nil {
		info.Health = backend.Health(info.Running(), h.Status, "")
	} else if h := e.State.Healthcheck; h != nil {
		info.Health = backend.Health(info.Running(), h.Status, "")
	}
	if info.State == "exited" || info.State == "dead" {
		code := e.State.ExitCode
		info.ExitCode = &code
	}
	info.Networks, info.IPAddress = e.networks()
	info.Status = humanStatus(info.State, info.ExitCode, info.Health)
	return info
}

// state is State.Status; nerdctl may leave it empty on broken entries.
func (e inspectEntry) state() string {
	if s := normalizeState(e.State.Status); s != "" {
		return s
	}
	switch {
	case e.State.Error != "":
		return "dead"
	case e.State.Paused:
		return "paused"
	case e.State.Running:
		return "running"
	}
	return ""
}

// networks lists the network names and the first address. nerdctl names its
// networks after interfaces ("unknown-eth0") in NetworkSettings and keeps the
// real names in the nerdctl/networks label.
func (e inspectEntry) networks() ([]string, string) {
	names := make([]string, 0, len(e.NetworkSettings.Networks))
	for n := range e.NetworkSettings.Networks {
		names = append(names, n)
	}
	sort.Strings(names)
	ip := e.NetworkSettings.IPAddress
	for _, n := range names {
		if ip == "" {
			ip = e.NetworkSettings.Networks[n].IPAddress
		}
	}
	if raw, ok := e.Config.Labels["nerdctl/networks"]; ok {
		var real []string
		if json.Unmarshal([]byte(raw), &real) == nil {
			names = real
		}
	}
	return names, ip
}

// inspectPorts formats NetworkSettings.Ports as "0.0.0.0:8080->80/tcp".
func inspectPorts(m map[string][]portBinding) []string {
	ports := []string{}
	for key, bindings := range m {
		port, proto, _ := strings.Cut(key, "/")
		if len(bindings) == 0 {
			ports = append(ports, formatPort("", "", port, proto))
			continue
		}
		for _, b := range bindings {
			ports = append(ports, formatPort(b.HostIP, b.HostPort, port, proto))
		}
	}
	core.SortPorts(ports)
	return ports
}

// humanStatus writes a short ps-like status for inspect, which has none.
func humanStatus(state string, exitCode *int, health string) string {
	var s string
	switch state {
	case "running":
		s = "Up"
	case "exited":
		s = "Exited"
		if exitCode != nil {
			s += " (" + strconv.Itoa(*exitCode) + ")"
		}
	case "":
		return ""
	default:
		s = strings.ToUpper(state[:1]) + state[1:]
	}
	if health != "" && state == "running" {
		s += " (" + health + ")"
	}
	return s
}

// parseInspect reads `inspect` output.
func parseInspect(data []byte) ([]core.ContainerInfo, error) {
	return decodeInfos(inspectEntry.info)(data)
}

// imageEntry is one image of `images` JSON (docker and nerdctl NDJSON with
// human sizes; podman arrays with Names, integer Size and Created).
type imageEntry struct {
	ID          string          `json:"ID"`
	Repository  string          `json:"Repository"`
	Tag         string          `json:"Tag"`
	Size        json.RawMessage `json:"Size"`
	CreatedAt   string          `json:"CreatedAt"`
	Created     flexTime        `json:"Created"`
	Digest      string          `json:"Digest"`
	Names       []string        `json:"Names"`       // podman
	RepoDigests []string        `json:"RepoDigests"` // podman: an untagged image's repository
}

func (e imageEntry) infos() []core.ImageInfo {
	base := core.ImageInfo{ID: e.ID, Size: jsonSize(e.Size), Digest: e.Digest}
	if base.Digest == "<none>" {
		base.Digest = ""
	}
	if e.Created.set() {
		base.Created = e.Created.unix()
	} else {
		base.Created = isoTime(e.CreatedAt)
	}
	if e.Repository != "" || len(e.Names) == 0 {
		base.Repository, base.Tag = e.Repository, e.Tag
		if base.Repository == "" {
			base.Repository, base.Tag = imageref.Untagged(e.RepoDigests)
		}
		return []core.ImageInfo{base}
	}
	out := make([]core.ImageInfo, 0, len(e.Names))
	for _, n := range e.Names { // podman: one entry per image, with every name
		img := base
		img.Repository, img.Tag = imageref.Listed(n)
		out = append(out, img)
	}
	return out
}

// jsonSize reads a size given as a number of bytes or as human text.
func jsonSize(raw json.RawMessage) int64 {
	var n float64
	if json.Unmarshal(raw, &n) == nil {
		return int64(n)
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return parseSize(s)
	}
	return 0
}

// parseImages reads `images` output.
func parseImages(data []byte) ([]core.ImageInfo, error) {
	entries, err := decodeObjects[imageEntry](data)
	if err != nil {
		return nil, err
	}
	out := []core.ImageInfo{}
	for _, e := range entries {
		out = append(out, e.infos()...)
	}
	return out, nil
}

// imageInspect is one element of `image inspect` output.
type imageInspect struct {
	ID          string   `json:"Id"`
	RepoTags    []string `json:"RepoTags"`
	RepoDigests []string `json:"RepoDigests"`
	Created     string   `json:"Created"`
	Size        int64    `json:"Size"`
	// docker, podman and nerdctl all say the platform so.
	OS           string `json:"Os"`
	Architecture string `json:"Architecture"`
	Variant      string `json:"Variant"`
}

// info describes the image as ref named it: the tag matching ref when the
// image has several.
func (e imageInspect) info(ref string) core.ImageInfo {
	img := core.ImageInfo{ID: e.ID, Size: e.Size, Created: isoTime(e.Created), Platform: core.FormatPlatform(e.OS, e.Architecture, e.Variant)}
	if tag := imageref.Pick(e.RepoTags, ref); tag != "" {
		img.Repository, img.Tag = imageref.Split(tag)
	} else {
		img.Repository, img.Tag = imageref.Untagged(e.RepoDigests)
	}
	img.Digest = imageref.FirstDigest(e.RepoDigests)
	return img
}

// networkEntry is one element of `network inspect` (docker: Name/Id; podman
// 4+: name/id, matched case-insensitively).
type networkEntry struct {
	Name   string            `json:"Name"`
	ID     string            `json:"Id"`
	Driver string            `json:"Driver"`
	Labels map[string]string `json:"Labels"`
	CNI    *nerdctlCNI       `json:"CNI"` // nerdctl --mode=native
}

// nerdctlCNI is a network's CNI configuration as nerdctl's native inspect
// prints it: the driver is the first plugin's type.
type nerdctlCNI struct {
	Name    string            `json:"name"`
	ID      string            `json:"nerdctlID"`
	Labels  map[string]string `json:"nerdctlLabels"`
	Plugins []struct {
		Type string `json:"type"`
	} `json:"plugins"`
}

func (n networkEntry) info() core.NetworkInfo {
	if c := n.CNI; c != nil && n.Name == "" {
		info := core.NetworkInfo{ID: c.ID, Name: c.Name, Labels: c.Labels}
		if len(c.Plugins) > 0 {
			info.Driver = c.Plugins[0].Type
		}
		return info
	}
	return core.NetworkInfo{ID: n.ID, Name: n.Name, Driver: n.Driver, Labels: n.Labels}
}

// volumeEntry is one element of `volume inspect`.
type volumeEntry struct {
	Name       string            `json:"Name"`
	Driver     string            `json:"Driver"`
	Mountpoint string            `json:"Mountpoint"`
	Labels     map[string]string `json:"Labels"`
}

func (v volumeEntry) info() core.VolumeInfo {
	return core.VolumeInfo{Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Labels: v.Labels}
}

// dockerVersion is `version` JSON: the engine's version when the client
// reports it, else the client's (nerdctl's Server has only components).
type dockerVersion struct {
	Client struct {
		Version    string `json:"Version"`
		APIVersion string `json:"ApiVersion"` // negotiated with the daemon
	} `json:"Client"`
	Server *struct {
		Version    string `json:"Version"`
		APIVersion string `json:"ApiVersion"`
	} `json:"Server"`
}

// apiVersion is the Engine API version the CLI speaks to its daemon: the
// negotiated one, else the daemon's, else "" (nerdctl and podman do not
// speak the Docker Engine API through their CLI).
func (v dockerVersion) apiVersion() string {
	if v.Client.APIVersion != "" {
		if v.Server != nil && v.Server.APIVersion != "" && versions.LessThan(v.Server.APIVersion, v.Client.APIVersion) {
			return v.Server.APIVersion
		}
		return v.Client.APIVersion
	}
	if v.Server != nil {
		return v.Server.APIVersion
	}
	return ""
}

func (v dockerVersion) version() string {
	if v.Server != nil && v.Server.Version != "" {
		return v.Server.Version
	}
	return v.Client.Version
}
