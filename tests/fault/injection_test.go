package fault

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/api"
	"github.com/perryts/perry-container/backend/cli"
	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/compose/loader"
	"github.com/perryts/perry-container/core"
)

// Injection and escaping: values with shell metacharacters, a leading '-'
// and newlines are never interpreted by a shell (a canary file they would
// create on the host never appears), never taken as an option (a
// "--privileged" value leaves the container unprivileged), and reach the
// container literally (env, labels, cmd, entrypoint, workdir, as the
// container sees them). NUL is rejected before any runtime call.

// nasty values: each is checked literally where the container shows it.
func nasty(canary string) []string {
	return []string{
		"$(touch " + canary + ")",
		"`touch " + canary + "`",
		"a; touch " + canary + " #",
		"x | touch " + canary,
		"&& touch " + canary,
		"--privileged",
		"-rf",
		"-e",
		"line1\nline2\n-line3",
		`quote' "double" \back\slash`,
		"$HOME ${PATH} $$ *",
		"  leading and trailing  ",
		"名前 🙂 é",
		"%s%n%x",
		"=",
	}
}

type strategy struct {
	name string
	make func(t *testing.T) backend.Backend
}

var strategies = []strategy{
	{"api", func(t *testing.T) backend.Backend {
		b, err := api.New("unix://"+dockerSocket, "docker")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = b.Close() })
		return b
	}},
	{"cli", func(t *testing.T) backend.Backend { return cli.Docker("docker", "docker") }},
}

func canaryPath(t *testing.T) string {
	c := "/tmp/" + randomName("perry-injection-canary-")
	t.Cleanup(func() {
		if _, err := os.Stat(c); err == nil {
			t.Errorf("a value was run by a shell on the host: %s exists", c)
			_ = os.Remove(c)
		}
	})
	return c
}

func TestContainerSpecValuesReachTheContainerLiterally(t *testing.T) {
	real := realEngine(t)
	run := randomName("perryinj")
	t.Cleanup(func() { sweep(real, "perry.injection.run", run) })
	for _, s := range strategies {
		t.Run(s.name, func(t *testing.T) {
			b := s.make(t)
			canary := canaryPath(t)
			values := nasty(canary)
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()

			env := map[string]string{}
			labels := map[string]string{"perry.test": "1", "perry.injection.run": run}
			for i, v := range values {
				env[fmt.Sprintf("V%d", i)] = v
				labels[fmt.Sprintf("perry.v%d", i)] = v
				// The CLI's --label=k=v cannot carry '=' or whitespace in a
				// key: the cli backend refuses those as InvalidArgument
				// (checked below); the API carries any key.
				key := fmt.Sprintf("perry.k%d.%s", i, strings.ReplaceAll(v, "\n", "_"))
				if !strings.Contains(v, "=") && (s.name == "api" || !strings.ContainsAny(key, " \t")) {
					labels[key] = "key"
				}
			}
			workdir := "/tmp/dir with spaces;$(touch " + canary + ")/-rf"
			spec := &core.ContainerSpec{
				Image:      testImage,
				Name:       run + "-" + s.name + "-env",
				Entrypoint: []string{"sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait", "--privileged"},
				Env:        env,
				Labels:     labels,
				Workdir:    workdir,
				Hostname:   "h-" + s.name,
			}
			if s.name == "cli" {
				bad := *spec
				bad.Labels = map[string]string{"perry.test": "1", "perry.injection.run": run, "perry.k." + values[0]: "key"}
				if _, err := b.Run(ctx, &bad); core.KindOf(err) != core.KindInvalidArgument {
					t.Errorf("a label key with whitespace through the CLI: %v, want InvalidArgument", err)
				}
			}
			h, err := b.Run(ctx, spec)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			defer func() { _ = real.Remove(context.Background(), h.ID, true) }()

			out, err := b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"env"}})
			if err != nil {
				t.Fatalf("exec env: %v", err)
			}
			for i, v := range values {
				if !strings.Contains(out.Stdout, fmt.Sprintf("V%d=%s\n", i, v)) {
					t.Errorf("env V%d: %q not found literally in\n%s", i, v, out.Stdout)
				}
			}
			pwd, err := b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: []string{"pwd"}})
			if err != nil || pwd.Stdout != workdir+"\n" {
				t.Errorf("workdir: %q %v, want %q", pwd.Stdout, err, workdir)
			}
			// Exec's own values: argv, env and workdir.
			argv := append([]string{"printf", "[%s]\\n"}, values...)
			echo, err := b.Exec(ctx, h.ID, backend.ExecOptions{Cmd: argv, Env: map[string]string{"X": values[0]}, Workdir: "/"})
			if err != nil {
				t.Fatalf("exec printf: %v", err)
			}
			var want strings.Builder
			for _, v := range values {
				want.WriteString("[" + v + "]\n")
			}
			if echo.Stdout != want.String() {
				t.Errorf("exec argv not literal:\n got %q\nwant %q", echo.Stdout, want.String())
			}
			info, err := real.Inspect(ctx, h.ID)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range labels {
				if info.Labels[k] != v {
					t.Errorf("label %q = %q, want %q", k, info.Labels[k], v)
				}
			}
			priv := dockerOutput(t, "inspect", "--format", "{{.HostConfig.Privileged}}", h.ID)
			if strings.TrimSpace(priv) != "false" {
				t.Errorf("a --privileged value made the container privileged: %s", priv)
			}

			// cmd and entrypoint arguments reach the process literally.
			cmdSpec := &core.ContainerSpec{
				Image:      testImage,
				Name:       run + "-" + s.name + "-cmd",
				Entrypoint: []string{"printf", "[%s]\\n"},
				Cmd:        values,
				Labels:     map[string]string{"perry.test": "1", "perry.injection.run": run},
			}
			h2, err := b.Run(ctx, cmdSpec)
			if err != nil {
				t.Fatalf("run printf: %v", err)
			}
			defer func() { _ = real.Remove(context.Background(), h2.ID, true) }()
			if code, err := b.Wait(ctx, h2.ID); err != nil || code != 0 {
				t.Fatalf("wait: %d %v", code, err)
			}
			logs, err := b.Logs(ctx, h2.ID, backend.LogsOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if logs.Stdout != want.String() {
				t.Errorf("cmd not literal:\n got %q\nwant %q", logs.Stdout, want.String())
			}
		})
	}
}

// Every string field of ContainerSpec, set to each nasty value: the create
// either succeeds or fails with an error; no shell runs it on the host, and
// a value starting with '-' is never an option of the runtime. The fields
// that carry any text (command, environment, labels) must be created, so
// that the "not privileged" check does run.
func TestEveryContainerSpecStringField(t *testing.T) {
	real := realEngine(t)
	run := randomName("perryfld")
	t.Cleanup(func() { sweep(real, "perry.injection.run", run) })
	fields := stringFields(reflect.TypeOf(core.ContainerSpec{}))
	for _, s := range strategies {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			b := s.make(t)
			canary := canaryPath(t)
			vals := []string{"--privileged", "a\nb;$(touch " + canary + ")`touch " + canary + "`"}
			created, rejected := 0, 0
			literal := map[string]bool{"Cmd": true, "Env": true, "Labels": true}
			for fi, f := range fields {
				for vi, v := range vals {
					spec := &core.ContainerSpec{Image: testImage, Cmd: []string{"true"},
						Labels: map[string]string{"perry.test": "1", "perry.injection.run": run}}
					setString(reflect.ValueOf(spec).Elem(), f, v)
					if f[0] == "Image" || f[0] == "Name" {
						// Name is validated; an image that is no reference is the runtime's
						// error (the CLI gets it after "--", never as an option).
						_, err := b.Create(context.Background(), spec)
						if err == nil || (f[0] == "Name" && core.KindOf(err) != core.KindInvalidArgument) || core.KindOf(err) == core.KindInternal {
							t.Errorf("%s=%q: %v, want an error (InvalidArgument for a name)", strings.Join(f, "."), v, err)
						}
						rejected++
						continue
					}
					spec.Name = fmt.Sprintf("%s-%s-%d-%d", run, s.name, fi, vi)
					ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
					h, err := b.Create(ctx, spec)
					cancel()
					if err != nil {
						if literal[f[0]] {
							t.Errorf("%s=%q: %v, want it created: the field carries any text", strings.Join(f, "."), v, err)
						} else if core.KindOf(err) == core.KindInternal {
							t.Errorf("%s=%q: Internal: %v", strings.Join(f, "."), v, err)
						}
						rejected++
						continue
					}
					created++
					priv := dockerOutput(t, "inspect", "--format", "{{.HostConfig.Privileged}}", h.ID)
					if strings.TrimSpace(priv) != "false" {
						t.Errorf("%s=%q made the container privileged", strings.Join(f, "."), v)
					}
					_ = real.Remove(context.Background(), h.ID, true)
				}
			}
			t.Logf("%d string fields x %d values: %d created, %d rejected by validation or the runtime", len(fields), len(vals), created, rejected)
			if created < len(literal)*len(vals) {
				t.Errorf("only %d creates were accepted: the \"not privileged\" check ran on too few containers", created)
			}
		})
	}
}

// NUL in any string field is InvalidArgument, before any runtime call.
func TestNULIsRejected(t *testing.T) {
	realEngine(t)
	fields := stringFields(reflect.TypeOf(core.ContainerSpec{}))
	for _, s := range strategies {
		b := s.make(t)
		for _, f := range fields {
			spec := &core.ContainerSpec{Image: testImage, Labels: map[string]string{"perry.test": "1"}}
			setString(reflect.ValueOf(spec).Elem(), f, "a\x00b")
			if f[0] == "Image" {
				spec.Image = "busybox\x00"
			}
			if spec.Healthcheck != nil && len(spec.Healthcheck.Test) == 0 {
				spec.Healthcheck.Test = []string{"CMD", "true"}
			}
			_, err := b.Create(context.Background(), spec)
			if core.KindOf(err) != core.KindInvalidArgument || (f[0] != "Name" && !strings.Contains(err.Error(), "NUL")) {
				t.Errorf("%s: NUL in %s: %v, want InvalidArgument", s.name, strings.Join(f, "."), err)
			}
		}
		// Exec arguments, env and workdir too.
		for _, o := range []backend.ExecOptions{{Cmd: []string{"a\x00"}}, {Cmd: []string{"true"}, Env: map[string]string{"A": "\x00"}}, {Cmd: []string{"true"}, Workdir: "/\x00"}} {
			_, err := b.Exec(context.Background(), "perry-missing", o)
			if err == nil || core.KindOf(err) == core.KindInternal {
				t.Errorf("%s: exec %+v: %v", s.name, o, err)
			}
		}
	}
	// The JSON way in: a \u0000 escape.
	if _, err := core.DecodeContainerSpec("spec", []byte(`{"image":"x","env":{"A":"\u0000"}}`)); core.KindOf(err) != core.KindInvalidArgument {
		t.Errorf("decode: %v", err)
	}
}

// Compose services: the same values in environment, labels, command,
// entrypoint and working_dir reach the container literally through the
// engine on both strategies; NUL is rejected by the loader.
func TestComposeServiceValuesReachTheContainerLiterally(t *testing.T) {
	real := realEngine(t)
	run := randomName("perrycinj")
	for _, s := range strategies {
		t.Run(s.name, func(t *testing.T) {
			b := s.make(t)
			canary := canaryPath(t)
			values := nasty(canary)
			project := run + "-" + s.name
			defer sweep(real, labelProject, project)
			env := map[string]string{}
			labels := map[string]string{"perry.test": "1"}
			for i, v := range values {
				env[fmt.Sprintf("V%d", i)] = v
				labels[fmt.Sprintf("perry.v%d", i)] = v
			}
			workdir := "/tmp/dir with spaces;$(touch " + canary + ")/-rf"
			model := map[string]any{
				"name": project,
				"services": map[string]any{
					"svc": map[string]any{
						"image": testImage, "environment": env, "labels": labels, "working_dir": workdir,
						"entrypoint": []string{"sh", "-c", "trap 'exit 0' TERM; sleep 1000 & wait", "--privileged"},
					},
					"job": map[string]any{
						"image": testImage, "entrypoint": []string{"printf", "[%s]\\n"}, "command": values,
						"labels": map[string]string{"perry.test": "1"},
					},
				},
			}
			js, _ := json.Marshal(model)
			p, err := loader.Load(context.Background(), loader.Options{Inline: js, Environment: map[string]string{}, WorkingDir: t.TempDir()})
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			e := engine.New(b, p, engine.WithLabels(map[string]string{"perry.test": "1"}))
			ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
			defer cancel()
			if err := e.Up(ctx, engine.UpOptions{}); err != nil {
				t.Fatalf("up: %v", err)
			}
			defer func() { _ = e.Down(context.Background(), engine.DownOptions{Volumes: true}) }()
			out, err := e.Exec(ctx, "svc", engine.ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"env"}}})
			if err != nil {
				t.Fatal(err)
			}
			for i, v := range values {
				if !strings.Contains(out.Stdout, fmt.Sprintf("V%d=%s\n", i, v)) {
					t.Errorf("environment V%d: %q not literal in\n%s", i, v, out.Stdout)
				}
			}
			pwd, err := e.Exec(ctx, "svc", engine.ExecOptions{ExecOptions: backend.ExecOptions{Cmd: []string{"pwd"}}})
			if err != nil || pwd.Stdout != workdir+"\n" {
				t.Errorf("working_dir: %q %v", pwd.Stdout, err)
			}
			cs, err := e.Ps(ctx, engine.PsOptions{All: true})
			if err != nil {
				t.Fatal(err)
			}
			var want strings.Builder
			for _, v := range values {
				want.WriteString("[" + v + "]\n")
			}
			for _, c := range cs {
				if c.Service == "svc" {
					for k, v := range labels {
						if c.Labels[k] != v {
							t.Errorf("label %s = %q, want %q", k, c.Labels[k], v)
						}
					}
					priv := dockerOutput(t, "inspect", "--format", "{{.HostConfig.Privileged}}", c.ID)
					if strings.TrimSpace(priv) != "false" {
						t.Errorf("a --privileged value made the service privileged")
					}
				}
				if c.Service == "job" {
					if _, err := real.Wait(ctx, c.ID); err != nil {
						t.Fatal(err)
					}
					logs, err := real.Logs(ctx, c.ID, backend.LogsOptions{})
					if err != nil || logs.Stdout != want.String() {
						t.Errorf("command not literal: %q %v\nwant %q", logs.Stdout, err, want.String())
					}
				}
			}
		})
	}
	// NUL in a service value: the loader rejects the model.
	for _, svc := range []string{`{"image":"x","environment":{"A":"\u0000"}}`, `{"image":"x","command":["\u0000"]}`, `{"image":"x","labels":{"a":"\u0000"}}`, `{"image":"x","working_dir":"/\u0000"}`} {
		_, err := loader.Load(context.Background(), loader.Options{Inline: []byte(`{"services":{"a":` + svc + `}}`), Environment: map[string]string{}})
		if e := core.AsError(err); err == nil || e.Code() != 400 || !strings.Contains(err.Error(), "NUL") {
			t.Errorf("compose %s: %v, want a 400 naming NUL", svc, err)
		}
	}
}

// stringFields lists the paths of ContainerSpec's string fields and of the
// string elements of its slices and maps (as a field name with a marker).
func stringFields(t reflect.Type) [][]string {
	var out [][]string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.Name == "Verify" {
			continue // resolved before any backend (Validate rejects it)
		}
		ft := f.Type
		switch {
		case ft.Kind() == reflect.String:
			out = append(out, []string{f.Name})
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.String:
			out = append(out, []string{f.Name, "[]"})
		case ft.Kind() == reflect.Map && ft.Elem().Kind() == reflect.String:
			out = append(out, []string{f.Name, "{}"})
		case ft.Kind() == reflect.Pointer && ft.Elem().Kind() == reflect.Struct:
			for j := 0; j < ft.Elem().NumField(); j++ {
				sf := ft.Elem().Field(j)
				if sf.Type.Kind() == reflect.String || (sf.Type.Kind() == reflect.Slice && sf.Type.Elem().Kind() == reflect.String) {
					out = append(out, []string{f.Name, sf.Name})
				}
			}
		case ft.Kind() == reflect.Slice && ft.Elem().Kind() == reflect.Struct:
			for j := 0; j < ft.Elem().NumField(); j++ {
				sf := ft.Elem().Field(j)
				if sf.Type.Kind() == reflect.String {
					out = append(out, []string{f.Name, "[]", sf.Name})
				}
			}
		}
	}
	return out
}

// setString sets the value at path (see stringFields) to v.
func setString(spec reflect.Value, path []string, v string) {
	f := spec.FieldByName(path[0])
	switch {
	case len(path) == 1:
		f.SetString(v)
	case path[1] == "[]" && len(path) == 2:
		f.Set(reflect.ValueOf([]string{v}))
	case path[1] == "{}":
		m := reflect.MakeMap(f.Type())
		m.SetMapIndex(reflect.ValueOf("k"), reflect.ValueOf(v))
		if f.Len() > 0 { // keep what is there (labels)
			for _, k := range f.MapKeys() {
				m.SetMapIndex(k, f.MapIndex(k))
			}
		}
		f.Set(m)
	case path[1] == "[]":
		s := reflect.MakeSlice(f.Type(), 1, 1)
		s.Index(0).FieldByName(path[2]).SetString(v)
		f.Set(s)
	default: // a pointer to a struct
		p := reflect.New(f.Type().Elem())
		sf := p.Elem().FieldByName(path[1])
		if sf.Kind() == reflect.String {
			sf.SetString(v)
		} else {
			sf.Set(reflect.ValueOf([]string{"CMD", v}))
		}
		f.Set(p)
	}
}
