package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/perryts/perry-container/core"
)

// decodeObjects decodes CLI JSON output whatever its framing: a JSON array
// (podman, apple/container, inspect), NDJSON with one object per line
// (docker and nerdctl ps/images, limactl list), or both concatenated.
func decodeObjects[T any](data []byte) ([]T, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	var out []T
	for {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		switch raw[0] {
		case 'n': // null: an empty list from some CLIs
		case '[':
			var items []T
			if err := json.Unmarshal(raw, &items); err != nil {
				return nil, err
			}
			out = append(out, items...)
		default:
			var item T
			if err := json.Unmarshal(raw, &item); err != nil {
				return nil, err
			}
			out = append(out, item)
		}
	}
}

// decodeInfos decodes docker-compatible inspect JSON of entries E into Ts.
func decodeInfos[E, T any](info func(E) T) func([]byte) ([]T, error) {
	return func(data []byte) ([]T, error) {
		entries, err := decodeObjects[E](data)
		if err != nil {
			return nil, err
		}
		list := make([]T, 0, len(entries))
		for _, e := range entries {
			list = append(list, info(e))
		}
		return list, nil
	}
}

// parseErr reports output the backend could not read.
func parseErr(runtime, what string, err error) error {
	return core.Errorf(core.KindBackendError, "%s: cannot parse %s output: %v", runtime, what, err).With("backend", runtime)
}

// Date layouts the CLIs print: RFC 3339 (inspect, nerdctl, apple 1.x) and
// Go's time.String (docker ps/images CreatedAt).
var dateLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999 -0700 MST",
	"2006-01-02 15:04:05 -0700 MST",
	"2006-01-02 15:04:05.999999999 -0700",
	"2006-01-02T15:04:05.999999999",
}

// isoTime normalizes a date string to RFC 3339 in UTC. Zero times (docker's
// 0001-01-01, nerdctl's "") become "". An unknown layout is kept as it is.
func isoTime(s string) string {
	s = strings.TrimSpace(s)
	if s == "" {
		return ""
	}
	for _, layout := range dateLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() <= 1 {
				return ""
			}
			return t.UTC().Format(time.RFC3339Nano)
		}
	}
	return s
}

// podmanZeroTime is podman's int64 encoding of Go's zero time.
const podmanZeroTime = -62135596800

// unixISO formats seconds since the Unix epoch.
func unixISO(sec float64) string {
	if sec <= 0 || sec == podmanZeroTime {
		return ""
	}
	whole, frac := math.Modf(sec)
	// A Double of this size carries about a microsecond of precision.
	return time.Unix(int64(whole), int64(frac*1e9)).Round(time.Microsecond).UTC().Format(time.RFC3339Nano)
}

// appleEpoch is 2001-01-01T00:00:00Z in Unix seconds: Swift's reference date,
// from which apple/container ≤0.12 counts its Double dates.
const appleEpoch = 978307200

// flexTime is a date as any CLI writes it: a string, Unix seconds (podman)
// or seconds since 2001 (apple/container 0.x; see flexTime.apple).
type flexTime struct {
	text   string
	number *float64
}

func (f *flexTime) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &f.text)
	}
	if string(b) == "null" {
		return nil
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	f.number = &n
	return nil
}

func (f flexTime) set() bool { return f.text != "" || f.number != nil }

// unix formats the date, a number being Unix seconds.
func (f flexTime) unix() string {
	if f.number != nil {
		return unixISO(*f.number)
	}
	return isoTime(f.text)
}

// apple formats the date, a number being seconds since 2001-01-01.
func (f flexTime) apple() string {
	if f.number != nil {
		return unixISO(*f.number + appleEpoch)
	}
	return isoTime(f.text)
}

// formatPort writes a port the way `docker ps` does (core.Port.Display):
// "0.0.0.0:8080->80/tcp", "[::]:8080->80/tcp", or "80/tcp" when
// unpublished. A host address that is not an IP reads as every interface;
// an unreadable container port is kept as the runtime wrote it.
func formatPort(hostIP, hostPort, containerPort, proto string) string {
	p := core.Port{Protocol: strings.ToLower(proto)}
	if p.Protocol == "" {
		p.Protocol = "tcp" // the engines' default, in the fallbacks too
	}
	var err error
	if p.Container, err = core.ParsePortRange(containerPort); err != nil {
		return containerPort + "/" + p.Protocol
	}
	if hostPort != "" && hostPort != "0" {
		if p.Host, err = core.ParsePortRange(hostPort); err != nil {
			return containerPort + "/" + p.Protocol
		}
	}
	if a, err := netip.ParseAddr(strings.Trim(hostIP, "[]")); err == nil {
		p.HostIP = a
	}
	return p.Display()
}

// displayPorts rewrites ps port strings in the one form every backend
// reports, keeping any the model cannot read as they are.
func displayPorts(ports []string) []string {
	for i, s := range ports {
		if p, err := core.ParsePort(s); err == nil {
			ports[i] = p.Display()
		}
	}
	return ports
}

// portRange writes n consecutive ports starting at first ("8000" or
// "8000-8002"), as podman and apple/container count them; a number that is
// no port is written as it is, for formatPort to refuse.
func portRange(first, n int) string {
	last := first + max(n, 1) - 1
	if first < 1 || last > 65535 {
		return strconv.Itoa(first)
	}
	return core.PortRange{Start: uint16(first), End: uint16(last)}.String()
}

// stateFromStatus derives docker's State from a human status ("Up 3
// seconds", "Exited (7) 2 minutes ago"), for nerdctl which has no State.
func stateFromStatus(status string) string {
	s := strings.ToLower(strings.TrimSpace(status))
	switch {
	case strings.HasPrefix(s, "up") && strings.Contains(s, "(paused)"):
		return "paused"
	case strings.HasPrefix(s, "up"):
		return "running"
	case strings.HasPrefix(s, "exited"):
		return "exited"
	case strings.HasPrefix(s, "created"):
		return "created"
	case strings.HasPrefix(s, "restarting"):
		return "restarting"
	case strings.HasPrefix(s, "paused"):
		return "paused"
	case strings.HasPrefix(s, "removal"):
		return "removing"
	case strings.HasPrefix(s, "dead"):
		return "dead"
	}
	return ""
}

// normalizeState maps runtime-specific state names onto docker's.
func normalizeState(state string) string {
	switch s := strings.ToLower(state); s {
	case "configured", "initialized":
		return "created" // podman before the first start
	case "stopped":
		return "exited" // podman after a stop
	default:
		return s
	}
}

// splitLabels parses docker's and nerdctl's comma-joined labels. A value may
// itself contain commas ("x=a,b"), so a piece without "=" continues the
// previous value. Exact labels come from inspect.
func splitLabels(s string) map[string]string {
	if strings.TrimSpace(s) == "" {
		return nil
	}
	out := map[string]string{}
	last := ""
	for _, piece := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(piece, "=")
		if !ok && last != "" {
			out[last] += "," + piece
			continue
		}
		out[k] = v
		last = k
	}
	return out
}

// splitList splits a comma-joined list, dropping empty pieces.
func splitList(s string, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

var sizeText = regexp.MustCompile(`^([0-9]+(?:[.,][0-9]+)?)\s*([kKMGTP]?i?B?)$`)

// parseSize reads a human size ("72.9MB", "1.99 MB", "4,2 MB", "512B",
// "1.5GiB"). docker prints decimal units; a "i" makes them binary. The
// result is approximate by nature; 0 when unreadable.
func parseSize(s string) int64 {
	m := sizeText.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return 0
	}
	n, err := strconv.ParseFloat(strings.ReplaceAll(m[1], ",", "."), 64)
	if err != nil {
		return 0
	}
	unit := strings.ToUpper(strings.TrimSuffix(m[2], "B"))
	base := 1000.0
	if strings.HasSuffix(unit, "I") {
		base, unit = 1024, strings.TrimSuffix(unit, "I")
	}
	exp := strings.Index("KMGTP", unit) + 1
	if unit == "" {
		exp = 0
	}
	return int64(math.Round(n * math.Pow(base, float64(exp))))
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	lines := splitList(s, "\n")
	if len(lines) == 0 {
		return ""
	}
	return lines[len(lines)-1]
}

// stringOrList reads a JSON string (docker: comma-joined) or string array (podman).
type stringOrList []string

func (l *stringOrList) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = splitList(s, ",")
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return fmt.Errorf("expected a string or a list of strings: %w", err)
	}
	*l = list
	return nil
}

// labelMap reads labels as a JSON object (podman, inspect) or a comma-joined
// string (docker and nerdctl ps).
type labelMap map[string]string

func (m *labelMap) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*m = splitLabels(s)
		return nil
	}
	var obj map[string]string
	if err := json.Unmarshal(b, &obj); err != nil {
		return err
	}
	*m = obj
	return nil
}

// sortContainers orders containers by name, as the fake backend does.
func sortContainers(list []core.ContainerInfo) {
	sort.SliceStable(list, func(i, j int) bool {
		if list[i].Name != list[j].Name {
			return list[i].Name < list[j].Name
		}
		return list[i].ID < list[j].ID
	})
}
