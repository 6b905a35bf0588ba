package diff

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
)

// compareJSON compares JSON output (one document, or one per line as ps
// prints), keeping only keys (top-level keys of each object; all when
// none are given).
func compareJSON(keys []string, dc, pc []string) []divergence {
	a, errA := flattenJSON(dc, keys)
	b, errB := flattenJSON(pc, keys)
	if errA != nil || errB != nil {
		if errA != nil && errB != nil {
			return nil // neither printed JSON: exit and messages tell why
		}
		return []divergence{{path: "json", dc: errText(errA, dc), pc: errText(errB, pc)}}
	}
	return compareStates(a, b)
}

func errText(err error, lines []string) string {
	if err == nil {
		return strings.Join(lines, "\n")
	}
	return "not JSON: " + err.Error()
}

func flattenJSON(lines []string, keys []string) (state, error) {
	var docs []any
	var whole any
	if err := json.Unmarshal([]byte(strings.Join(lines, "\n")), &whole); err == nil {
		docs = []any{whole}
	} else {
		for _, l := range lines {
			var v any
			if err := json.Unmarshal([]byte(l), &v); err != nil {
				return nil, err
			}
			docs = append(docs, v)
		}
	}
	out := state{}
	for i, d := range docs {
		flatten(out, fmt.Sprintf("json[%d]", i), d, keys, true)
	}
	return out, nil
}

func flatten(out state, p string, v any, keys []string, top bool) {
	switch x := v.(type) {
	case map[string]any:
		for _, k := range slices.Sorted(maps.Keys(x)) {
			if top && len(keys) > 0 && !slices.Contains(keys, k) {
				continue
			}
			flatten(out, p+"["+k+"]", x[k], keys, false)
		}
	case []any:
		if top { // an array document (ls --format json): its elements are the objects
			for i, e := range x {
				flatten(out, fmt.Sprintf("%s[%d]", p, i), e, keys, true)
			}
			return
		}
		for i, e := range x {
			flatten(out, fmt.Sprintf("%s[%d]", p, i), e, keys, false)
		}
		if len(x) == 0 {
			out[p] = "[]"
		}
	case string:
		if strings.HasSuffix(p, "][Labels]") {
			x = comparableLabels(x)
		}
		out[p] = x
	default:
		out[p] = fmt.Sprint(x)
	}
}

// comparableLabels sorts the pairs of a ps Labels string, which docker
// compose joins in Go's random map order, and drops what differs by
// construction: each tool's version and config hash (volatileLabels) and
// perry-compose's own io.perry.* labels. The user's and the image's labels
// stay.
func comparableLabels(s string) string {
	var keep []string
	for _, kv := range strings.Split(s, ",") {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "io.perry.") && !slices.Contains(volatileLabels, k) {
			keep = append(keep, kv)
		}
	}
	slices.Sort(keep)
	return strings.Join(keep, ",")
}
