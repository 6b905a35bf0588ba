// Command gen writes tests/c/badinput/cases.inc, the bad-input table that
// tests/c/badinput/badinput.c runs against libperrycontainer.so:
//
//	go run ./tests/c/badinput/gen            # rewrites the committed table
//	go run ./tests/c/badinput/gen -o FILE    # writes elsewhere
//
// Every exported function of include/perry_container.h gets: NULL for every
// pointer argument (and a NULL callback), empty and invalid UTF-8 strings,
// inputs of 16 MiB, 16 MiB + 1 and 32 MiB, invalid JSON, JSON of every wrong
// type, 100 000-level nesting, unknown keys, wrong-typed keys (found by
// reflection over the Go types the library decodes, so a new field is
// covered without editing this file), negative/zero/huge/NaN-like numbers,
// unknown, released, out-of-range and wrong-type handles, down twice,
// concurrent down of one handle, and every function again after
// js_container_shutdown. gen_test.go checks the committed table is current.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"math"
	"os"
	"reflect"
	"sort"
	"strings"

	"github.com/perryts/perry-container/capability"
	"github.com/perryts/perry-container/core"
)

// Image is the only image the cases use (pulled into the fake first).
const Image = "perry-test/busybox:latest"

// MiB16 is the library's argument bound.
const MiB16 = 16 << 20

// Arg is one string argument: NULL, or Lead + Rep×N + Mid + Rep2×N + Tail
// (so 16 MiB inputs and 100k-level nesting are built at run time).
// "@N@" in the literal parts is replaced by the case number.
type Arg struct {
	Null                       bool
	Lead, Rep, Mid, Rep2, Tail string
	N                          int
}

func lit(s string) Arg { return Arg{Lead: s} }

var null = Arg{Null: true}

func rep(lead, r string, n int, mid, r2, tail string) Arg {
	return Arg{Lead: lead, Rep: r, N: n, Mid: mid, Rep2: r2, Tail: tail}
}

// Expect is what a case must produce.
type Expect struct {
	What    string // E_OK | E_ERR | E_ANY | E_ANYERR | E_REFUSED | E_VOID
	Code    int    // E_ERR: the code (and status)
	Kind    string // E_ERR: the kind ("" = any kind of that code)
	Needle  string // must occur in the message
	Needle2 string
}

func ok() Expect        { return Expect{What: "E_OK"} }
func anyResult() Expect { return Expect{What: "E_ANY"} }
func anyErr() Expect    { return Expect{What: "E_ANYERR"} }
func invalid(arg string) Expect {
	return Expect{What: "E_ERR", Code: 400, Kind: "InvalidArgument", Needle: arg}
}
func invalid2(arg, n string) Expect {
	return Expect{What: "E_ERR", Code: 400, Kind: "InvalidArgument", Needle: arg, Needle2: n}
}
func notFound(n string) Expect { return Expect{What: "E_ERR", Code: 404, Kind: "NotFound", Needle: n} }
func cfg(n string) Expect      { return Expect{What: "E_ERR", Code: 400, Needle: n} }
func cancelled() Expect {
	return Expect{What: "E_ERR", Code: 499, Kind: "Cancelled", Needle: "shut down"}
}

// Handle modes: a literal, or one the runner sets up.
const (
	HLit              = "H_LIT"
	HCompose          = "H_COMPOSE"          // the live stack
	HComposeFresh     = "H_COMPOSE_FRESH"    // a stack brought up for this case
	HComposeDone      = "H_COMPOSE_DONE"     // a live stack whose containers have exited (a follow ends at once)
	HComposeReleased  = "H_COMPOSE_RELEASED" // brought up and down
	HWorkload         = "H_WORKLOAD"
	HWorkloadFresh    = "H_WORKLOAD_FRESH"
	HWorkloadReleased = "H_WORKLOAD_RELEASED"
)

// Case is one row of the table.
type Case struct {
	Cat, Name string
	Fn        string // F_ enum
	Args      []Arg
	HMode     string
	H         int64
	I1, I2    int64
	NullCB    bool
	Phase     int // 0 before shutdown, 1 the shutdown, 2 after
	Exp       Expect
}

// Param kinds.
type kind int

const (
	kRawReq   kind = iota // raw string, required
	kRawOpt               // raw string, NULL allowed
	kSpec                 // ContainerSpec JSON
	kCompose              // inline compose JSON or a path
	kBuild                // BuildSpec JSON (required)
	kInt                  // optional JSON integer 0..max
	kBool                 // optional JSON boolean
	kCmd                  // required non-empty JSON array of strings
	kServices             // optional JSON array of strings
	kEnv                  // optional JSON object of strings
	kOpts                 // optional JSON object decoded strictly into typ
	kReqObj               // required JSON object decoded strictly into typ
	kWSpec                // workload graph spec (required)
	kWNode                // workload node spec (optional)
)

type param struct {
	name string
	k    kind
	base Arg
	max  int64        // kInt
	typ  reflect.Type // kOpts, kReqObj
}

// fn is one exported function.
type fn struct {
	sym     string
	async   bool
	params  []param
	handle  string // "" | "compose" | "workload"
	hbase   string // the baseline handle mode
	i32     []string
	i32base []int64
	base    Expect // the result with every argument at its baseline
	// noBase: a call with valid arguments would leave the machine (the
	// capability runner verifies signatures online), so no case keeps
	// every argument valid.
	noBase bool
	// endless: a call with valid arguments streams until cancelled (compose
	// events, a followed log of running containers), so no case may keep
	// them valid: noBase, and the variants whose result may be a success
	// (E_ANY) are left out too.
	endless bool
	// heavy: this function also gets the valid inputs of exactly 16 MiB
	// (each costs seconds: the library copies, decodes and echoes them).
	// One function per argument shape is enough.
	heavy bool
}

var (
	specBase    = `{"image":"` + Image + `","cmd":["sleep","100"],"labels":{"perry.test":"1","case":"@N@"}}`
	composeBase = `{"name":"bi-up-@N@","services":{"web":{"image":"` + Image + `","command":["sleep","100"],"labels":{"perry.test":"1"}}}}`
	graphBase   = `{"name":"bi-g-@N@","nodes":{"a":{"id":"a","name":"a","image":"` + Image + `","cmd":["sleep","100"],"runtime":{"type":"auto"},"policy":{"tier":"default"}}},"edges":[]}`
	wspecBase   = `{"nodes":{"a":{"image":"` + Image + `","cmd":["sleep","100"]}}}`
	missingID   = "perry-badinput-missing"
	missingRef  = "perry-test/badinput-missing:1"
)

func p(name string, k kind, base Arg) param { return param{name: name, k: k, base: base} }

func functions() []fn {
	id := p("id", kRawReq, lit(missingID))
	nf := notFound(missingID)
	tailOpts := reflect.TypeOf(struct {
		Service string `json:"service,omitempty"`
		Tail    *int   `json:"tail,omitempty"`
	}{})
	execOpts := reflect.TypeOf(struct {
		Env     map[string]string `json:"env,omitempty"`
		Workdir string            `json:"workdir,omitempty"`
		User    string            `json:"user,omitempty"`
		Index   int               `json:"index,omitempty"`
	}{})
	downOpts := reflect.TypeOf(struct {
		Volumes bool `json:"volumes,omitempty"`
	}{})
	wlogsOpts := reflect.TypeOf(struct {
		Tail *int `json:"tail,omitempty"`
	}{})
	upOpts := reflect.TypeOf(struct {
		Target string `json:"target,omitempty"`
	}{})
	eventsOpts := reflect.TypeOf(struct {
		Services []string `json:"services,omitempty"`
		Since    string   `json:"since,omitempty"`
	}{})
	fs := []fn{
		{sym: "js_container_run", async: true, heavy: true, params: []param{p("spec", kSpec, lit(specBase))}, base: ok()},
		{sym: "js_container_create", async: true, params: []param{p("spec", kSpec, lit(specBase))}, base: ok()},
		{sym: "js_container_start", async: true, params: []param{id}, base: nf},
		{sym: "js_container_stop", async: true, params: []param{id, {name: "timeout", k: kInt, base: lit("1"), max: 86400}}, base: nf},
		{sym: "js_container_remove", async: true, params: []param{id, p("force", kBool, lit("true"))}, base: nf},
		{sym: "js_container_list", async: true, params: []param{p("all", kBool, lit("true"))}, base: ok()},
		{sym: "js_container_inspect", async: true, heavy: true, params: []param{id}, base: nf},
		{sym: "js_container_logs", async: true, params: []param{id, {name: "tail", k: kInt, base: lit("10"), max: math.MaxInt32}}, base: nf},
		{sym: "js_container_logs_follow", async: true, params: []param{id, {name: "opts", k: kOpts, base: null, typ: reflect.TypeOf(struct {
			Tail *int `json:"tail,omitempty"`
		}{})}}, base: nf},
		{sym: "js_container_exec", async: true, heavy: true, params: []param{id, p("cmd", kCmd, lit(`["true"]`)), p("env", kEnv, lit(`{"A":"b"}`)), p("workdir", kRawOpt, lit("/tmp"))}, base: nf},
		{sym: "js_container_wait", async: true, params: []param{id}, base: nf},
		{sym: "js_container_pullImage", async: true, params: []param{p("reference", kRawReq, lit("perry-test/badinput-pulled:@N@"))}, base: ok()},
		{sym: "js_container_listImages", async: true, base: ok()},
		{sym: "js_container_removeImage", async: true, params: []param{p("reference", kRawReq, lit(missingRef))}, i32: []string{"force"}, i32base: []int64{1}, base: notFound(missingRef)},
		{sym: "js_container_inspectImage", async: true, heavy: true, params: []param{p("reference", kRawReq, lit(missingRef))}, base: notFound(missingRef)},
		{sym: "js_container_build", async: true, params: []param{{name: "build", k: kBuild, base: lit(`{"context":"/tmp"}`), typ: reflect.TypeOf(core.BuildSpec{})}, p("image_name", kRawReq, lit("perry-test/badinput-built:@N@"))}, base: ok()},
		{sym: "js_container_getBackend", base: ok()},
		{sym: "js_container_detectBackend", async: true, base: ok()},
		{sym: "js_container_getBackendAsync", async: true, base: ok()},
		{sym: "js_workload_graph", params: []param{p("name", kRawReq, lit("g@N@")), p("spec", kWSpec, lit(wspecBase))}, base: ok()},
		{sym: "js_workload_node", heavy: true, params: []param{p("name", kRawReq, lit("n@N@")), p("spec", kWNode, lit(`{"image":"`+Image+`"}`))}, base: ok()},
		{sym: "js_workload_runGraph", async: true, params: []param{{name: "graph", k: kReqObj, base: lit(graphBase), typ: reflect.TypeOf(core.WorkloadGraph{})}, {name: "opts", k: kOpts, base: null, typ: reflect.TypeOf(core.RunGraphOptions{})}}, base: ok()},
		{sym: "js_workload_inspectGraph", async: true, params: []param{{name: "graph", k: kReqObj, base: lit(graphBase), typ: reflect.TypeOf(core.WorkloadGraph{})}}, base: ok()},
		{sym: "js_workload_handle_down", async: true, handle: "workload", hbase: HWorkloadFresh, params: []param{{name: "opts", k: kOpts, base: null, typ: downOpts}}, base: ok()},
		{sym: "js_workload_handle_status", async: true, handle: "workload", hbase: HWorkload, base: ok()},
		{sym: "js_workload_handle_graph", handle: "workload", hbase: HWorkload, base: ok()},
		{sym: "js_workload_handle_logs", async: true, handle: "workload", hbase: HWorkload, params: []param{p("node", kRawOpt, lit("a")), {name: "opts", k: kOpts, base: lit(`{"tail":5}`), typ: wlogsOpts}}, base: ok()},
		// A valid follow of a running graph streams until its containers stop
		// (100 s here): bad arguments only (noBase).
		{sym: "js_workload_handle_logs_follow", async: true, noBase: true, endless: true, handle: "workload", hbase: HWorkload, params: []param{p("node", kRawOpt, lit("a")), {name: "opts", k: kOpts, base: lit(`{"tail":5}`), typ: wlogsOpts}}},
		{sym: "js_workload_handle_exec", async: true, heavy: true, handle: "workload", hbase: HWorkload, params: []param{p("node", kRawReq, lit("a")), p("cmd", kCmd, lit(`["true"]`))}, base: ok()},
		{sym: "js_workload_handle_ps", async: true, handle: "workload", hbase: HWorkload, base: ok()},
		{sym: "perry_container_run_capability", async: true, noBase: true, params: []param{p("name", kRawReq, lit("badinput-cap")), p("image", kRawOpt, null), p("cmd", kCmd, lit(`["true"]`)), {name: "grants", k: kOpts, base: null, typ: reflect.TypeOf(capability.Grants{})}}},
	}
	// Compose: both symbol families.
	for _, pre := range []string{"js_container_", "js_compose_"} {
		up := []string{pre + "up"}
		if pre == "js_container_" {
			up = []string{"js_container_composeUp", "js_container_compose_up"}
		} else {
			up = []string{"js_compose_up"}
		}
		cp := pre
		if pre == "js_container_" {
			cp = "js_container_compose_"
		}
		for _, u := range up {
			fs = append(fs, fn{sym: u, async: true, heavy: u == "js_container_composeUp", params: []param{p("spec", kCompose, lit(composeBase))}, base: ok()})
		}
		if pre == "js_container_" {
			fs = append(fs,
				fn{sym: "js_container_composeUpWith", async: true, params: []param{p("spec", kCompose, lit(composeBase)), {name: "opts", k: kOpts, base: lit(`{"target":"local"}`), typ: upOpts}}, base: ok()},
				// Events stream until cancelled: bad arguments only (noBase).
				fn{sym: "js_container_compose_events", async: true, noBase: true, endless: true, handle: "compose", hbase: HCompose, params: []param{{name: "opts", k: kOpts, base: null, typ: eventsOpts}}})
		}
		fs = append(fs,
			fn{sym: cp + "down", async: true, handle: "compose", hbase: HComposeFresh, i32: []string{"volumes"}, i32base: []int64{1}, base: ok()},
			fn{sym: cp + "ps", async: true, handle: "compose", hbase: HCompose, base: ok()},
			fn{sym: cp + "logs", async: true, handle: "compose", hbase: HCompose, params: []param{{name: "opts", k: kOpts, base: lit(`{"service":"web","tail":5}`), typ: tailOpts}}, base: ok()},
			fn{sym: cp + "logs_follow", async: true, handle: "compose", hbase: HComposeDone, params: []param{{name: "opts", k: kOpts, base: lit(`{"service":"web","tail":5}`), typ: tailOpts}}, base: ok()},
			fn{sym: cp + "exec", async: true, heavy: pre == "js_container_", handle: "compose", hbase: HCompose, params: []param{p("service", kRawReq, lit("web")), p("cmd", kCmd, lit(`["true"]`)), {name: "opts", k: kOpts, base: null, typ: execOpts}}, base: ok()},
			fn{sym: cp + "config", async: true, handle: "compose", hbase: HCompose, base: ok()},
			fn{sym: cp + "start", async: true, heavy: pre == "js_container_", handle: "compose", hbase: HCompose, params: []param{p("services", kServices, null)}, base: ok()},
			fn{sym: cp + "stop", async: true, handle: "compose", hbase: HComposeFresh, params: []param{p("services", kServices, null)}, base: ok()},
			fn{sym: cp + "restart", async: true, handle: "compose", hbase: HCompose, params: []param{p("services", kServices, null)}, base: ok()},
			fn{sym: cp + "status", async: true, handle: "compose", hbase: HCompose, base: ok()},
			fn{sym: cp + "graph", handle: "compose", hbase: HCompose, base: ok()},
		)
	}
	return fs
}

// utf8Bad are invalid UTF-8 strings: a lone continuation byte, a truncated
// sequence, an overlong encoding, a surrogate, bytes beyond U+10FFFF.
var utf8Bad = []struct{ name, s string }{
	{"lone-ff", "\xff\xfe"},
	{"truncated", "abc\xc3"},
	{"overlong", "\xc0\xaf"},
	{"surrogate", "\xed\xa0\x80"},
	{"beyond-10ffff", "\xf4\x90\x80\x80"},
}

// variants returns the bad values of one parameter, with what each must give.
// base is the function's result with this parameter valid.
func variants(f fn, pr param) []struct {
	name string
	a    Arg
	e    Expect
} {
	type v = struct {
		name string
		a    Arg
		e    Expect
	}
	var out []v
	add := func(name string, a Arg, e Expect) { out = append(out, v{name, a, e}) }
	n := pr.name
	bad := invalid(n)
	base := f.base
	if f.noBase {
		base = Expect{}
	}
	// Every argument: encoding and size.
	for _, u := range utf8Bad {
		add("utf8-"+u.name, lit(u.s), invalid2(n, "UTF-8"))
	}
	add("16MiB+1", rep("", "a", MiB16+1, "", "", ""), invalid2(n, "16 MiB"))
	add("32MiB", rep("", "a", 32<<20, "", "", ""), invalid2(n, "16 MiB"))
	switch pr.k {
	case kRawReq, kRawOpt:
		if pr.k == kRawReq {
			add("NULL", null, invalid2(n, "required"))
			add("empty", lit(""), invalid2(n, "empty"))
		} else {
			add("NULL", null, base)
		}
		add("16MiB-exact", rep("", "a", MiB16, "", "", ""), anyResult())
		add("leading-dash", lit("--help"), anyResult())
		add("dash-rf", lit("-rf"), anyResult())
		add("shell-meta", lit("$(touch /tmp/perry-pwned); `id` | cat & ; echo *"), anyResult())
		add("newline", lit("a\nb\r\nc"), anyResult())
		add("utf8-valid-astral", lit("名前-🙂"), anyResult())
		add("json-quoted", lit(`"`+missingID+`"`), anyResult())
		return out
	}
	// JSON arguments.
	required := pr.k == kSpec || pr.k == kCompose || pr.k == kBuild || pr.k == kCmd || pr.k == kReqObj || pr.k == kWSpec
	if pr.k == kCompose {
		add("NULL", null, invalid2(n, "required"))
		add("empty", lit(""), invalid2(n, "empty"))
		return append(out, composeVariants()...)
	}
	if required {
		add("NULL", null, invalid2(n, "required"))
	} else {
		add("NULL", null, base)
		add("json-null", lit("null"), base)
	}
	add("empty", lit(""), invalid2(n, "empty"))
	add("whitespace", lit(" \t\n "), invalid2(n, "empty"))
	add("invalid-json-brace", lit("{"), bad)
	add("invalid-json-bare-word", lit("nul"), bad)
	add("invalid-json-single-quotes", lit("{'a':'b'}"), bad)
	add("invalid-json-trailing-comma", lit(`["a",]`), bad)
	add("invalid-json-NaN", lit("NaN"), bad)
	add("invalid-json-Infinity", lit("-Infinity"), bad)
	add("invalid-json-hex", lit("0x10"), bad)
	add("invalid-json-leading-zero", lit("012"), bad)
	add("invalid-json-ctrl-in-string", lit("\"a\x01b\""), bad)
	add("invalid-json-bad-escape", lit(`"\x41"`), bad)
	add("invalid-json-lone-surrogate-escape", lit(`"\ud800"`), anyResult())
	add("trailing-data", lit(`{} {}`), bad)
	add("nested-array-100k", rep("", "[", 100000, "", "]", ""), bad)
	add("nested-object-100k", rep("", `{"a":`, 100000, "1", "}", ""), bad)
	add("16MiB+1-whitespace-padded", rep("", " ", MiB16+1, "", "", ""), invalid2(n, "16 MiB"))

	wrongTypes := map[string]string{"number": "42", "string": `"NaN"`, "bool": "true", "array": "[]", "object": "{}", "negzero": "-0", "huge": "1e999"}
	accepts := map[kind]string{kInt: "number", kBool: "bool", kCmd: "array", kServices: "array", kEnv: "object", kOpts: "object",
		kReqObj: "object", kSpec: "object", kBuild: "object", kWSpec: "object", kWNode: "object"}
	var names []string
	for k := range wrongTypes {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, t := range names {
		acc := accepts[pr.k]
		if acc == t || (acc == "number" && (t == "negzero" || t == "huge")) {
			continue
		}
		e := bad
		if pr.k == kWSpec || pr.k == kWNode {
			e = cfg("")
		}
		add("wrong-type-"+t, lit(wrongTypes[t]), e)
	}
	switch pr.k {
	case kInt:
		add("zero", lit("0"), base)
		add("neg-zero", lit("-0"), base)
		add("neg-zero-float", lit("-0.0"), base)
		add("exp-form", lit("1e1"), base)
		add("16MiB-exact-whitespace-padded", rep("", " ", MiB16-1, "1", "", ""), base)
		add("negative", lit("-1"), invalid2(n, "integer"))
		add("min-int64", lit("-9223372036854775808"), invalid2(n, "integer"))
		add("fraction", lit("1.5"), invalid2(n, "integer"))
		add("tiny-fraction", lit("1e-300"), invalid2(n, "integer"))
		add("above-max", lit(fmt.Sprint(pr.max+1)), invalid2(n, "integer"))
		add("max", lit(fmt.Sprint(pr.max)), base)
		add("huge", lit("1e300"), invalid2(n, "integer"))
		add("overflow", lit("1e999"), bad)
		add("neg-overflow", lit("-1e999"), bad)
		add("beyond-int64", lit("9223372036854775808"), invalid2(n, "integer"))
		add("beyond-2^53", lit("9007199254740993"), invalid2(n, "integer"))
		add("string-number", lit(`"5"`), bad)
		add("array-of-number", lit("[5]"), bad)
	case kBool:
		add("true-padded", lit(" true\n"), base)
		add("false", lit("false"), base)
		add("one", lit("1"), bad)
		add("string-true", lit(`"true"`), bad)
		add("TRUE", lit("TRUE"), bad)
		add("yes", lit("yes"), bad)
	case kCmd, kServices:
		if pr.k == kCmd {
			add("empty-array", lit("[]"), invalid2(n, "non-empty"))
		} else {
			add("empty-array", lit("[]"), base)
			add("unknown-service", lit(`["nope"]`), anyErr())
		}
		add("array-of-number", lit("[1]"), bad)
		add("array-of-object", lit(`["a",{}]`), bad)
		add("array-of-array", lit(`[["a"]]`), bad)
		add("array-of-null", lit(`[null]`), anyResult())
		add("nested-in-array-100k", rep("[", "[", 100000, "", "]", "]"), bad)
		add("many-args", rep("[", `"x",`, 100000, `"x"`, "", "]"), anyResult())
		add("16MiB-exact-arg", rep(`["`, "x", MiB16-4, "", "", `"]`), anyResult())
		add("shell-meta-args", lit(`["sh","-c","$(id); echo $HOME | cat > /dev/null"]`), anyResult())
	case kEnv:
		add("value-number", lit(`{"A":1}`), bad)
		add("value-object", lit(`{"A":{}}`), bad)
		add("value-null", lit(`{"A":null}`), anyResult())
		add("empty-key", lit(`{"":"x"}`), anyResult())
		add("key-with-equals", lit(`{"A=B":"x"}`), anyResult())
		add("nul-in-value", lit(`{"A":"x\u0000y"}`), anyResult())
	case kOpts, kReqObj, kSpec, kBuild:
		typ := pr.typ
		if pr.k == kSpec {
			typ = reflect.TypeOf(core.ContainerSpec{})
		}
		baseObj := pr.base.Lead
		if pr.base.Null {
			baseObj = "{}"
		}
		add("unknown-key", lit(withKey(baseObj, "bogus_key_zz", "1")), invalid2(n, "bogus_key_zz"))
		add("unknown-key-case", lit(withKey(baseObj, "IMAGEX", `"x"`)), invalid2(n, "IMAGEX"))
		add("unknown-key-unicode", lit(withKey(baseObj, "ключ", `"x"`)), invalid2(n, "ключ"))
		add("nested-in-key-100k", rep(strings.TrimSuffix(baseObj, "}")+sep(baseObj)+`"bogus_nest":`, `{"a":`, 100000, "1", "}", "}"), bad)
		add("invalid-utf8-in-value", lit(strings.TrimSuffix(baseObj, "}")+sep(baseObj)+`"zz":"`+"\xff"+`"}`), invalid2(n, "UTF-8"))
		add("16MiB-whitespace-padded", rep("", " ", MiB16-len(baseObj)-16, baseObj, "", ""), base)
		if pr.k == kSpec {
			add("json-null", lit("null"), invalid2(n, "image"))
			add("empty-object", lit("{}"), invalid2(n, "image"))
			add("duplicate-key", lit(`{"image":"x y","image":"`+Image+`","labels":{"perry.test":"1"}}`), anyResult())
			add("image-empty", lit(`{"image":""}`), invalid2(n, "image"))
			add("image-blank", lit(`{"image":"  "}`), invalid2(n, "image"))
			add("image-nul", lit(`{"image":"busybox\u0000x"}`), invalid2(n, "NUL"))
			add("image-newline", lit(`{"image":"busybox\nx"}`), invalid2(n, "image"))
			add("name-leading-dash", lit(`{"image":"`+Image+`","name":"-rf"}`), invalid2(n, "name"))
			add("name-shell", lit(`{"image":"`+Image+`","name":"a;rm -rf /"}`), invalid2(n, "name"))
			add("env-key-equals", lit(`{"image":"`+Image+`","env":{"A=B":"x"}}`), invalid2(n, "env"))
			add("env-key-empty", lit(`{"image":"`+Image+`","env":{"":"x"}}`), invalid2(n, "env"))
			add("cmd-nul", lit(`{"image":"`+Image+`","cmd":["a\u0000b"]}`), invalid2(n, "NUL"))
			add("healthcheck-no-test", lit(`{"image":"`+Image+`","healthcheck":{"interval":"1s"}}`), invalid2(n, "healthcheck"))
			add("verify-no-issuer", lit(`{"image":"`+Image+`","verify":{"identity":"x"}}`), invalid2(n, "issuer"))
			for _, k := range []string{"memory", "memory_reservation", "shm_size"} {
				add("size-"+k+"-negative", lit(`{"image":"`+Image+`","`+k+`":-1}`), invalid2(n, k+" must not be negative"))
			}
			add("cpus-negative", lit(`{"image":"`+Image+`","cpus":-0.5}`), invalid2(n, "cpus must not be negative"))
			add("memory-1e30-says-the-range", lit(`{"image":"`+Image+`","memory":1e30}`), invalid2(n, "must be an integer from"))
			add("16MiB-exact-label", rep(`{"image":"`+Image+`","labels":{"perry.test":"1","big":"`, "x", MiB16-len(`{"image":"`+Image+`","labels":{"perry.test":"1","big":""}}`), "", "", `"}}`), anyResult())
		}
		if pr.k == kBuild {
			add("empty-object", lit("{}"), invalid2(n, "context"))
			add("json-null", lit("null"), invalid2(n, "required"))
		}
		if pr.k == kReqObj {
			add("json-null", lit("null"), invalid2(n, "required"))
		}
		for _, fv := range fieldVariants(typ, baseObj) {
			add(fv.name, lit(fv.json), fv.e(n, base))
		}
	case kWSpec, kWNode:
		add("unknown-key", lit(withKey(pr.base.Lead, "bogus_key_zz", "1")), cfg("bogus_key_zz"))
		add("nested-in-key-100k", rep(`{"nodes":`, `{"a":`, 100000, "1", "}", "}"), cfg(""))
		add("invalid-utf8-in-value", lit(`{"image":"`+"\xff"+`"}`), invalid2(n, "UTF-8"))
		add("numbers-NaN-like", lit(`{"nodes":{"a":{"image":"x","resources":{"cpu":"NaN","memory":"-1"}}}}`), anyResult())
		add("huge-number", lit(`{"nodes":{"a":{"image":"x","ports":[1e999]}}}`), cfg(""))
		add("json-null", lit("null"), anyResult())
		add("empty-object", lit("{}"), anyResult())
	}
	return out
}

func sep(obj string) string {
	if strings.TrimSpace(obj) == "{}" {
		return ""
	}
	return ","
}

// withKey adds "key": value to a JSON object literal.
func withKey(obj, key, value string) string {
	return strings.TrimSuffix(obj, "}") + sep(obj) + `"` + key + `":` + value + "}"
}

type fieldVariant struct {
	name, json string
	e          func(arg string, base Expect) Expect
}

// deref is t without its pointers.
func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// jsonField is f's JSON key and its type without pointers; ok is false
// for a field JSON does not see and for raw JSON (any value goes there).
func jsonField(f reflect.StructField) (key string, t reflect.Type, ok bool) {
	key, _, _ = strings.Cut(f.Tag.Get("json"), ",")
	t = deref(f.Type)
	return key, t, key != "" && key != "-" && f.IsExported() && t.Name() != "RawMessage"
}

// fieldVariants walks the JSON fields of t (one level of nesting into
// structs) and gives each a value of a wrong type, and each number the
// NaN-like, negative, fractional and out-of-range values.
func fieldVariants(t reflect.Type, baseObj string) []fieldVariant {
	var out []fieldVariant
	t = deref(t)
	for i := 0; i < t.NumField(); i++ {
		key, ft, ok := jsonField(t.Field(i))
		if !ok || ft == reflect.TypeOf([]byte(nil)) {
			continue
		}
		obj := func(v string) string { return withKey(baseObj, key, v) }
		// baseObj may already hold key: JSON's last duplicate wins.
		wrong := wrongFor(ft)
		k := key
		out = append(out, fieldVariant{"field-" + key + "-wrong-type", obj(wrong), func(arg string, _ Expect) Expect { return invalid2(arg, k) }})
		switch ft.Kind() {
		case reflect.Int, reflect.Int64, reflect.Int32:
			out = append(out,
				fieldVariant{"field-" + key + "-1e999", obj("1e999"), func(arg string, _ Expect) Expect { return invalid2(arg, k) }},
				fieldVariant{"field-" + key + "-fraction", obj("1.5"), func(arg string, _ Expect) Expect { return invalid2(arg, k) }},
				fieldVariant{"field-" + key + "-beyond-int64", obj("9223372036854775808"), func(arg string, _ Expect) Expect { return invalid2(arg, k) }},
				fieldVariant{"field-" + key + "-NaN-string", obj(`"NaN"`), func(arg string, _ Expect) Expect { return invalid2(arg, k) }},
				fieldVariant{"field-" + key + "-negative", obj("-1"), func(string, Expect) Expect { return anyResult() }},
				fieldVariant{"field-" + key + "-neg-zero", obj("-0"), func(string, Expect) Expect { return anyResult() }},
			)
		case reflect.Float64, reflect.Float32:
			out = append(out,
				fieldVariant{"field-" + key + "-1e999", obj("1e999"), func(arg string, _ Expect) Expect { return invalid2(arg, k) }},
				fieldVariant{"field-" + key + "-NaN-string", obj(`"NaN"`), func(arg string, _ Expect) Expect { return invalid2(arg, k) }},
				fieldVariant{"field-" + key + "-negative", obj("-1.5"), func(string, Expect) Expect { return anyResult() }},
				fieldVariant{"field-" + key + "-huge", obj("1e300"), func(string, Expect) Expect { return anyResult() }},
			)
		case reflect.Struct:
			// One level down: a wrong type inside the nested object.
			for j := 0; j < ft.NumField(); j++ {
				sk, st, ok := jsonField(ft.Field(j))
				if !ok {
					continue
				}
				sk2 := sk
				out = append(out, fieldVariant{"field-" + key + "." + sk + "-wrong-type", obj(`{"` + sk + `":` + wrongFor(st) + `}`),
					func(arg string, _ Expect) Expect { return invalid2(arg, sk2) }})
			}
			out = append(out, fieldVariant{"field-" + key + "-unknown-key", obj(`{"bogus_inner":1}`),
				func(arg string, _ Expect) Expect { return invalid2(arg, "bogus_inner") }})
		case reflect.Slice:
			et := deref(ft.Elem())
			out = append(out, fieldVariant{"field-" + key + "-wrong-element", obj("[" + wrongFor(et) + "]"),
				func(arg string, _ Expect) Expect { return invalid2(arg, k) }})
		case reflect.Map:
			if ft.Elem().Kind() == reflect.String {
				out = append(out, fieldVariant{"field-" + key + "-wrong-value", obj(`{"k":1}`),
					func(arg string, _ Expect) Expect { return invalid2(arg, k) }})
			}
		}
	}
	return out
}

// wrongFor is a JSON value that does not decode into t.
func wrongFor(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "123"
	case reflect.Bool:
		return `"yes"`
	case reflect.Int, reflect.Int64, reflect.Int32, reflect.Float64, reflect.Float32:
		return `"12"`
	case reflect.Slice, reflect.Array:
		return `{"a":1}`
	case reflect.Map, reflect.Struct:
		return `["a"]`
	}
	return `{"x":[1]}`
}

// composeVariants are bad compose models (inline JSON, or what is taken for a path).
func composeVariants() []struct {
	name string
	a    Arg
	e    Expect
} {
	type v = struct {
		name string
		a    Arg
		e    Expect
	}
	svc := func(s string) string {
		return `{"name":"bi-bad-@N@","services":{"a":` + s + `}}`
	}
	img := `"image":"` + Image + `"`
	ic := func(n string) Expect { return Expect{What: "E_ERR", Code: 400, Kind: "InvalidConfig", Needle: n} }
	list := []v{
		{"invalid-json", lit(`{"services":`), ic("")},
		{"invalid-json-trailing-comma", lit(`{"services":{},}`), ic("")},
		{"trailing-data", lit(`{"services":{}} {}`), cfg("")},
		{"wrong-type-array-is-a-path", lit(`[1,2]`), notFound("[1,2]")},
		{"wrong-type-number-is-a-path", lit(`42`), notFound("42")},
		{"wrong-type-string-is-a-path", lit(`"x"`), notFound(`x`)},
		{"missing-file", lit(`/nonexistent/perry/compose.yaml`), notFound("/nonexistent/perry/compose.yaml")},
		{"directory-path", lit(`/`), anyErr()},
		{"dev-null-path", lit(`/dev/null`), anyErr()},
		// Used to read forever (a hung call, memory growing without bound).
		{"dev-zero-path", lit(`/dev/zero`), ic("device")},
		{"dev-urandom-path", lit(`/dev/urandom`), ic("device")},
		{"not-yaml-file", lit(`/etc/hostname`), anyErr()},
		{"empty-object", lit(`{}`), cfg("")},
		{"services-array", lit(`{"services":[]}`), ic("services")},
		{"services-number", lit(`{"services":1}`), ic("services")},
		{"services-null", lit(`{"services":null}`), anyErr()},
		{"unknown-top-key", lit(`{"servces":{}}`), ic(`unknown key \"servces\"`)},
		{"unknown-service-key", lit(svc(`{` + img + `,"bogus_key":1}`)), ic(`services.a: unknown key \"bogus_key\"`)},
		{"unknown-nested-key", lit(svc(`{` + img + `,"healthcheck":{"testt":["CMD","true"]}}`)), ic(`services.a.healthcheck: unknown key \"testt\"`)},
		{"invalid-json-names-the-argument", lit(`{`), ic("spec: ")},
		{"image-wrong-type", lit(svc(`{"image":1}`)), ic("image")},
		{"no-image", lit(svc(`{}`)), ic("")},
		{"command-wrong-type", lit(svc(`{` + img + `,"command":{"a":1}}`)), ic("command")},
		{"environment-wrong-type", lit(svc(`{` + img + `,"environment":1}`)), ic("environment")},
		{"ports-out-of-range", lit(svc(`{` + img + `,"ports":["99999:80"]}`)), cfg("")},
		{"ports-negative", lit(svc(`{` + img + `,"ports":[-1]}`)), cfg("")},
		{"scale-negative", lit(svc(`{` + img + `,"scale":-1}`)), cfg("scale")},
		{"scale-1e999", lit(svc(`{` + img + `,"scale":1e999}`)), cfg("")},
		{"scale-huge", lit(svc(`{` + img + `,"scale":1e300}`)), cfg("")},
		{"scale-fraction", lit(svc(`{` + img + `,"scale":1.5}`)), cfg("")},
		{"cpus-NaN-string", lit(svc(`{` + img + `,"cpus":"NaN"}`)), ic("finite")},
		{"cpus-Inf-string", lit(svc(`{` + img + `,"cpus":"Inf"}`)), ic("finite")},
		{"cpu-percent-NaN-string", lit(svc(`{` + img + `,"cpu_percent":"NaN"}`)), cfg("")},
		{"cpus-1e999", lit(svc(`{` + img + `,"cpus":1e999}`)), cfg("")},
		{"cpus-negative", lit(svc(`{` + img + `,"cpus":-1}`)), ic("cpus must not be negative")},
		{"mem-limit-negative", lit(svc(`{` + img + `,"mem_limit":"-1"}`)), ic("mem_limit must not be negative")},
		{"mem-limit-garbage", lit(svc(`{` + img + `,"mem_limit":"lots"}`)), cfg("")},
		{"stop-grace-garbage", lit(svc(`{` + img + `,"stop_grace_period":"forever"}`)), cfg("")},
		{"healthcheck-interval-negative", lit(svc(`{` + img + `,"healthcheck":{"test":["CMD","true"],"interval":"-1s"}}`)), anyResult()},
		{"healthcheck-retries-NaN", lit(svc(`{` + img + `,"healthcheck":{"test":["CMD","true"],"retries":"NaN"}}`)), cfg("")},
		{"depends-on-missing", lit(svc(`{` + img + `,"depends_on":["nope"]}`)), cfg("nope")},
		{"depends-on-self", lit(svc(`{` + img + `,"depends_on":["a"]}`)), anyErr()},
		{"depends-on-bad-condition", lit(`{"name":"bi-bad-@N@","services":{"a":{` + img + `,"depends_on":{"b":{"condition":"bogus"}}},"b":{` + img + `}}}`), cfg("bogus")},
		{"dependency-cycle", lit(`{"name":"bi-bad-@N@","services":{"a":{` + img + `,"depends_on":["b"]},"b":{` + img + `,"depends_on":["a"]}}}`), Expect{What: "E_ERR", Code: 422, Kind: "DependencyCycle"}},
		{"volume-bad-type", lit(svc(`{` + img + `,"volumes":[{"type":"bogus","target":"/x"}]}`)), cfg("bogus")},
		{"network-undeclared", lit(svc(`{` + img + `,"networks":["nope"]}`)), cfg("nope")},
		{"network-driver-wrong-type", lit(`{"name":"bi-bad-@N@","services":{"a":{` + img + `}},"networks":{"n":{"driver":1}}}`), cfg("driver")},
		// compose-go used to panic here (a string where it asserts a bool).
		{"volume-external-wrong-type", lit(`{"name":"bi-bad-@N@","services":{"a":{` + img + `}},"volumes":{"v":{"external":"yes"}}}`), ic("wrong type")},
		// compose-go reads "yes" as true (YAML 1.1), with a warning.
		{"network-external-yes", lit(`{"name":"bi-bad-@N@","services":{"a":{` + img + `}},"networks":{"n":{"external":"yes"}}}`), anyResult()},
		{"network-external-number", lit(`{"name":"bi-bad-@N@","services":{"a":{` + img + `}},"networks":{"n":{"external":7}}}`), cfg("")},
		// A model's own name is normalized, as docker compose does.
		{"project-name-invalid", lit(`{"name":"UPPER case! @N@","services":{"a":{` + img + `}}}`), anyResult()},
		{"project-name-leading-dash", lit(`{"name":"-rf-@N@","services":{"a":{` + img + `}}}`), anyResult()},
		{"service-name-shell", lit(`{"name":"bi-bad-@N@","services":{"a;rm -rf":{` + img + `}}}`), cfg("")},
		{"image-nul", lit(svc(`{"image":"busybox\u0000x"}`)), ic("NUL")},
		{"environment-nul", lit(svc(`{` + img + `,"environment":{"A":"x\u0000y"}}`)), ic("NUL")},
		{"label-nul", lit(svc(`{` + img + `,"labels":{"a\u0000b":"x"}}`)), ic("NUL")},
		{"command-nul", lit(svc(`{` + img + `,"command":["echo","a\u0000b"]}`)), ic("NUL")},
		{"invalid-utf8-in-value", lit(svc(`{"image":"` + "\xff" + `"}`)), invalid2("spec", "UTF-8")},
		{"nested-object-100k", rep("", `{"a":`, 100000, "1", "}", ""), cfg("")},
		{"nested-in-labels-100k", rep(`{"name":"bi-bad-@N@","services":{"a":{`+img+`,"labels":`, `{"a":`, 100000, "1", "}", "}}}"), cfg("")},
		{"nested-array-100k-is-a-path", rep("", "[", 100000, "", "]", ""), anyErr()},
		{"16MiB+1-whitespace-padded", rep("", " ", MiB16+1, "", "", ""), invalid2("spec", "16 MiB")},
		{"16MiB-exact-label", rep(`{"name":"bi-big-@N@","services":{"a":{`+img+`,"command":["sleep","100"],"labels":{"big":"`, "x", MiB16-len(`{"name":"bi-big-@N@","services":{"a":{`+img+`,"command":["sleep","100"],"labels":{"big":""}}}}`)-8, "", "", `"}}}}`), anyResult()},
		{"interpolation-not-applied", lit(svc(`{` + img + `,"command":["echo","${HOME:?unset}","$$x"]}`)), anyResult()},
		{"extension-key", lit(`{"name":"bi-ext-@N@","x-anything":{"deep":[1,2,{"a":null}]},"services":{"a":{` + img + `,"command":["sleep","100"]}}}`), anyResult()},
		{"yaml-alias-bomb-path", lit(`/nonexistent/../../etc/../nonexistent/x.yaml`), notFound("x.yaml")},
	}
	return list
}

func handleVariants(f fn) []struct {
	name string
	mode string
	h    int64
	e    Expect
} {
	type v = struct {
		name string
		mode string
		h    int64
		e    Expect
	}
	other := HWorkload
	kindName := "compose handle"
	released := HComposeReleased
	if f.handle == "workload" {
		other, kindName, released = HCompose, "workload handle", HWorkloadReleased
	}
	unknown := int64(1)<<47 + 12345
	return []v{
		{"handle-zero", HLit, 0, invalid2("handle", "0")},
		{"handle-minus-one", HLit, -1, invalid2("handle", "-1")},
		{"handle-min-int64", HLit, math.MinInt64, invalid2("handle", "-9223372036854775808")},
		{"handle-max-int64", HLit, math.MaxInt64, invalid2("handle", "9223372036854775807")},
		{"handle-2^48", HLit, 1 << 48, invalid2("handle", "281474976710656")},
		{"handle-2^53+1", HLit, 1<<53 + 1, invalid2("handle", "9007199254740993")},
		{"handle-2^48-1-unknown", HLit, 1<<48 - 1, notFound("281474976710655")},
		{"handle-unknown", HLit, unknown, notFound(fmt.Sprint(unknown))},
		{"handle-released", released, 0, notFound(kindName)},
		{"handle-wrong-type", other, 0, invalid2("handle", kindName)},
	}
}

// cases builds the whole table.
func cases() []Case {
	var out []Case
	for _, f := range functions() {
		F := "F_" + f.sym
		baseArgs := func() []Arg {
			var as []Arg
			for _, pr := range f.params {
				as = append(as, pr.base)
			}
			return as
		}
		mk := func(cat, name string) Case {
			c := Case{Cat: cat, Name: f.sym + "/" + name, Fn: F, Args: baseArgs(), HMode: HLit}
			if f.handle != "" {
				c.HMode = f.hbase
			}
			if len(f.i32base) > 0 {
				c.I1 = f.i32base[0]
			}
			return c
		}
		// The baseline itself.
		if !f.noBase {
			c := mk("baseline", "baseline")
			c.Exp = f.base
			out = append(out, c)
		}
		if f.async {
			c := mk("null-callback", "NULL-callback")
			c.NullCB = true
			c.Exp = Expect{What: "E_REFUSED"}
			out = append(out, c)
		}
		for i, pr := range f.params {
			for _, v := range variants(f, pr) {
				if v.e.What == "" || f.endless && v.e.What == "E_ANY" {
					continue // would need every argument valid (noBase), or might stream forever (endless)
				}
				if strings.Contains(v.name, "16MiB-exact") && !f.heavy {
					continue
				}
				cat := category(pr, v.name)
				c := mk(cat, pr.name+"/"+v.name)
				c.Args[i] = v.a
				c.Exp = v.e
				if f.handle != "" && c.HMode == HComposeFresh && c.Exp.What != "E_OK" && c.Exp.What != "E_ANY" {
					// An argument error never brings the stack down; the live one serves.
					c.HMode = HCompose
				}
				if f.handle != "" && c.HMode == HWorkloadFresh && c.Exp.What != "E_OK" && c.Exp.What != "E_ANY" {
					c.HMode = HWorkload
				}
				out = append(out, c)
			}
		}
		if f.handle != "" {
			for _, hv := range handleVariants(f) {
				c := mk("handles", "handle/"+strings.TrimPrefix(hv.name, "handle-"))
				c.HMode, c.H, c.Exp = hv.mode, hv.h, hv.e
				out = append(out, c)
			}
		}
		for i, name := range f.i32 {
			for _, val := range []int64{0, -1, math.MinInt32, math.MaxInt32, 2} {
				c := mk("numbers", fmt.Sprintf("%s/%d", name, val))
				if i == 0 {
					c.I1 = val
				}
				c.Exp = f.base
				out = append(out, c)
			}
		}
	}
	// Functions that take no argument that can be bad.
	out = append(out,
		Case{Cat: "lifecycle", Name: "js_container_module_init/twice", Fn: "F_js_container_module_init", Exp: Expect{What: "E_VOID"}},
		Case{Cat: "lifecycle", Name: "js_container_abi_version/static", Fn: "F_js_container_abi_version", Exp: Expect{What: "E_VOID"}},
		Case{Cat: "null-pointer", Name: "js_container_free/NULL", Fn: "F_js_container_free", Exp: Expect{What: "E_VOID"}},
	)
	for _, t := range []struct {
		name   string
		ms, td int64
	}{{"minus-one", -1, 0}, {"min-int32", math.MinInt32, 1}, {"minus-one-teardown-garbage", -1, -7}} {
		out = append(out, Case{Cat: "numbers", Name: "js_container_shutdown/timeout-" + t.name, Fn: "F_js_container_shutdown", I1: t.ms, I2: t.td,
			Exp: invalid2("timeout_ms", "negative")})
	}
	// js_container_cancel: harmless on a ctx with nothing in flight (mode
	// in I1: NULL, a pointer never used, the ctx of a finished call); an
	// up in flight ends Cancelled and leaves nothing.
	for i, m := range []string{"NULL", "unknown-ctx", "finished-ctx"} {
		out = append(out, Case{Cat: "cancel", Name: "js_container_cancel/" + m, Fn: "F_js_container_cancel", I1: int64(i), Exp: Expect{What: "E_VOID"}})
	}
	out = append(out, Case{Cat: "cancel", Name: "cancel_up_in_flight", Fn: "F_SCN_CANCEL_UP", Exp: ok()})
	// Scenarios on handles.
	for _, s := range []string{"F_SCN_DOWN_TWICE_COMPOSE", "F_SCN_DOWN_TWICE_COMPOSE_ALIAS", "F_SCN_DOWN_TWICE_WORKLOAD",
		"F_SCN_CONCURRENT_DOWN_COMPOSE", "F_SCN_CONCURRENT_DOWN_WORKLOAD", "F_SCN_CALLS_DURING_DOWN_COMPOSE", "F_SCN_CALLS_DURING_DOWN_WORKLOAD"} {
		out = append(out, Case{Cat: "handles", Name: strings.ToLower(strings.TrimPrefix(s, "F_SCN_")), Fn: s, Exp: ok()})
	}
	// The shutdown, then every function again.
	out = append(out, Case{Cat: "after-shutdown", Name: "js_container_shutdown/teardown", Fn: "F_js_container_shutdown", I1: 10000, I2: 1, Phase: 1,
		Exp: Expect{What: "E_OK", Needle: "tornDown"}})
	for _, f := range functions() {
		c := Case{Cat: "after-shutdown", Name: f.sym + "/after-shutdown", Fn: "F_" + f.sym, HMode: HLit, Phase: 2}
		for _, pr := range f.params {
			c.Args = append(c.Args, pr.base)
		}
		if f.handle != "" {
			c.HMode = HCompose
			if f.handle == "workload" {
				c.HMode = HWorkload
			}
		}
		if len(f.i32base) > 0 {
			c.I1 = f.i32base[0]
		}
		switch {
		case f.async:
			c.Exp = cancelled()
		case f.sym == "js_workload_graph" || f.sym == "js_workload_node",
			f.sym == "js_container_compose_graph", f.sym == "js_compose_graph", f.sym == "js_workload_handle_graph":
			// Synchronous calls of the library state refuse too.
			c.Exp = cancelled()
		default:
			c.Exp = anyErr()
		}
		out = append(out, c)
		if f.async {
			n := c
			n.Name, n.NullCB, n.Exp = f.sym+"/after-shutdown-NULL-callback", true, Expect{What: "E_REFUSED"}
			out = append(out, n)
			if len(f.params) > 0 {
				b := c
				b.Args = append([]Arg(nil), c.Args...)
				b.Args[0] = lit("\xff")
				b.Name = f.sym + "/after-shutdown-bad-argument"
				b.Exp = anyErr()
				out = append(out, b)
			}
		}
	}
	out = append(out,
		Case{Cat: "after-shutdown", Name: "js_container_shutdown/again", Fn: "F_js_container_shutdown", I1: 1000, I2: 1, Phase: 2, Exp: ok()},
		Case{Cat: "after-shutdown", Name: "js_container_shutdown/again-negative", Fn: "F_js_container_shutdown", I1: -1, I2: 1, Phase: 2, Exp: invalid2("timeout_ms", "negative")},
		Case{Cat: "after-shutdown", Name: "js_container_cancel/after-shutdown", Fn: "F_js_container_cancel", I1: 1, Phase: 2, Exp: Expect{What: "E_VOID"}},
		Case{Cat: "after-shutdown", Name: "js_container_module_init/after-shutdown", Fn: "F_js_container_module_init", Phase: 2, Exp: Expect{What: "E_VOID"}},
		// module_init started a fresh state: calls work, old handles are gone.
		Case{Cat: "after-shutdown", Name: "js_container_list/after-reinit", Fn: "F_js_container_list", Args: []Arg{lit("true")}, Phase: 2, Exp: ok()},
		Case{Cat: "after-shutdown", Name: "js_container_compose_ps/old-handle-after-reinit", Fn: "F_js_container_compose_ps", HMode: HCompose, Phase: 2, Exp: notFound("")},
		Case{Cat: "after-shutdown", Name: "js_workload_handle_ps/old-handle-after-reinit", Fn: "F_js_workload_handle_ps", HMode: HWorkload, Phase: 2, Exp: notFound("")},
	)
	return out
}

func category(pr param, v string) string {
	switch {
	case v == "NULL":
		return "null-pointer"
	case strings.HasPrefix(v, "utf8") || strings.Contains(v, "utf8"):
		return "invalid-utf8"
	case strings.Contains(v, "MiB"):
		return "large-input"
	case strings.Contains(v, "100k"):
		return "deep-nesting"
	case strings.HasPrefix(v, "invalid-json") || v == "empty" || v == "whitespace" || v == "trailing-data":
		return "invalid-json"
	case strings.HasPrefix(v, "wrong-type") || strings.Contains(v, "wrong"):
		return "wrong-type"
	case strings.Contains(v, "unknown") || strings.Contains(v, "duplicate"):
		return "unknown-keys"
	case strings.Contains(v, "1e999") || strings.Contains(v, "NaN") || strings.Contains(v, "neg") || strings.Contains(v, "huge") ||
		strings.Contains(v, "fraction") || strings.Contains(v, "int64") || strings.Contains(v, "zero") || strings.Contains(v, "max") ||
		strings.Contains(v, "2^53") || strings.Contains(v, "overflow") || strings.Contains(v, "scale") || strings.Contains(v, "cpus"):
		return "numbers"
	case pr.k == kRawReq || pr.k == kRawOpt:
		return "raw-strings"
	}
	return "semantic"
}

// cstr writes s as a C string literal (octal escapes: no hex run-on).
func cstr(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '?':
			b.WriteString(`\077`) // no trigraphs
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		default:
			fmt.Fprintf(&b, "\\%03o", c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func cnull(s string) string {
	if s == "" {
		return "NULL"
	}
	return cstr(s)
}

func render(cs []Case) []byte {
	var b bytes.Buffer
	b.WriteString("/* GENERATED by `go run ./tests/c/badinput/gen`; DO NOT EDIT. */\n")
	counts := map[string]int{}
	for _, c := range cs {
		counts[c.Cat]++
	}
	var cats []string
	for k := range counts {
		cats = append(cats, k)
	}
	sort.Strings(cats)
	fmt.Fprintf(&b, "/* %d cases:", len(cs))
	for _, k := range cats {
		fmt.Fprintf(&b, " %s=%d", k, counts[k])
	}
	b.WriteString(" */\n")
	fns := map[string]bool{}
	var fnames []string
	for _, c := range cs {
		if !fns[c.Fn] {
			fns[c.Fn] = true
			fnames = append(fnames, c.Fn)
		}
	}
	b.WriteString("enum bi_fn {\n")
	for _, f := range fnames {
		fmt.Fprintf(&b, "  %s,\n", f)
	}
	b.WriteString("  F__COUNT\n};\n\n")
	b.WriteString("static const bi_case_t BI_CASES[] = {\n")
	for _, c := range cs {
		fmt.Fprintf(&b, "  {%s, %s, %s, {", cstr(c.Cat), cstr(c.Name), c.Fn)
		for i := 0; i < 4; i++ {
			if i > 0 {
				b.WriteString(", ")
			}
			if i >= len(c.Args) {
				b.WriteString("{A_NONE, NULL, NULL, 0, NULL, NULL, NULL}")
				continue
			}
			a := c.Args[i]
			if a.Null {
				b.WriteString("{A_NULL, NULL, NULL, 0, NULL, NULL, NULL}")
				continue
			}
			fmt.Fprintf(&b, "{A_STR, %s, %s, %dL, %s, %s, %s}", cstr(a.Lead), cnull(a.Rep), a.N, cnull(a.Mid), cnull(a.Rep2), cnull(a.Tail))
		}
		hm := c.HMode
		if hm == "" {
			hm = HLit
		}
		h := fmt.Sprintf("INT64_C(%d)", c.H)
		if c.H == math.MinInt64 {
			h = "INT64_MIN"
		}
		fmt.Fprintf(&b, "}, %s, %s, %d, %d, %d, %d, %s, %d, %s, %s, %s},\n",
			hm, h, c.I1, c.I2, b2i(c.NullCB), c.Phase, c.Exp.What, c.Exp.Code, cnull(c.Exp.Kind), cnull(c.Exp.Needle), cnull(c.Exp.Needle2))
	}
	b.WriteString("};\n")
	return b.Bytes()
}

func b2i(v bool) int {
	if v {
		return 1
	}
	return 0
}

func main() {
	out := flag.String("o", "tests/c/badinput/cases.inc", "output file")
	flag.Parse()
	if err := os.WriteFile(*out, render(cases()), 0o644); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
