package contract

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// repoRoot is the repository root (this package is tests/contract).
func repoRoot(t *testing.T) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root not found from %s: %v", file, err)
	}
	return root
}

var (
	libOnce sync.Once
	libPath string
	libErr  error
	libDir  string
)

// library returns the shared library to read the symbols of:
// $PERRY_CONTRACT_LIB (a path, or "fresh" to force a build), else
// build/libperrycontainer.so when it is not older than the ffi sources and
// the header, else a fresh build of ./ffi into a temporary directory.
func library(t *testing.T, root string) string {
	t.Helper()
	libOnce.Do(func() {
		env := os.Getenv("PERRY_CONTRACT_LIB")
		if env != "" && env != "fresh" {
			libPath = env
			return
		}
		built := filepath.Join(root, "build", "libperrycontainer.so")
		if st, err := os.Stat(built); err == nil && env != "fresh" {
			newest := newestSource(root)
			if !st.ModTime().Before(newest) {
				libPath = built
				return
			}
		}
		dir, err := os.MkdirTemp("", "perry-contract-*")
		if err != nil {
			libErr = err
			return
		}
		libDir = dir
		out := filepath.Join(dir, "libperrycontainer.so")
		goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
		if _, err := os.Stat(goBin); err != nil {
			goBin = "go"
		}
		cmd := exec.Command(goBin, "build", "-buildmode=c-shared",
			"-ldflags=-extldflags=-Wl,--version-script="+filepath.Join(root, "ffi", "exports.map"), "-o", out, "./ffi")
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "CGO_ENABLED=1")
		if b, err := cmd.CombinedOutput(); err != nil {
			libErr = fmt.Errorf("go build -buildmode=c-shared ./ffi: %v\n%s", err, b)
			return
		}
		libPath = out
	})
	if libErr != nil {
		t.Fatal(libErr)
	}
	return libPath
}

// newestSource is the modification time of the newest ffi source or header.
func newestSource(root string) time.Time {
	var newest time.Time
	files, _ := goFiles(filepath.Join(root, "ffi"))
	files = append(files, filepath.Join(root, HeaderPath))
	for _, f := range files {
		if st, err := os.Stat(f); err == nil && st.ModTime().After(newest) {
			newest = st.ModTime()
		}
	}
	return newest
}

func TestMain(m *testing.M) {
	code := m.Run()
	if libDir != "" {
		os.RemoveAll(libDir)
	}
	os.Exit(code)
}

// TestContract is the check on the real tree: header, library, ffi, core,
// TypeScript and WIT agree.
func TestContract(t *testing.T) {
	root := repoRoot(t)
	lib := library(t, root)
	in, problems, err := Load(root, root, lib)
	if err != nil {
		t.Fatal(err)
	}
	problems = append(problems, Check(in)...)
	for _, p := range problems {
		t.Error(p)
	}
	if len(problems) > 0 {
		t.Fatalf("%d divergence(s) between %s, %s, %s/perry/*.d.ts, %s, ffi/ and core/ (library %s)",
			len(problems), HeaderPath, lib, TypesDir, WITPath, lib)
	}
	// The table, for -v.
	ops := Table(in)
	for _, op := range ops {
		var ts []string
		for _, f := range op.TS {
			ts = append(ts, f.Qual())
		}
		t.Logf("%-28s %-58s %s", op.WIT.Iface+"."+op.WIT.Name, strings.Join(op.Symbols, " "), strings.Join(ts, ", "))
	}
	if len(ops) < 40 {
		t.Errorf("only %d operations in the table; the parsers found too little", len(ops))
	}
	if len(in.Model.Records) < 25 {
		t.Errorf("only %d Go records in the model; the reflection found too little", len(in.Model.Records))
	}
}

// copyInclude copies the contract's files under include/ to a temporary
// root and returns it.
func copyInclude(t *testing.T, root string) string {
	t.Helper()
	dst := t.TempDir()
	files := []string{HeaderPath, WITPath}
	for _, m := range TSModules {
		files = append(files, filepath.Join(TypesDir, m, "index.d.ts"))
	}
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join(root, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// mutate replaces old with new, exactly once, in a copied file.
func mutate(t *testing.T, dir, file, old, new string) {
	t.Helper()
	p := filepath.Join(dir, file)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(string(b), old); n != 1 {
		t.Fatalf("mutation of %s: %q occurs %d times, want 1", file, old, n)
	}
	if err := os.WriteFile(p, []byte(strings.Replace(string(b), old, new, 1)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCheckerCatchesDivergence runs the checker over deliberately broken
// copies and asserts that each break is reported, naming the operation or
// type and the side at fault.
func TestCheckerCatchesDivergence(t *testing.T) {
	root := repoRoot(t)
	lib := library(t, root)
	const (
		ctr  = "include/types/perry/container/index.d.ts"
		cc   = "include/types/perry/container-compose/index.d.ts"
		wl   = "include/types/perry/workloads/index.d.ts"
		wit  = WITPath
		hdr  = HeaderPath
		comp = "include/types/perry/compose/index.d.ts"
	)
	cases := []struct {
		name  string
		file  string
		old   string
		new   string
		edit  func(in *Inputs) // a change of the library or of the Go model
		wants []string         // every one must appear in one message
	}{
		{name: "TS field renamed", file: ctr, old: "  ipAddress?: string;", new: "  ipAddr?: string;",
			wants: []string{"type ContainerInfo", `Go core.ContainerInfo has JSON field "ipAddress" but TypeScript interface ContainerInfo`}},
		{name: "TS field renamed, reverse", file: ctr, old: "  ipAddress?: string;", new: "  ipAddr?: string;",
			wants: []string{`TypeScript interface ContainerInfo has field "ipAddr" but Go core.ContainerInfo has no such JSON field`}},
		{name: "WIT field renamed", file: wit, old: "    ip-address: option<string>,", new: "    ip-addr: option<string>,",
			wants: []string{"type ContainerInfo", "WIT record container-info (camel-case JSON names) has no field ip-address"}},
		{name: "Go field renamed", edit: func(in *Inputs) {
			r := in.Model.Records["ContainerSpec"]
			for i := range r.Fields {
				if r.Fields[i].Name == "read_only" {
					r.Fields[i].Name = "readOnly"
				}
			}
		}, wants: []string{`Go core.ContainerSpec has JSON field "readOnly" but TypeScript interface ContainerSpec`}},
		{name: "Go field renamed, WIT side", edit: func(in *Inputs) {
			r := in.Model.Records["ContainerSpec"]
			for i := range r.Fields {
				if r.Fields[i].Name == "read_only" {
					r.Fields[i].Name = "readOnly"
				}
			}
		}, wants: []string{`WIT record container-spec has field read-only (JSON "read_only") but Go core.ContainerSpec has no such JSON field`}},
		{name: "symbol missing from the library", edit: func(in *Inputs) {
			var keep []string
			for _, s := range in.Symbols {
				if s != "js_container_wait" {
					keep = append(keep, s)
				}
			}
			in.Symbols = keep
		}, wants: []string{"symbol js_container_wait: declared in include/perry_container.h:", "missing from"}},
		{name: "undeclared symbol in the library", edit: func(in *Inputs) {
			in.Symbols = append(in.Symbols, "js_container_pause")
		}, wants: []string{"symbol js_container_pause: exported by", "not declared in include/perry_container.h"}},
		{name: "function missing from the header", file: hdr,
			old: "PERRY_EXTERN(int32_t) js_container_wait(const char *id, perry_complete_fn cb, void *ctx);", new: "",
			wants: []string{"TypeScript perry/container.wait: @ffi names js_container_wait, which include/perry_container.h does not declare"}},
		{name: "function missing from the header, ffi side", file: hdr,
			old: "PERRY_EXTERN(int32_t) js_container_wait(const char *id, perry_complete_fn cb, void *ctx);", new: "",
			wants: []string{"symbol js_container_wait: ffi exports it", "include/perry_container.h does not declare it"}},
		{name: "header and ffi disagree", file: hdr,
			old: "js_container_removeImage(const char *reference, int32_t force,", new: "js_container_removeImage(const char *reference, const char *force_json,",
			wants: []string{"symbol js_container_removeImage", "declares (str, str, cb, ctx) async but ffi", "defines (str, i32, cb, ctx) async"}},
		{name: "TS function without @ffi", file: ctr, old: " * @ffi js_container_inspectImage\n", new: "",
			wants: []string{"symbol js_container_inspectImage: no TypeScript declaration maps it"}},
		{name: "TS function without @ffi, TS side", file: ctr, old: " * @ffi js_container_inspectImage\n", new: "",
			wants: []string{"TypeScript perry/container.inspectImage", "neither `@ffi <symbol>` nor `@pure`"}},
		{name: "TS takes JSON where C takes a handle", file: cc,
			old: "export declare function down(handle: ComposeHandle, volumes?: boolean, call?: CallOptions)", new: "export declare function down(handle: ComposeSpec, volumes?: boolean, call?: CallOptions)",
			wants: []string{"operation js_compose_down: TypeScript perry/container-compose.down", "argument 1 (handle) is passed as json, but C parameter handle is i64"}},
		{name: "TS number where C takes a raw string", file: wl,
			old: "  exec(node: string, cmd: string[], call?: CallOptions): Promise<ContainerLogs>;", new: "  exec(node: number, cmd: string[], call?: CallOptions): Promise<ContainerLogs>;",
			wants: []string{"operation js_workload_handle_exec: TypeScript perry/workloads.GraphHandle.exec", "argument 2 (node) is passed as json or i32, but C parameter node is raw"}},
		{name: "TS argument count", file: ctr,
			old: "export declare function logs(id: string, tail?: number, call?: CallOptions): Promise<ContainerLogs>;", new: "export declare function logs(id: string, call?: CallOptions): Promise<ContainerLogs>;",
			wants: []string{"operation js_container_logs: TypeScript perry/container.logs takes 1 argument(s) (id) but C js_container_logs takes 2 (id, tail_json)"}},
		{name: "TS promise for a synchronous function", file: ctr,
			old: "export declare function getBackend(): BackendInfo;", new: "export declare function getBackend(): Promise<BackendInfo>;",
			wants: []string{"operation js_container_getBackend", "C js_container_getBackend is synchronous"}},
		{name: "TS optional where Go requires", file: ctr, old: "  /** Image reference, required. */\n  image: string;", new: "  /** Image reference, required. */\n  image?: string;",
			wants: []string{`type ContainerSpec: field "image" is required in Go core.ContainerSpec but optional in TypeScript`}},
		{name: "TS enum value missing", file: ctr, old: `"MicroVm" | "Wasm";`, new: `"MicroVm";`,
			wants: []string{`enum IsolationLevel: Go core.IsolationLevel has "Wasm" but TypeScript IsolationLevel does not`}},
		{name: "TS error code wrong", file: ctr, old: "  NotFound: 404;", new: "  NotFound: 410;",
			wants: []string{"error kind NotFound: code 410 in TypeScript ErrorCodes but 404 in core"}},
		{name: "compose alias broken", file: comp, old: `export * from "../container-compose";`, new: `export * from "../container";`,
			wants: []string{"TypeScript perry/compose must be exactly `export * from` perry/container-compose"}},
		{name: "WIT function without @ffi", file: wit,
			old: "  /// Waits until a container exits.\n  /// @ffi js_container_wait\n", new: "  /// Waits until a container exits.\n",
			wants: []string{"WIT function container.wait", "no `/// @ffi <symbol>` tag", "symbol js_container_wait: no WIT function maps it"}},
		{name: "WIT type mismatch", file: wit, old: "    size: s64,", new: "    size: string,",
			wants: []string{`type ImageInfo: field "size" is int in Go core.ImageInfo but string (string) in WIT`}},
		{name: "WIT option where C cannot be NULL", file: wit,
			old: "remove-image: func(reference: string, force: bool,", new: "remove-image: func(reference: string, force: option<bool>,",
			wants: []string{"operation js_container_removeImage: WIT container.remove-image: argument force is option<…> but C parameter force (int32_t) cannot be NULL"}},
		{name: "WIT error kind missing", file: wit, old: "    /// @code 504\n    timeout(error-info),\n", new: "",
			wants: []string{`error kinds: core (kebab-cased) has "timeout" but WIT variant container-error does not`}},
		{name: "WIT keyword not escaped", file: wit, old: "  %list: func(", new: "  list: func(",
			wants: []string{"WIT: include/wit/perry-container.wit", `"list" is a WIT keyword: write %list`}},
		{name: "async TS function without the call parameter", file: ctr,
			old: "export declare function wait(id: string, call?: CallOptions): Promise<WaitResult>;", new: "export declare function wait(id: string): Promise<WaitResult>;",
			wants: []string{"operation js_container_wait: TypeScript perry/container.wait: C js_container_wait is asynchronous, so it must take a last `call` parameter of type CallOptions"}},
		{name: "async WIT function without the call parameter", file: wit,
			old: "wait: func(id: string, call: option<call-options>)", new: "wait: func(id: string)",
			wants: []string{"operation js_container_wait: WIT container.wait: C js_container_wait is asynchronous, so it must take a last `call` parameter of type option<call-options>"}},
		{name: "sync TS function with a call parameter", file: ctr,
			old: "export declare function getBackend(): BackendInfo;", new: "export declare function getBackend(call?: CallOptions): BackendInfo;",
			wants: []string{"operation js_container_getBackend: TypeScript perry/container.getBackend: C js_container_getBackend is synchronous: it cannot be cancelled"}},
		{name: "ABI version number wrong", file: hdr,
			old: "#define PERRY_CONTAINER_ABI_VERSION_NUMBER 1002000", new: "#define PERRY_CONTAINER_ABI_VERSION_NUMBER 1000000",
			wants: []string{"ABI version: include/perry_container.h says PERRY_CONTAINER_ABI_VERSION_NUMBER 1000000 but core.ABIVersion 1.2.0 is 1002000"}},
		{name: "ABI version string wrong", file: hdr,
			old: `#define PERRY_CONTAINER_ABI_VERSION "1.2.0"`, new: `#define PERRY_CONTAINER_ABI_VERSION "1.0.0"`,
			wants: []string{`ABI version: include/perry_container.h says PERRY_CONTAINER_ABI_VERSION "1.0.0" but core.ABIVersion is "1.2.0"`}},
		{name: "error code define wrong", file: hdr,
			old: "#define PERRY_CONTAINER_E_NOT_FOUND 404", new: "#define PERRY_CONTAINER_E_NOT_FOUND 410",
			wants: []string{"error kind NotFound: #define PERRY_CONTAINER_E_NOT_FOUND 410 in include/perry_container.h but code 404 in core"}},
		{name: "error code define missing", file: hdr,
			old: "#define PERRY_CONTAINER_E_TIMEOUT 504\n", new: "",
			wants: []string{"error kind Timeout: include/perry_container.h has no #define PERRY_CONTAINER_E_TIMEOUT"}},
		{name: "TS stream as a Promise", file: ctr,
			old: "opts?: FollowLogsOptions, call?: CallOptions): AsyncIterable<LogLine>;", new: "opts?: FollowLogsOptions, call?: CallOptions): Promise<LogLine[]>;",
			wants: []string{"operation js_container_logs_follow: TypeScript perry/container.followLogs returns Promise<LogLine[]>, but C js_container_logs_follow streams chunks: it must return an AsyncIterable"}},
		{name: "WIT stream as a list", file: wit,
			old: "call: option<call-options>) -> result<stream<log-line>, container-error>;\n\n  /// Waits", new: "call: option<call-options>) -> result<list<log-line>, container-error>;\n\n  /// Waits",
			wants: []string{"operation js_container_logs_follow: WIT container.follow-logs", "the ok type must be stream<T> exactly for a streaming function"}},
		{name: "ffi result type renamed", edit: func(in *Inputs) {
			r := in.Model.Records["ComposeUpResult"]
			r.Fields[0].Name = "id"
		}, wants: []string{`type ComposeUpResult: Go ffi.ComposeUpResult has JSON field "id" but TypeScript interface ComposeUpResult`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := root
			if tc.file != "" {
				dir = copyInclude(t, root)
				mutate(t, dir, tc.file, tc.old, tc.new)
			}
			in, problems, err := Load(root, dir, lib)
			if err != nil {
				t.Fatal(err)
			}
			if tc.edit != nil {
				tc.edit(in)
			}
			problems = append(problems, Check(in)...)
			if len(problems) == 0 {
				t.Fatalf("the checker found nothing wrong")
			}
			all := strings.Join(problems, "\n")
			t.Logf("%d message(s):\n%s", len(problems), all)
			for _, w := range tc.wants {
				if !strings.Contains(all, w) {
					t.Errorf("no message contains %q; got:\n%s", w, all)
				}
			}
		})
	}
}

// TestKebab pins the naming rule between JSON/TypeScript and WIT.
func TestKebab(t *testing.T) {
	for in, want := range map[string]string{
		"read_only": "read-only", "exitCode": "exit-code", "isolationLevel": "isolation-level",
		"ipv4_address": "ipv4-address", "MicroVm": "micro-vm", "NotFound": "not-found",
		"WorkloadRefResolutionFailed": "workload-ref-resolution-failed", "ContainerSpec": "container-spec",
		"tornDown": "torn-down", "readOnlyRoot": "read-only-root", "nocopy": "nocopy",
	} {
		if got := Kebab(in); got != want {
			t.Errorf("Kebab(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTypeScriptCompiles type-checks the declarations and the usage
// programs of testdata/ts with tsc --strict --noEmit (Debian's
// node-typescript), and shows that tsc does reject a misuse.
func TestTypeScriptCompiles(t *testing.T) {
	tsc, err := exec.LookPath("tsc")
	if err != nil {
		t.Skip("tsc not found: install Debian's node-typescript (apt-get install node-typescript) to type-check the .d.ts files")
	}
	root := repoRoot(t)
	run := func(t *testing.T, files []string) (string, error) {
		dir := t.TempDir()
		var quoted []string
		for _, f := range files {
			quoted = append(quoted, fmt.Sprintf("%q", f))
		}
		cfg := fmt.Sprintf(`{
  "compilerOptions": {
    "strict": true, "noEmit": true, "target": "es2020", "module": "es2020",
    "moduleResolution": "node", "lib": ["es2020"], "types": [],
    "noUnusedLocals": true, "forceConsistentCasingInFileNames": true,
    "baseUrl": %q, "paths": { "perry/*": ["perry/*/index.d.ts"] }
  },
  "files": [%s]
}`, filepath.Join(root, TypesDir), strings.Join(quoted, ", "))
		p := filepath.Join(dir, "tsconfig.json")
		if err := os.WriteFile(p, []byte(cfg), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(tsc, "-p", p).CombinedOutput()
		return string(out), err
	}
	var files []string
	for _, m := range TSModules {
		files = append(files, filepath.Join(root, TypesDir, m, "index.d.ts"))
	}
	usage, _ := filepath.Glob(filepath.Join(root, "tests", "contract", "testdata", "ts", "*.ts"))
	if len(usage) < 3 {
		t.Fatalf("want the usage programs of testdata/ts, found %v", usage)
	}
	files = append(files, usage...)
	if out, err := run(t, files); err != nil {
		t.Fatalf("tsc --strict --noEmit failed: %v\n%s", err, out)
	}
	// tsc must catch a misuse: a misspelled key and a handle method that does not exist.
	bad := filepath.Join(t.TempDir(), "bad.ts")
	src := `import { run, composeUp } from "perry/container";
export async function f(): Promise<void> {
  await run({ imag: "x" });
  const s = await composeUp({ services: {} });
  await s.remove();
}
`
	if err := os.WriteFile(bad, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := run(t, append(files[:len(TSModules):len(TSModules)], bad))
	if err == nil {
		t.Fatalf("tsc accepted a misuse")
	}
	for _, want := range []string{"imag", "remove"} {
		if !regexp.MustCompile(`error TS\d+:.*` + want).MatchString(out) {
			t.Errorf("tsc output does not report %q:\n%s", want, out)
		}
	}
}
