package loader

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/compose-spec/compose-go/v2/types"
	"pgregory.net/rapid"

	"github.com/perryts/perry-container/core"
)

// text draws short strings with the characters that stress escaping: '$',
// braces, quotes, backslashes, colons, YAML indicators, non-ASCII letters.
var text = rapid.StringOfN(rapid.RuneFrom([]rune(`$${}:"'\#-&*!|>%@ é日`), unicode.Letter, unicode.Digit), 0, 12, -1)

// genProject draws a random, valid project: services with images, commands,
// environment, labels, restart policies, users, working dirs, hostnames,
// ports, bind/tmpfs/anonymous volumes and depends_on on earlier services
// (so it is acyclic), each field in the form compose-go loads it back to.
func genProject(t *rapid.T) *types.Project {
	n := rapid.IntRange(1, 6).Draw(t, "services")
	names := rapid.SliceOfNDistinct(rapid.StringMatching(`[a-z][a-z0-9_-]{0,7}`), n, n, func(s string) string { return s }).Draw(t, "names")
	p := &types.Project{Name: "prop", Services: types.Services{}}
	for i, name := range names {
		s := types.ServiceConfig{Name: name}
		s.Image = rapid.StringMatching(`[a-z][a-z0-9]{0,8}(:[a-z0-9]{1,5})?`).Draw(t, "image")
		if cmd := rapid.SliceOfN(text, 0, 3).Draw(t, "command"); len(cmd) > 0 {
			s.Command = cmd
		}
		if env := rapid.MapOfN(rapid.StringMatching(`[A-Z_][A-Z0-9_]{0,6}`), text, 0, 4).Draw(t, "env"); len(env) > 0 {
			s.Environment = types.MappingWithEquals{}
			for k, v := range env {
				s.Environment[k] = &v
			}
		}
		if labels := rapid.MapOfN(rapid.StringMatching(`[a-z][a-z0-9.]{0,8}`), text, 0, 3).Draw(t, "labels"); len(labels) > 0 {
			s.Labels = labels
		}
		s.Restart = rapid.SampledFrom([]string{"", "no", "always", "on-failure", "unless-stopped"}).Draw(t, "restart")
		s.User = rapid.StringMatching(`([a-z]{1,6}|[0-9]{1,4}(:[0-9]{1,4})?)?`).Draw(t, "user")
		s.WorkingDir = rapid.StringMatching(`(/[a-z]{1,6}){0,3}`).Draw(t, "workdir")
		s.Hostname = rapid.StringMatching(`([a-z][a-z0-9-]{0,8})?`).Draw(t, "hostname")
		for j, target := range rapid.SliceOfNDistinct(rapid.IntRange(1, 65535), 0, 3, func(i int) int { return i }).Draw(t, "ports") {
			port := types.ServicePortConfig{Mode: "ingress", Target: uint32(target), Protocol: rapid.SampledFrom([]string{"tcp", "udp"}).Draw(t, "proto")}
			if rapid.Bool().Draw(t, "published") {
				port.Published = strconv.Itoa(10000 + 10*i + j)
			}
			s.Ports = append(s.Ports, port)
		}
		for j, typ := range rapid.SliceOfN(rapid.SampledFrom([]string{"bind", "tmpfs", "volume"}), 0, 3).Draw(t, "volumes") {
			v := types.ServiceVolumeConfig{Type: typ, Target: fmt.Sprintf("/mnt/v%d", j), ReadOnly: typ != "tmpfs" && rapid.Bool().Draw(t, "ro")}
			if typ == "bind" {
				v.Source = "/srv/" + rapid.StringMatching(`[a-z]{1,6}`).Draw(t, "src")
			}
			s.Volumes = append(s.Volumes, v)
		}
		if i > 0 {
			for _, dep := range rapid.SliceOfNDistinct(rapid.SampledFrom(names[:i]), 0, 2, func(s string) string { return s }).Draw(t, "deps") {
				if s.DependsOn == nil {
					s.DependsOn = types.DependsOnConfig{}
				}
				s.DependsOn[dep] = types.ServiceDependency{
					Condition: rapid.SampledFrom(Conditions).Draw(t, "condition"),
					Restart:   rapid.Bool().Draw(t, "restart"),
					Required:  true,
				}
			}
		}
		p.Services[name] = s
	}
	return p
}

// sameAsGenerated checks that every field genProject sets came back.
func sameAsGenerated(t *rapid.T, want *types.Project, got *types.Project) {
	if !reflect.DeepEqual(got.ServiceNames(), want.ServiceNames()) {
		t.Fatalf("services = %v, want %v", got.ServiceNames(), want.ServiceNames())
	}
	for name, w := range want.Services {
		g := got.Services[name]
		type view struct {
			Image, Restart, User, WorkingDir, Hostname string
			Command                                    types.ShellCommand
			Environment                                types.MappingWithEquals
			Labels                                     types.Labels
			Ports                                      []types.ServicePortConfig
			DependsOn                                  types.DependsOnConfig
			Volumes                                    []string
		}
		vols := func(vs []types.ServiceVolumeConfig) []string {
			var out []string
			for _, v := range vs {
				out = append(out, fmt.Sprintf("%s|%s|%s|%t", v.Type, v.Source, v.Target, v.ReadOnly))
			}
			return out
		}
		gv := view{g.Image, g.Restart, g.User, g.WorkingDir, g.Hostname, g.Command, g.Environment, g.Labels, g.Ports, g.DependsOn, vols(g.Volumes)}
		wv := view{w.Image, w.Restart, w.User, w.WorkingDir, w.Hostname, w.Command, w.Environment, w.Labels, w.Ports, w.DependsOn, vols(w.Volumes)}
		// Empty and absent are the same model: compose-go may give either.
		for _, v := range []*view{&gv, &wv} {
			if len(v.Command) == 0 {
				v.Command = nil
			}
			if len(v.Environment) == 0 {
				v.Environment = nil
			}
			if len(v.Labels) == 0 {
				v.Labels = nil
			}
			if len(v.Ports) == 0 {
				v.Ports = nil
			}
			if len(v.DependsOn) == 0 {
				v.DependsOn = nil
			}
		}
		if !reflect.DeepEqual(gv, wv) {
			t.Fatalf("service %s:\n got %+v\nwant %+v", name, gv, wv)
		}
	}
}

func loadInlineT(t *rapid.T, opts Options) *types.Project {
	if opts.Environment == nil {
		opts.Environment = map[string]string{}
	}
	opts.WorkingDir = os.TempDir()
	p, err := Load(t.Context(), opts)
	if err != nil {
		t.Fatalf("Load: %v\n%s", err, opts.Inline)
	}
	return p
}

// Feature: perry-container, Property 5: ComposeSpec JSON round trip
func TestPropertyJSONRoundTrip(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		gen := genProject(t)
		data, err := gen.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		// Not interpolated: the '$' in values are model text (docs/design.md, Compose loading).
		loaded := loadInlineT(t, Options{Inline: data})
		sameAsGenerated(t, gen, loaded)

		// And the loaded (normalized) project survives a second trip whole.
		again, err := loaded.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		reloaded := loadInlineT(t, Options{Inline: again})
		if !reflect.DeepEqual(reloaded.Services, loaded.Services) {
			t.Fatalf("second round trip changed services:\n%s\nvs\n%s", again, data)
		}
	})
}

// Feature: perry-container, Property 6: YAML round trip (parse → serialize → parse is equal)
func TestPropertyYAMLRoundTrip(t *testing.T) {
	dir := t.TempDir()
	rapid.Check(t, func(t *rapid.T) {
		gen := genProject(t)
		// A compose file as a user would write it: '$' escaped as "$$", since
		// files are interpolated.
		yml, err := gen.MarshalYAML()
		if err != nil {
			t.Fatal(err)
		}
		yml = []byte(strings.ReplaceAll(string(yml), "$", "$$"))
		first := loadYAML(t, dir, "first.yaml", yml)
		sameAsGenerated(t, gen, first)

		// Serialize with Config (docker compose's output) and parse again.
		out, err := Config(first, ConfigOptions{})
		if err != nil {
			t.Fatal(err)
		}
		second := loadYAML(t, dir, "second.yaml", out)
		if !reflect.DeepEqual(second.Services, first.Services) {
			t.Fatalf("YAML round trip changed services; config output:\n%s", out)
		}
	})
}

func loadYAML(t *rapid.T, dir, name string, content []byte) *types.Project {
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	p, err := Load(t.Context(), Options{Files: []string{path}, ProjectName: "prop", Environment: map[string]string{}})
	if err != nil {
		t.Fatalf("Load: %v\n%s", err, content)
	}
	return p
}

var serviceName = rapid.StringMatching(`[a-z][a-z0-9_-]{0,7}`)

// anyCondition draws a valid condition half of the time, else any string.
var anyCondition = rapid.OneOf(rapid.SampledFrom(Conditions), rapid.String(), text)

// Feature: perry-container, Property 12: depends_on condition validation
func TestPropertyConditionValidation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		svc := serviceName.Draw(t, "service")
		dep := serviceName.Filter(func(s string) bool { return s != svc }).Draw(t, "dep")
		cond := anyCondition.Draw(t, "condition")
		valid := slices.Contains(Conditions, cond)

		err := ValidateCondition(svc, dep, cond)
		checkValueError(t, err, valid, svc, cond)

		// The loader gives the same verdict and message for a model.
		model, _ := json.Marshal(map[string]any{"name": "p12", "services": map[string]any{
			svc: map[string]any{"image": "x", "depends_on": map[string]any{dep: map[string]any{"condition": cond}}},
			dep: map[string]any{"image": "x"},
		}})
		_, err = Load(t.Context(), Options{Inline: model, Environment: map[string]string{}, WorkingDir: os.TempDir()})
		checkValueError(t, err, valid, svc, cond)
	})
}

// anyVolumeType draws a valid type half of the time, else any string.
var anyVolumeType = rapid.OneOf(rapid.SampledFrom(VolumeTypes), rapid.String(), text)

// Feature: perry-container, Property 13: volume type validation
func TestPropertyVolumeTypeValidation(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		svc := serviceName.Draw(t, "service")
		typ := anyVolumeType.Draw(t, "type")
		checkValueError(t, ValidateVolumeType(svc, typ), slices.Contains(VolumeTypes, typ), svc, typ)

		// Through the loader, for the types that need no other context
		// (a named volume, cluster, npipe or image mount each need more).
		if slices.Contains(VolumeTypes, typ) && typ != "bind" && typ != "tmpfs" {
			return
		}
		model, _ := json.Marshal(map[string]any{"name": "p13", "services": map[string]any{
			svc: map[string]any{"image": "x", "volumes": []any{map[string]any{"type": typ, "source": "/srv", "target": "/data"}}},
		}})
		if typ == "tmpfs" {
			model, _ = json.Marshal(map[string]any{"name": "p13", "services": map[string]any{
				svc: map[string]any{"image": "x", "volumes": []any{map[string]any{"type": typ, "target": "/data"}}},
			}})
		}
		_, err := Load(t.Context(), Options{Inline: model, Environment: map[string]string{}, WorkingDir: os.TempDir()})
		checkValueError(t, err, slices.Contains(VolumeTypes, typ), svc, typ)
	})
}

// checkValueError: valid values pass; others are InvalidConfig errors
// naming the service and quoting the value.
func checkValueError(t *rapid.T, err error, valid bool, service, value string) {
	if valid {
		if err != nil {
			t.Fatalf("valid %q rejected: %v", value, err)
		}
		return
	}
	if core.KindOf(err) != core.KindInvalidConfig {
		t.Fatalf("%q: err = %v, want InvalidConfig", value, err)
	}
	msg := err.Error()
	if !strings.Contains(msg, strconv.Quote(service)) || !strings.Contains(msg, strconv.Quote(value)) {
		t.Fatalf("message %q does not name service %q and value %q", msg, service, value)
	}
}
