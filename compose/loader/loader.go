// Package loader loads compose projects the way `docker compose` does, on top
// of compose-go (docs/design.md, Compose loading), and adds the checks and
// messages users need beyond it (errors that name the service and the value).
//
// The load pipeline, in order:
//
//  1. Environment: Options.Environment is the whole environment (nil means
//     the process environment). Nothing else is read from the process.
//  2. Compose files: Options.Files (-f), else COMPOSE_FILE, else discovery
//     from the working directory up through its parents. A missing -f file
//     is reported before anything else is looked at.
//  3. Project name: -p is validated first, so a bad name fails before any
//     file is parsed.
//  4. .env: COMPOSE_* variables of the .env next to where compose starts
//     (so a .env may set COMPOSE_FILE or COMPOSE_PROFILES, as in docker
//     compose), then the project directory's .env, or the --env-file files,
//     unless COMPOSE_DISABLE_ENV_FILE. Variables already in the environment
//     win over the files.
//  5. compose-go (cli.ProjectOptions): parse, interpolation, include,
//     extends, merge of the files in order (!reset/!override), schema
//     validation, normalization, profiles, consistency checks, env_file.
//  6. Our checks: depends_on conditions, volume types and depends_on targets,
//     with messages naming the service and the value. When compose-go fails
//     first, the model is re-read without its validation so that these
//     checks can replace its generic schema message.
//
// Inline JSON models (the host's path) skip steps 2 and 4 and, unless asked,
// interpolation: the host already had its environment.
//
// Every error is a *core.Error: NotFound for a missing file, DependencyCycle
// for a depends_on cycle, InvalidConfig for everything else (cancellation
// keeps its own kind).
package loader

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/consts"
	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/errdefs"
	composeloader "github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/template"
	"github.com/compose-spec/compose-go/v2/types"
	"github.com/compose-spec/compose-go/v2/utils"

	"github.com/perryts/perry-container/core"
)

// Environment variables docker compose reads, beyond compose-go's consts.
const (
	envDisableEnvFile = "COMPOSE_DISABLE_ENV_FILE"
	envEnvFiles       = "COMPOSE_ENV_FILES" // comma-separated, like repeated --env-file
)

// InlineFilename stands for the file name of an inline model in errors and
// in compose-go's bookkeeping (an inline model has no file).
const InlineFilename = "inline compose model"

// Options select what Load loads. The zero value loads the compose file found
// from the current directory with the process environment, like
// `docker compose config`.
type Options struct {
	// Files are the compose files (-f, repeatable), merged in order. Relative
	// paths are relative to WorkingDir. "-" reads standard input.
	Files []string
	// ProjectDirectory (--project-directory) is where relative paths in the
	// model and the default .env are resolved; "" means the directory of the
	// first compose file. Relative to WorkingDir.
	ProjectDirectory string
	// ProjectName (-p) is validated, never normalized: an invalid name is an
	// error saying why.
	ProjectName string
	// EnvFiles (--env-file, repeatable) replace the default .env. Relative to
	// WorkingDir. Each must exist.
	EnvFiles []string
	// Profiles (--profile) to enable; empty means COMPOSE_PROFILES.
	Profiles []string
	// Environment is the whole environment used for interpolation, name and
	// file selection (COMPOSE_*) and for `environment: [VAR]` entries. nil
	// means os.Environ(); a non-nil map is used alone, so a caller can load
	// hermetically.
	Environment map[string]string
	// WorkingDir stands for the current directory: relative -f, --env-file
	// and COMPOSE_FILE paths are resolved from it and discovery starts there
	// (or in ProjectDirectory when WorkingDir is ""). "" means os.Getwd.
	WorkingDir string

	// Inline, when non-empty, is a compose model as one JSON object (the
	// host's path). Files, COMPOSE_FILE, discovery and the default .env are
	// then not used; relative paths resolve from ProjectDirectory, else
	// WorkingDir, else the current directory.
	Inline []byte
	// Interpolate applies ${VAR} substitution (and $$ escapes) to an inline
	// model. Off by default (docs/design.md, Compose loading).
	Interpolate bool
	// NoInterpolate loads compose files as written, without ${VAR}
	// substitution ("$$" stays "$$"), as `docker compose config
	// --no-interpolate` does. Files are interpolated otherwise; an inline
	// model follows Interpolate alone.
	NoInterpolate bool

	// SkipValidation skips compose-go's JSON-schema validation. Consistency
	// checks and our own condition/volume-type checks still run: the engine
	// depends on them.
	SkipValidation bool
}

// Load loads, merges, validates and normalizes a compose project. See the
// package documentation for the steps.
func Load(ctx context.Context, opts Options) (p *types.Project, err error) {
	defer recoverModelPanic(&p, &err)
	if ctx == nil {
		ctx = context.Background()
	}
	env := environment(opts.Environment)
	cwd, err := absDir(opts.WorkingDir, "")
	if err != nil {
		return nil, core.Errorf(core.KindInvalidConfig, "working directory: %w", err)
	}
	if len(bytes.TrimSpace(opts.Inline)) > 0 {
		return loadInline(ctx, opts, env, cwd)
	}
	return loadFiles(ctx, opts, env, cwd)
}

// environment copies the caller's environment (Load must not write into it)
// or reads the process's.
func environment(given map[string]string) types.Mapping {
	if given == nil {
		return utils.GetAsEqualsMap(os.Environ())
	}
	return maps.Clone(given)
}

// absDir resolves dir against base ("" base = process cwd); "" dir = base.
func absDir(dir, base string) (string, error) {
	if base == "" {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		base = wd
	}
	if dir == "" {
		return base, nil
	}
	if filepath.IsAbs(dir) {
		return filepath.Clean(dir), nil
	}
	return filepath.Join(base, dir), nil
}

func loadFiles(ctx context.Context, opts Options, env types.Mapping, cwd string) (*types.Project, error) {
	files, projectDir, err := prepareFiles(opts, env, cwd)
	if err != nil {
		return nil, err
	}
	// 5. compose-go.
	p, err := loadWithCompose(ctx, opts, env, files, projectDir, false)
	if err != nil {
		return nil, explain(err, files, func() (*types.Project, error) {
			return loadWithCompose(ctx, opts, env, files, projectDir, true)
		})
	}
	// 6. Our checks.
	if err := validateProject(p); err != nil {
		return nil, withFiles(err, files)
	}
	labelEnvFiles(p, opts, env, cwd)
	return p, nil
}

// LoadModel loads the compose files as Load does (steps 1 to 5 of the
// package documentation), always without interpolation (whatever
// Options.NoInterpolate says), and stops at compose-go's merged, normalized
// model, before it becomes a project: every service whatever its profile,
// env_file and unused resources kept. It is what `docker compose config
// --no-interpolate` prints. Our checks do not run on it. An inline model is
// refused: it is its own model.
func LoadModel(ctx context.Context, opts Options) (m map[string]any, err error) {
	defer recoverModelPanic(nil, &err)
	if ctx == nil {
		ctx = context.Background()
	}
	if len(bytes.TrimSpace(opts.Inline)) > 0 {
		return nil, core.InvalidArgument("inline", "LoadModel reads compose files; an inline model is already a model")
	}
	// compose-go's model load does not pass the environment on (as docker
	// compose uses it, only without interpolation): an interpolated model
	// would take every variable's default.
	opts.NoInterpolate = true
	env := environment(opts.Environment)
	cwd, err := absDir(opts.WorkingDir, "")
	if err != nil {
		return nil, core.Errorf(core.KindInvalidConfig, "working directory: %w", err)
	}
	files, projectDir, err := prepareFiles(opts, env, cwd)
	if err != nil {
		return nil, err
	}
	po, err := composeOptions(opts, env, files, projectDir, false)
	if err == nil {
		m, err = po.LoadModel(ctx)
	}
	if err != nil {
		return nil, explain(err, files, func() (*types.Project, error) {
			return loadWithCompose(ctx, opts, env, files, projectDir, true)
		})
	}
	return m, nil
}

// prepareFiles runs steps 2 to 4 of the package documentation: it returns
// the compose files and the project directory, and merges the .env
// variables into env.
func prepareFiles(opts Options, env types.Mapping, cwd string) (files []string, projectDir string, err error) {
	// 2a. An explicit -f file that does not exist is the first thing to
	// report: every later step depends on it.
	explicit, err := explicitFiles(opts.Files, cwd)
	if err != nil {
		return nil, "", err
	}
	// 3. An explicit -p is validated before any file is read.
	if opts.ProjectName != "" {
		if err := ValidateProjectName(opts.ProjectName); err != nil {
			return nil, "", err
		}
	}

	// 4a. COMPOSE_* from the .env where compose starts: it may select the
	// files, the profiles or the name.
	if opts.ProjectDirectory != "" {
		projectDir = mustAbs(opts.ProjectDirectory, cwd)
	}
	startDir := projectDir
	if startDir == "" && len(explicit) > 0 && explicit[0] != "-" {
		startDir = filepath.Dir(explicit[0])
	}
	if startDir == "" {
		startDir = cwd
	}
	startEnvFiles, err := envFiles(opts.EnvFiles, env, startDir, cwd)
	if err != nil {
		return nil, "", err
	}
	startEnv, err := readEnvFiles(startEnvFiles, env)
	if err != nil {
		return nil, "", err
	}
	for k, v := range startEnv {
		if _, set := env[k]; !set && strings.HasPrefix(k, "COMPOSE_") {
			env[k] = v
		}
	}

	// 2b. The files: -f, else COMPOSE_FILE, else discovery.
	files = explicit
	if len(files) == 0 {
		if files, err = composeFileEnv(env, cwd); err != nil {
			return nil, "", err
		}
	}
	if len(files) == 0 {
		from := cwd
		if opts.WorkingDir == "" && projectDir != "" {
			from = projectDir // docker compose discovers from --project-directory
		}
		if files, err = discover(from); err != nil {
			return nil, "", err
		}
	}
	if projectDir == "" {
		projectDir = cwd
		if files[0] != "-" {
			projectDir = filepath.Dir(files[0])
		}
	}

	// 4b. The project's .env (or --env-file): all of its variables.
	dotEnv := startEnv
	if projEnvFiles, err := envFiles(opts.EnvFiles, env, projectDir, cwd); err != nil {
		return nil, "", err
	} else if !sameStrings(projEnvFiles, startEnvFiles) {
		if dotEnv, err = readEnvFiles(projEnvFiles, env); err != nil {
			return nil, "", err
		}
	}
	env.Merge(dotEnv)

	// 3b. A COMPOSE_PROJECT_NAME (from the environment or a .env) is
	// explicit too: validate it with a message that says where it came from.
	if opts.ProjectName == "" {
		if name := env[consts.ComposeProjectName]; name != "" {
			if err := ValidateProjectName(name); err != nil {
				return nil, "", annotate(err, "set by COMPOSE_PROJECT_NAME")
			}
		}
	}

	return files, projectDir, nil
}

// loadWithCompose runs compose-go's CLI loader. lenient turns off every
// compose-go check, to re-read a model compose-go rejected (see explain).
func loadWithCompose(ctx context.Context, opts Options, env types.Mapping, files []string, projectDir string, lenient bool) (*types.Project, error) {
	po, err := composeOptions(opts, env, files, projectDir, lenient)
	if err != nil {
		return nil, err
	}
	return po.LoadProject(ctx)
}

// composeOptions are compose-go's CLI loader options for opts.
func composeOptions(opts Options, env types.Mapping, files []string, projectDir string, lenient bool) (*cli.ProjectOptions, error) {
	return cli.NewProjectOptions(files,
		cli.WithWorkingDirectory(projectDir),
		cli.WithName(opts.ProjectName),
		func(o *cli.ProjectOptions) error {
			o.Environment = env // .env already merged in: cli.WithDotEnv is not needed
			return nil
		},
		cli.WithDefaultProfiles(opts.Profiles...),
		cli.WithInterpolation(!opts.NoInterpolate),
		cli.WithLoadOptions(func(o *composeloader.Options) {
			o.SkipValidation = opts.SkipValidation || lenient
			if lenient {
				o.SkipConsistencyCheck = true
				o.SkipResolveEnvironment = true
				o.SkipResolveLabels = true
			}
		}),
	)
}

// explicitFiles resolves -f paths and reports the first missing one.
func explicitFiles(files []string, cwd string) ([]string, error) {
	out := make([]string, 0, len(files))
	for _, f := range files {
		if f == "-" {
			out = append(out, f)
			continue
		}
		abs := mustAbs(f, cwd)
		if err := checkFile(abs); err != nil {
			return nil, fileError("compose file", f, abs, "", err)
		}
		out = append(out, abs)
	}
	return out, nil
}

// composeFileEnv reads COMPOSE_FILE, split on COMPOSE_PATH_SEPARATOR (the OS
// list separator by default, ':' on Unix). Empty entries are skipped.
func composeFileEnv(env types.Mapping, cwd string) ([]string, error) {
	value, ok := env[consts.ComposeFilePath]
	if !ok || value == "" {
		return nil, nil
	}
	sep := env[consts.ComposePathSeparator]
	if sep == "" {
		sep = string(os.PathListSeparator)
	}
	var files []string
	for _, f := range strings.Split(value, sep) {
		if f == "" {
			continue
		}
		abs := mustAbs(f, cwd)
		if err := checkFile(abs); err != nil {
			return nil, fileError("compose file", f, abs, "set by COMPOSE_FILE", err)
		}
		files = append(files, abs)
	}
	return files, nil
}

// discover finds the compose file in dir or the nearest parent that has one,
// in docker compose's order of preference (compose-go's DefaultFileNames),
// plus that directory's override file if any.
func discover(dir string) ([]string, error) {
	for d := dir; ; {
		if f := firstFile(d, cli.DefaultFileNames); f != "" {
			files := []string{f}
			if o := firstFile(d, cli.DefaultOverrideFileNames); o != "" {
				files = append(files, o)
			}
			return files, nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			break
		}
		d = parent
	}
	return nil, (&core.Error{
		Kind: core.KindNotFound,
		Message: fmt.Sprintf("no compose file found in %s or its parents (looked for %s)",
			dir, strings.Join(cli.DefaultFileNames, ", ")),
	}).With("id", dir)
}

func firstFile(dir string, names []string) string {
	for _, n := range names {
		f := filepath.Join(dir, n)
		if fi, err := os.Stat(f); err == nil && !fi.IsDir() {
			return f
		}
	}
	return ""
}

// envFiles lists the env files to read: --env-file, else COMPOSE_ENV_FILES,
// else dir/.env when it exists and COMPOSE_DISABLE_ENV_FILE is not true.
// Explicit files must exist.
func envFiles(explicit []string, env types.Mapping, dir, cwd string) ([]string, error) {
	if given := givenEnvFiles(explicit, env); len(given) > 0 {
		out := make([]string, 0, len(given))
		for _, f := range given {
			abs := mustAbs(f, cwd)
			if err := checkFile(abs); err != nil {
				return nil, fileError("env file", f, abs, "", err)
			}
			out = append(out, abs)
		}
		return out, nil
	}
	if v, ok := env[envDisableEnvFile]; ok && v != "" {
		disabled, err := strconv.ParseBool(v)
		if err != nil {
			return nil, core.Errorf(core.KindInvalidConfig, "%s=%q is not a boolean", envDisableEnvFile, v).
				With("variable", envDisableEnvFile).With("value", v)
		}
		if disabled {
			return nil, nil
		}
	}
	f := filepath.Join(dir, ".env")
	if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
		return []string{f}, nil
	}
	return nil, nil
}

// givenEnvFiles are the env files the user named: --env-file, else
// COMPOSE_ENV_FILES.
func givenEnvFiles(explicit []string, env types.Mapping) []string {
	if len(explicit) == 0 {
		// As docker compose splits it: empty entries ("a.env,") are dropped.
		explicit = strings.FieldsFunc(env[envEnvFiles], func(r rune) bool { return r == ',' })
	}
	return explicit
}

// LabelEnvironmentFile is docker compose's label of every container of a
// project loaded with --env-file (or COMPOSE_ENV_FILES): the files'
// absolute paths, comma-separated.
const LabelEnvironmentFile = "com.docker.compose.project.environment_file"

// labelEnvFiles adds LabelEnvironmentFile to every service's custom labels,
// as docker compose's loader does.
func labelEnvFiles(p *types.Project, opts Options, env types.Mapping, cwd string) {
	given := givenEnvFiles(opts.EnvFiles, env)
	if len(given) == 0 {
		return
	}
	abs := make([]string, len(given))
	for i, f := range given {
		abs[i] = mustAbs(f, cwd)
	}
	for name, s := range p.Services {
		if s.CustomLabels == nil {
			s.CustomLabels = types.Labels{}
		}
		s.CustomLabels[LabelEnvironmentFile] = strings.Join(abs, ",")
		p.Services[name] = s
	}
}

// readEnvFiles reads env files in order; later files win, and variables of
// env are visible to their ${VAR} expansions.
func readEnvFiles(files []string, env types.Mapping) (map[string]string, error) {
	if len(files) == 0 {
		return nil, nil
	}
	vars, err := dotenv.GetEnvFromFile(env, files)
	if err != nil {
		return nil, withFiles(toCoreError(err), files)
	}
	return vars, nil
}

func checkFile(abs string) error {
	fi, err := os.Stat(abs)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", abs)
	}
	// A device never ends (/dev/zero, /dev/urandom): reading one would hang
	// the caller and fill its memory. Pipes (-f <(…)) stay allowed.
	if fi.Mode()&(fs.ModeDevice|fs.ModeCharDevice|fs.ModeSocket) != 0 {
		return fmt.Errorf("%s is a device or socket, not a file", abs)
	}
	if fi.Mode().IsRegular() && fi.Size() > maxFileSize {
		return fmt.Errorf("%s is larger than %d MiB", abs, maxFileSize>>20)
	}
	return nil
}

// maxFileSize bounds a compose or env file.
const maxFileSize = 64 << 20

// fileError reports a file that cannot be used: NotFound when it does not
// exist, naming the path as given and as resolved.
func fileError(what, given, abs, origin string, err error) error {
	where := given
	if abs != given {
		where = fmt.Sprintf("%s (%s)", given, abs)
	}
	if origin != "" {
		where += ", " + origin + ","
	}
	if errors.Is(err, fs.ErrNotExist) {
		return (&core.Error{
			Kind:    core.KindNotFound,
			Message: fmt.Sprintf("%s %s not found", what, quoteFirst(where, given)),
			Err:     err,
		}).With("id", given).With("path", abs)
	}
	return core.Errorf(core.KindInvalidConfig, "%s %s: %w", what, quoteFirst(where, given), err).With("path", abs)
}

// quoteFirst quotes the leading given path of s (paths may hold spaces).
func quoteFirst(s, given string) string {
	return strconv.Quote(given) + strings.TrimPrefix(s, given)
}

func mustAbs(p, cwd string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(cwd, p)
}

func sameStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// loadInline loads a JSON compose model given by the host.
func loadInline(ctx context.Context, opts Options, env types.Mapping, cwd string) (*types.Project, error) {
	model, err := decodeInline(opts.Inline)
	if err != nil {
		return nil, err
	}
	if opts.ProjectName != "" {
		if err := ValidateProjectName(opts.ProjectName); err != nil {
			return nil, err
		}
	}
	workingDir := cwd
	if opts.ProjectDirectory != "" {
		workingDir = mustAbs(opts.ProjectDirectory, cwd)
	}
	// Only env files the caller names: an inline model has no directory of
	// its own whose .env would belong to it.
	if len(opts.EnvFiles) > 0 {
		files, err := envFiles(opts.EnvFiles, env, workingDir, cwd)
		if err != nil {
			return nil, err
		}
		vars, err := readEnvFiles(files, env)
		if err != nil {
			return nil, err
		}
		env.Merge(vars)
	}

	name, err := inlineProjectName(opts, env, model, workingDir)
	if err != nil {
		return nil, err
	}
	profiles := opts.Profiles
	if len(profiles) == 0 {
		for _, s := range strings.Split(env[consts.ComposeProfiles], ",") {
			if s = strings.TrimSpace(s); s != "" {
				profiles = append(profiles, s)
			}
		}
	}

	load := func(lenient bool) (*types.Project, error) {
		// compose-go mutates the model it is given: hand each load its own.
		m, err := decodeInline(opts.Inline)
		if err != nil {
			return nil, err
		}
		details := types.ConfigDetails{
			WorkingDir:  workingDir,
			ConfigFiles: []types.ConfigFile{{Filename: InlineFilename, Config: m}},
			Environment: env,
		}
		return composeloader.LoadWithContext(ctx, details, func(o *composeloader.Options) {
			// Always "explicit": the name was chosen above, and compose-go
			// would otherwise try to read the (non-existent) file for `name:`.
			o.SetProjectName(name, true)
			o.SkipInterpolation = !opts.Interpolate
			o.SkipValidation = opts.SkipValidation || lenient
			o.Profiles = profiles
			if lenient {
				o.SkipConsistencyCheck = true
				o.SkipResolveEnvironment = true
				o.SkipResolveLabels = true
			}
		})
	}
	files := []string{InlineFilename}
	p, err := load(false)
	if err != nil {
		return nil, explain(err, files, func() (*types.Project, error) { return load(true) })
	}
	if err := validateProject(p); err != nil {
		return nil, withFiles(err, files)
	}
	return p, nil
}

// inlineProjectName applies docker compose's precedence to an inline model:
// -p, COMPOSE_PROJECT_NAME, the model's `name`, the directory's name. The
// first two are validated; the last two normalized.
func inlineProjectName(opts Options, env types.Mapping, model map[string]any, dir string) (string, error) {
	if opts.ProjectName != "" {
		return opts.ProjectName, nil
	}
	if name := env[consts.ComposeProjectName]; name != "" {
		if err := ValidateProjectName(name); err != nil {
			return "", annotate(err, "set by COMPOSE_PROJECT_NAME")
		}
		return name, nil
	}
	if raw, ok := model["name"].(string); ok && raw != "" {
		if opts.Interpolate {
			v, err := template.Substitute(raw, env.Resolve)
			if err != nil {
				return "", withFiles(toCoreError(err), []string{InlineFilename})
			}
			raw = v
		}
		if name := NormalizeProjectName(raw); name != "" {
			return name, nil
		}
	}
	name := NormalizeProjectName(filepath.Base(dir))
	if name == "" {
		return "", core.Errorf(core.KindInvalidConfig,
			"cannot derive a project name from directory %q: set one with -p, COMPOSE_PROJECT_NAME or `name:`", dir)
	}
	return name, nil
}

// decodeInline parses one JSON object into the generic model compose-go
// reads from YAML: integers become int (as the YAML decoder makes them, so
// schema validation and the mapstructure decoding treat them alike), other
// numbers float64.
func decodeInline(data []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, core.Errorf(core.KindInvalidConfig, "%s: invalid JSON: %v", InlineFilename, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, core.Errorf(core.KindInvalidConfig, "%s: unexpected data after the JSON object", InlineFilename)
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, core.Errorf(core.KindInvalidConfig, "%s: must be a JSON object, got %s", InlineFilename, jsonKind(v))
	}
	return convertNumbers(m).(map[string]any), nil
}

func convertNumbers(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, e := range t {
			t[k] = convertNumbers(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = convertNumbers(e)
		}
		return t
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 0); err == nil {
			return int(i)
		}
		f, _ := t.Float64()
		return f
	}
	return v
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "an array"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	default:
		return "a number"
	}
}

// explain turns a compose-go failure into our error. Before settling for
// compose-go's message it re-reads the model leniently (reload) and runs our
// own checks: an unknown depends_on condition or volume type then gets a
// message naming the service and the value, rather than the schema's
// "services.web.volumes.0.type value must be one of ...", and a dependency
// on a service disabled by its profile says so, rather than "undefined".
func explain(err error, files []string, reload func() (*types.Project, error)) error {
	var ce *core.Error
	if errors.As(err, &ce) {
		return err // already ours (e.g. decoding the inline model)
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return core.AsError(err)
	}
	if p, rerr := lenientReload(reload); rerr == nil {
		if verr := validateProject(p); verr != nil {
			return withFiles(verr, files)
		}
	}
	return withFiles(toCoreError(err), files)
}

// lenientReload runs reload, turning a panic into an error: compose-go
// assumes a schema-valid model past validation (it type-asserts freely), and
// the model we re-read is known to be invalid somewhere.
func lenientReload(reload func() (*types.Project, error)) (p *types.Project, err error) {
	defer func() {
		if r := recover(); r != nil {
			p, err = nil, fmt.Errorf("lenient reload: %v", r)
		}
	}()
	return reload()
}

// toCoreError classifies a compose-go error, keeping its message.
func toCoreError(err error) *core.Error {
	var ce *core.Error
	if errors.As(err, &ce) {
		return ce
	}
	msg := err.Error()
	if _, after, ok := strings.Cut(msg, "dependency cycle detected: "); ok {
		// compose-go: "dependency cycle detected: a -> b -> a"
		cycle := strings.Split(strings.TrimSpace(after), " -> ")
		return (&core.Error{Kind: core.KindDependencyCycle, Message: msg, Err: err}).With("cycle", cycle)
	}
	if errors.Is(err, fs.ErrNotExist) || errdefs.IsNotFoundError(err) || strings.HasPrefix(msg, "couldn't find env file") {
		return &core.Error{Kind: core.KindNotFound, Message: msg, Err: err}
	}
	return &core.Error{Kind: core.KindInvalidConfig, Message: msg, Err: err}
}

// withFiles makes sure the message names the file(s) it is about, and
// records them in Details["files"]. A consistency error of the merged
// project (compose-go's errdefs.ErrInvalid: "invalid compose project", e.g.
// a reference to an undefined service or network) is about no one file:
// its message is left as docker compose prints it.
func withFiles(err error, files []string) error {
	e := core.AsError(err)
	if e == nil || len(files) == 0 {
		return err
	}
	if errors.Is(e, errdefs.ErrInvalid) {
		return e.With("files", files)
	}
	named := false
	for _, f := range files {
		if strings.Contains(e.Message, f) {
			named = true
			break
		}
	}
	c := *e
	if !named {
		c.Message = strings.Join(files, ", ") + ": " + e.Message
	}
	return c.With("files", files)
}

// annotate appends where a value came from to an error's message.
func annotate(err error, origin string) error {
	e := *core.AsError(err)
	e.Message += " (" + origin + ")"
	return &e
}
