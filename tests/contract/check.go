package contract

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/perryts/perry-container/core"
)

// Paths of the contract's files, relative to the repository root.
const (
	HeaderPath = "include/perry_container.h"
	TypesDir   = "include/types"
	WITPath    = "include/wit/perry-container.wit"
)

// TSModules are the TypeScript modules; perry/compose must be an alias of
// perry/container-compose.
var TSModules = []string{"perry/container", "perry/container-compose", "perry/compose", "perry/workloads"}

// Aliases maps a module to the module it must re-export entirely.
var Aliases = map[string]string{"perry/compose": "perry/container-compose"}

// Inputs is everything Check compares.
type Inputs struct {
	Header  *Header
	Exports map[string]*GoExport // ffi //export functions
	Symbols []string             // the library's dynamic symbols
	Lib     string               // the library's path, for messages
	// LibVersion is the version string ffi's js_container_abi_version()
	// returns (read from its source).
	LibVersion string
	TS         *TSWorld
	WIT        *WIT
	Model      *Model
	// ParseFailed is set when a declaration file could not be read or
	// parsed (Load reports why); Check then compares only what does not
	// depend on it, instead of reporting every consequence.
	ParseFailed bool
}

// Load reads the header, declarations and WIT under root (a copy of the
// repository's include/ may be given by includeRoot), the ffi exports and
// JSON types, and the core model. lib is the shared library to read the
// symbols of.
func Load(root, includeRoot, lib string) (*Inputs, []string, error) {
	var problems []string
	in := &Inputs{Lib: lib}
	read := func(rel string) (string, error) {
		b, err := os.ReadFile(filepath.Join(includeRoot, rel))
		return string(b), err
	}
	hsrc, err := read(HeaderPath)
	if err != nil {
		return nil, nil, err
	}
	var hp []string
	in.Header, hp = ParseHeader(HeaderPath, hsrc)
	problems = append(problems, hp...)

	var mods []*TSModule
	for _, m := range TSModules {
		rel := filepath.Join(TypesDir, m, "index.d.ts")
		src, err := read(rel)
		if err != nil {
			problems = append(problems, fmt.Sprintf("TypeScript module %s: %v", m, err))
			in.ParseFailed = true
			continue
		}
		mod, err := ParseTS(m, rel, src)
		if err != nil {
			problems = append(problems, "TypeScript: "+err.Error())
			in.ParseFailed = true
			continue
		}
		mods = append(mods, mod)
	}
	var wp []string
	in.TS, wp = NewTSWorld(mods)
	problems = append(problems, wp...)

	wsrc, err := read(WITPath)
	if err != nil {
		return nil, nil, err
	}
	in.WIT, err = ParseWIT(WITPath, wsrc)
	if err != nil {
		problems = append(problems, "WIT: "+err.Error())
		in.ParseFailed = true
		in.WIT = &WIT{Interfaces: map[string]*WInterface{}, Types: map[string]*WTypeDef{}, Worlds: map[string][]string{}}
	}

	splitCallParams(in)
	if in.LibVersion, err = ffiABIVersion(filepath.Join(root, "ffi", "exports.go")); err != nil {
		return nil, nil, err
	}

	in.Exports, err = ParseFFIExports(filepath.Join(root, "ffi"))
	if err != nil {
		return nil, nil, err
	}
	enums, err := ParseGoEnums(filepath.Join(root, "core"))
	if err != nil {
		return nil, nil, err
	}
	extra, err := ParseGoRecords(filepath.Join(root, "ffi"), "ffi", enums)
	if err != nil {
		return nil, nil, err
	}
	in.Model, err = BuildModel(filepath.Join(root, "core"), extra)
	if err != nil {
		return nil, nil, err
	}
	if lib != "" {
		in.Symbols, err = ExportedSymbols(lib)
		if err != nil {
			return nil, nil, err
		}
	}
	return in, problems, nil
}

// CallParam is the name of the trailing cancellation parameter of every
// asynchronous function (TypeScript `call?: CallOptions`, WIT
// `call: option<call-options>`).
const CallParam = "call"

// splitCallParams takes the trailing cancellation parameter out of every
// function's parameters: it has no C argument.
func splitCallParams(in *Inputs) {
	if in.TS != nil {
		for _, f := range in.TS.Funcs {
			if n := len(f.Params); n > 0 && f.Params[n-1].Name == CallParam {
				p := f.Params[n-1]
				f.Call, f.Params = &p, f.Params[:n-1]
			}
		}
	}
	if in.WIT != nil {
		for _, iname := range in.WIT.Order {
			for _, f := range in.WIT.Interfaces[iname].Funcs {
				if n := len(f.Params); n > 0 && f.Params[n-1].Name == CallParam {
					p := f.Params[n-1]
					f.Call, f.Params = &p, f.Params[:n-1]
				}
			}
		}
	}
}

// checkCall: an asynchronous function takes the cancellation parameter
// (optional, of the CallOptions type), a synchronous one does not.
func (c *checker) checkCall(who string, cf *CFunc, has, optional bool, typ, want string) {
	switch {
	case (cf.Ret == RetAsync || cf.Ret == RetStream) && !has:
		c.addf("%s: C %s is asynchronous, so it must take a last `%s` parameter of type %s (its AbortSignal maps to js_container_cancel)", who, cf.Name, CallParam, want)
	case cf.Ret != RetAsync && cf.Ret != RetStream && has:
		c.addf("%s: C %s is synchronous: it cannot be cancelled, so no `%s` parameter", who, cf.Name, CallParam)
	case has && (!optional || typ != want):
		c.addf("%s: the `%s` parameter must be optional and of type %s, got %s (optional %v)", who, CallParam, want, typ, optional)
	}
}

// checker accumulates problems.
type checker struct {
	in       *Inputs
	problems []string
}

func (c *checker) addf(format string, a ...any) {
	c.problems = append(c.problems, fmt.Sprintf(format, a...))
}

// Check compares everything and returns one message per divergence,
// sorted. An empty result means the contract holds.
func Check(in *Inputs) []string {
	c := &checker{in: in}
	c.checkSymbols()
	if in.ParseFailed {
		c.addf("(the TypeScript and WIT comparisons were skipped: fix the parse error first)")
		sort.Strings(c.problems)
		return c.problems
	}
	c.checkOperations()
	c.checkRecords()
	c.checkEnums()
	c.checkErrors()
	c.checkVersion()
	c.checkModules()
	for _, p := range in.WIT.Validate() {
		c.addf("%s", p)
	}
	sort.Strings(c.problems)
	return dedupe(c.problems)
}

func dedupe(s []string) []string {
	var out []string
	for i, x := range s {
		if i == 0 || x != s[i-1] {
			out = append(out, x)
		}
	}
	return out
}

// ---- Symbols: header vs library vs ffi --------------------------------------

func (c *checker) checkSymbols() {
	h := c.in.Header
	if c.in.Symbols != nil {
		lib := map[string]bool{}
		for _, s := range c.in.Symbols {
			lib[s] = true
			if _, ok := h.Funcs[s]; !ok {
				c.addf("symbol %s: exported by %s but not declared in %s", s, c.in.Lib, h.Path)
			}
		}
		for _, n := range h.Order {
			if !lib[n] {
				c.addf("symbol %s: declared in %s:%d but missing from %s (not exported)", n, h.Path, h.Funcs[n].Line, c.in.Lib)
			}
		}
	}
	for name, g := range c.in.Exports {
		f, ok := h.Funcs[name]
		if !ok {
			c.addf("symbol %s: ffi exports it (%s) but %s does not declare it", name, g.Pos, h.Path)
			continue
		}
		if cs, gs := cSignatureForGo(f), g.Signature(); cs != gs {
			c.addf("symbol %s: %s:%d declares %s but ffi (%s) defines %s", name, h.Path, f.Line, cs, g.Pos, gs)
		}
	}
	for _, n := range h.Order {
		if _, ok := c.in.Exports[n]; !ok {
			c.addf("symbol %s: declared in %s:%d but ffi has no //export %s", n, h.Path, h.Funcs[n].Line, n)
		}
	}
}

// ---- Operations: C symbol <-> WIT function <-> TypeScript functions -----------

// Operation is one row of the table: the C symbols (exact aliases), the WIT
// function and the TypeScript declarations that map to them.
type Operation struct {
	Symbols []string
	WIT     *WFunc
	TS      []*TSFunc
}

// Table builds the table (for humans: tests print it).
func Table(in *Inputs) []Operation {
	c := &checker{in: in}
	return c.checkOperations()
}

func (c *checker) checkOperations() []Operation {
	h := c.in.Header
	bySym := map[string]*Operation{}
	var ops []*Operation

	// WIT functions.
	witHost := map[string]bool{}
	for _, iname := range c.in.WIT.Order {
		in := c.in.WIT.Interfaces[iname]
		for _, s := range in.Doc.Words("ffi-host") {
			witHost[s] = true
			if _, ok := h.Funcs[s]; !ok {
				c.addf("WIT interface %s: @ffi-host names %s, which %s does not declare", iname, s, h.Path)
			}
		}
		for _, f := range in.Funcs {
			syms := f.Doc.Words("ffi")
			if len(syms) == 0 {
				c.addf("WIT function %s.%s (line %d): no `/// @ffi <symbol>` tag: it maps to no C function", iname, f.Name, f.Line)
				continue
			}
			op := &Operation{Symbols: syms, WIT: f}
			ops = append(ops, op)
			c.sameSignatures("WIT function "+iname+"."+f.Name, syms)
			for _, s := range syms {
				if _, ok := h.Funcs[s]; !ok {
					c.addf("WIT function %s.%s: @ffi names %s, which %s does not declare", iname, f.Name, s, h.Path)
					continue
				}
				if prev, dup := bySym[s]; dup {
					c.addf("symbol %s: mapped by two WIT functions, %s and %s", s, prev.WIT.Name, f.Name)
				}
				bySym[s] = op
			}
		}
	}

	// TypeScript functions.
	tsHost := map[string]bool{}
	for _, m := range c.in.TS.Modules {
		for _, s := range m.Doc.Words("ffiHost") {
			tsHost[s] = true
			if _, ok := h.Funcs[s]; !ok {
				c.addf("TypeScript %s: @ffiHost names %s, which %s does not declare", m.Path, s, h.Path)
			}
		}
	}
	tsBySym := map[string][]*TSFunc{}
	for _, f := range c.in.TS.Funcs {
		syms := f.Doc.Words("ffi")
		pure := f.Doc.Has("pure")
		if f.Doc == nil || strings.TrimSpace(f.Doc.Text) == "" {
			c.addf("TypeScript %s (line %d): no JSDoc description", f.Qual(), f.Line)
		}
		if f.Doc == nil {
			c.addf("TypeScript %s (line %d): neither `@ffi <symbol>` nor `@pure`: it maps to no C function", f.Qual(), f.Line)
			continue
		}
		switch {
		case len(syms) == 0 && !pure:
			c.addf("TypeScript %s (line %d): neither `@ffi <symbol>` nor `@pure`: it maps to no C function", f.Qual(), f.Line)
			continue
		case len(syms) > 0 && pure:
			c.addf("TypeScript %s: both @ffi and @pure", f.Qual())
		case pure:
			if !f.Doc.Has("returns") {
				c.addf("TypeScript %s: @pure function without @returns giving its exact value", f.Qual())
			}
			continue
		}
		if !f.Doc.Has("returns") {
			c.addf("TypeScript %s: no @returns (what it resolves to)", f.Qual())
		}
		if !f.Doc.Has("throws") || !mentionsKind(strings.Join(f.Doc.Tags["throws"], " "), c.in.Model.Kinds) {
			c.addf("TypeScript %s: no @throws naming the error kinds (and codes) it rejects with", f.Qual())
		}
		for _, p := range f.Params {
			if !f.Doc.Has("param") || !docHasParam(f.Doc, p.Name) {
				c.addf("TypeScript %s: parameter %s has no @param", f.Qual(), p.Name)
			}
		}
		c.sameSignatures("TypeScript "+f.Qual(), syms)
		for _, s := range syms {
			if _, ok := h.Funcs[s]; !ok {
				c.addf("TypeScript %s: @ffi names %s, which %s does not declare", f.Qual(), s, h.Path)
				continue
			}
			tsBySym[s] = append(tsBySym[s], f)
			c.compareTS(f, h.Funcs[s])
		}
	}

	// Every header function is mapped on both sides.
	for _, n := range h.Order {
		op := bySym[n]
		switch {
		case op == nil && !witHost[n]:
			c.addf("symbol %s: no WIT function maps it (no `/// @ffi %s`) and the WIT does not list it as @ffi-host", n, n)
		case op != nil && witHost[n]:
			c.addf("symbol %s: both mapped by WIT function %s and listed as @ffi-host", n, op.WIT.Name)
		}
		ts := tsBySym[n]
		switch {
		case len(ts) == 0 && !tsHost[n]:
			c.addf("symbol %s: no TypeScript declaration maps it (no `@ffi %s`) and no module lists it as @ffiHost", n, n)
		case len(ts) > 0 && tsHost[n]:
			c.addf("symbol %s: both mapped by TypeScript %s and listed as @ffiHost", n, ts[0].Qual())
		}
		if op != nil {
			for _, f := range ts {
				if !contains(op.TS, f) {
					op.TS = append(op.TS, f)
				}
			}
		}
	}
	for _, op := range ops {
		if op.WIT == nil {
			continue
		}
		f := h.Funcs[op.Symbols[0]]
		if f == nil {
			continue
		}
		c.compareWIT(op.WIT, f)
		for _, t := range op.TS {
			c.compareTSWIT(t, op.WIT, f)
		}
	}
	var out []Operation
	for _, op := range ops {
		out = append(out, *op)
	}
	return out
}

func contains(fs []*TSFunc, f *TSFunc) bool {
	for _, g := range fs {
		if g == f {
			return true
		}
	}
	return false
}

func mentionsKind(s string, kinds map[string]int) bool {
	for k := range kinds {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

func docHasParam(d *JSDoc, name string) bool {
	for _, v := range d.Tags["param"] {
		f := strings.Fields(v)
		if len(f) > 0 && strings.Trim(f[0], "[]") == name {
			return true
		}
	}
	return false
}

// sameSignatures checks that symbols given as aliases really are.
func (c *checker) sameSignatures(who string, syms []string) {
	var first *CFunc
	for _, s := range syms {
		f := c.in.Header.Funcs[s]
		if f == nil {
			continue
		}
		if first == nil {
			first = f
			continue
		}
		if f.Signature() != first.Signature() {
			c.addf("%s: @ffi lists %s %s and %s %s as aliases, but their C signatures differ", who, first.Name, first.Signature(), f.Name, f.Signature())
		}
	}
}

// cArgName folds a C parameter name for comparison: spec_json -> spec.
func cArgName(n string) string {
	n = strings.TrimSuffix(n, "_json_or_path")
	n = strings.TrimSuffix(n, "_json")
	return norm(n)
}

// tsArgKinds are the C kinds a TypeScript parameter may map to.
func (c *checker) tsArgKinds(t *TSType) []string {
	cat := c.in.TS.Cat(t)
	switch cat.Kind {
	case "object":
		if c.in.TS.IsHandle(cat.Name) {
			return []string{KindHandle}
		}
	case "string":
		return []string{KindRaw}
	case "union":
		if unionHasString(t, c.in.TS) {
			return []string{KindJSONOrRaw}
		}
	case "bool", "number":
		return []string{KindJSON, KindInt32}
	}
	return []string{KindJSON}
}

func unionHasString(t *TSType, w *TSWorld) bool {
	switch t.Kind {
	case "union":
		for _, a := range t.Args {
			if unionHasString(a, w) {
				return true
			}
		}
	case "name":
		if t.Name == "string" {
			return true
		}
		if a, ok := w.Aliases[t.Name]; ok {
			return unionHasString(a.Type, w)
		}
	}
	return false
}

func (c *checker) witArgKinds(t *WType) []string {
	cat, _ := c.in.WIT.Cat(t)
	for _, n := range cat.Chain {
		if strings.HasSuffix(n, "-handle") && cat.Kind == "int" {
			return []string{KindHandle}
		}
	}
	switch cat.Kind {
	case "string":
		if cat.Enum == "" {
			return []string{KindRaw}
		}
	case "union":
		return []string{KindJSONOrRaw}
	case "bool", "int", "float":
		return []string{KindJSON, KindInt32}
	}
	return []string{KindJSON}
}

func has(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// compareTS checks a TypeScript function against one C function.
func (c *checker) compareTS(f *TSFunc, cf *CFunc) {
	who := fmt.Sprintf("operation %s: TypeScript %s", cf.Name, f.Qual())
	if f.Call != nil {
		c.checkCall(who, cf, true, f.Call.Optional, f.Call.Type.String(), "CallOptions")
	} else {
		c.checkCall(who, cf, false, false, "", "CallOptions")
	}
	params := f.Params
	var kinds [][]string
	var names []string
	var optional []bool
	if f.Owner != "" && c.in.TS.IsHandle(f.Owner) {
		kinds = append(kinds, []string{KindHandle})
		names = append(names, "handle")
		optional = append(optional, false)
	} else if f.Owner != "" {
		if _, isIface := c.in.TS.Interfaces[f.Owner]; isIface {
			c.addf("%s: a method with @ffi on interface %s, which is not a @handle", who, f.Owner)
		}
	}
	for _, p := range params {
		kinds = append(kinds, c.tsArgKinds(p.Type))
		names = append(names, p.Name)
		optional = append(optional, p.Optional)
	}
	args := cf.Args()
	if len(kinds) != len(args) {
		c.addf("%s takes %d argument(s) (%s) but C %s takes %d (%s)", who, len(kinds), strings.Join(names, ", "), cf.Name, len(args), cNames(args))
	} else {
		for i, a := range args {
			if !has(kinds[i], a.Kind) {
				c.addf("%s: argument %d (%s) is passed as %s, but C parameter %s is %s (%s)", who, i+1, names[i], strings.Join(kinds[i], " or "), a.Name, a.Kind, a.Type)
			}
			if norm(names[i]) != cArgName(a.Name) {
				c.addf("%s: argument %d is named %s but C parameter %d is %s", who, i+1, names[i], i+1, a.Name)
			}
			if a.Kind == KindHandle && optional[i] {
				c.addf("%s: handle argument %s must not be optional", who, names[i])
			}
		}
	}
	rc := c.in.TS.Cat(f.Ret)
	switch cf.Ret {
	case RetAsync:
		if rc.Kind != "promise" {
			c.addf("%s returns %s, but C %s is asynchronous: it must return a Promise", who, f.Ret, cf.Name)
		}
	case RetStream:
		if rc.Kind != "stream" {
			c.addf("%s returns %s, but C %s streams chunks: it must return an AsyncIterable", who, f.Ret, cf.Name)
		}
	case RetEnvelope:
		if rc.Kind == "promise" || rc.Kind == "void" {
			c.addf("%s returns %s, but C %s is synchronous and returns a value: it must return the value, not a Promise", who, f.Ret, cf.Name)
		}
	case RetStatic:
		if rc.Kind != "string" {
			c.addf("%s returns %s, but C %s returns a static string", who, f.Ret, cf.Name)
		}
	case RetVoid:
		if rc.Kind != "void" {
			c.addf("%s returns %s, but C %s returns nothing", who, f.Ret, cf.Name)
		}
	}
}

func cNames(args []CParam) string {
	var out []string
	for _, a := range args {
		out = append(out, a.Name)
	}
	return strings.Join(out, ", ")
}

// compareWIT checks a WIT function against its C function.
func (c *checker) compareWIT(f *WFunc, cf *CFunc) {
	who := fmt.Sprintf("operation %s: WIT %s.%s", cf.Name, f.Iface, f.Name)
	if f.Call != nil {
		c.checkCall(who, cf, true, true, f.Call.Type.String(), "option<call-options>")
	} else {
		c.checkCall(who, cf, false, false, "", "option<call-options>")
	}
	args := cf.Args()
	if len(f.Params) != len(args) {
		var names []string
		for _, p := range f.Params {
			names = append(names, p.Name)
		}
		c.addf("%s takes %d argument(s) (%s) but C %s takes %d (%s)", who, len(f.Params), strings.Join(names, ", "), cf.Name, len(args), cNames(args))
	} else {
		for i, a := range args {
			p := f.Params[i]
			ks := c.witArgKinds(p.Type)
			if !has(ks, a.Kind) {
				c.addf("%s: argument %d (%s: %s) is passed as %s, but C parameter %s is %s (%s)", who, i+1, p.Name, p.Type, strings.Join(ks, " or "), a.Name, a.Kind, a.Type)
			}
			if norm(p.Name) != cArgName(a.Name) {
				c.addf("%s: argument %d is named %s but C parameter %d is %s", who, i+1, p.Name, i+1, a.Name)
			}
			if _, opt := c.in.WIT.Cat(p.Type); opt && (a.Kind == KindHandle || a.Kind == KindInt32) {
				c.addf("%s: argument %s is option<…> but C parameter %s (%s) cannot be NULL", who, p.Name, a.Name, a.Type)
			}
		}
	}
	isResult := f.Result != nil && f.Result.Kind == "result"
	switch cf.Ret {
	case RetAsync, RetEnvelope, RetStream:
		if !isResult {
			c.addf("%s returns %s, but C %s returns an envelope: it must return result<T, container-error>", who, f.Result, cf.Name)
		} else if len(f.Result.Args) != 2 || f.Result.Args[1].Kind != "named" || f.Result.Args[1].Name != "container-error" {
			c.addf("%s returns %s: the error type must be container-error", who, f.Result)
		} else if stream := f.Result.Args[0].Kind == "stream"; stream != (cf.Ret == RetStream) {
			c.addf("%s returns %s, but C %s streams chunks: %v (the ok type must be stream<T> exactly for a streaming function)", who, f.Result, cf.Name, cf.Ret == RetStream)
		}
	case RetStatic:
		if f.Result == nil || f.Result.Kind != "prim" || f.Result.Name != "string" {
			c.addf("%s returns %s, but C %s returns a static string: it must return string", who, f.Result, cf.Name)
		}
	case RetVoid:
		if f.Result != nil {
			c.addf("%s returns %s, but C %s returns nothing", who, f.Result, cf.Name)
		}
	}
}

// compareTSWIT checks a TypeScript function against the WIT function of the
// same operation: argument types, optionality, and the result.
func (c *checker) compareTSWIT(t *TSFunc, f *WFunc, cf *CFunc) {
	who := fmt.Sprintf("operation %s: TypeScript %s vs WIT %s.%s", cf.Name, t.Qual(), f.Iface, f.Name)
	type arg struct {
		name string
		opt  bool
		cat  Cat
	}
	var ta []arg
	if t.Owner != "" && c.in.TS.IsHandle(t.Owner) {
		ta = append(ta, arg{"handle", false, Cat{Kind: "object", Name: t.Owner}})
	}
	for _, p := range t.Params {
		ta = append(ta, arg{p.Name, p.Optional, c.in.TS.Cat(p.Type)})
	}
	if len(ta) != len(f.Params) {
		return // reported against C already
	}
	args := cf.Args()
	for i, p := range f.Params {
		wc, wopt := c.in.WIT.Cat(p.Type)
		if i < len(args) && args[i].Kind != KindInt32 && ta[i].opt != wopt {
			c.addf("%s: argument %s is optional in one and not the other (TypeScript %v, WIT %v)", who, ta[i].name, ta[i].opt, wopt)
		}
		if i < len(args) && args[i].Kind == KindHandle {
			continue // the TS handle object vs the WIT s64 alias: checked as kinds
		}
		if !c.compatTSWIT(ta[i].cat, wc) {
			c.addf("%s: argument %s is %s in TypeScript but %s in WIT", who, ta[i].name, ta[i].cat, wc)
		}
	}
	// Results.
	rc := c.in.TS.Cat(t.Ret)
	if rc.Kind == "promise" {
		rc = *rc.Elem
	}
	if f.Result == nil {
		return
	}
	var wr Cat
	if f.Result.Kind == "result" {
		if len(f.Result.Args) == 0 || f.Result.Args[0].Kind == "_" {
			wr = Cat{Kind: "void"}
		} else {
			wr, _ = c.in.WIT.Cat(f.Result.Args[0])
		}
	} else {
		wr, _ = c.in.WIT.Cat(f.Result)
	}
	if !c.compatTSWIT(rc, wr) {
		c.addf("%s: the result is %s in TypeScript but %s in WIT", who, rc, wr)
	}
}

// ---- Compatibility of categories --------------------------------------------------

func numeric(k string) bool { return k == "number" || k == "int" || k == "float" }

// compat compares two categories; objName maps a's object names into b's
// naming for comparison.
func compat(a, b Cat) bool {
	if a.Kind == "any" || b.Kind == "any" {
		return true
	}
	if numeric(a.Kind) && numeric(b.Kind) {
		return a.Kind == b.Kind || a.Kind == "number" || b.Kind == "number"
	}
	if a.Kind != b.Kind {
		return false
	}
	switch a.Kind {
	case "string":
		switch {
		case a.Enum != "" && b.Enum != "":
			return norm(a.Enum) == norm(b.Enum)
		case a.Enum != "":
			return inChain(a.Enum, b.Chain)
		case b.Enum != "":
			return inChain(b.Enum, a.Chain)
		}
		return true
	case "array", "map", "promise", "stream":
		return compat(*a.Elem, *b.Elem)
	case "object":
		return norm(a.Name) == norm(b.Name) || a.Alt != "" && norm(a.Alt) == norm(b.Name) || b.Alt != "" && norm(b.Alt) == norm(a.Name)
	}
	return true
}

func inChain(name string, chain []string) bool {
	for _, c := range chain {
		if norm(c) == norm(name) {
			return true
		}
	}
	return false
}

func (c *checker) compatTSWIT(t, w Cat) bool { return compat(t, w) }

// ---- Records ---------------------------------------------------------------------

func (c *checker) checkRecords() {
	m := c.in.Model
	names := make([]string, 0, len(m.Records))
	for n := range m.Records {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		r := m.Records[n]
		it, ok := c.in.TS.Interfaces[r.TSName]
		if !ok {
			c.addf("type %s (Go %s): no TypeScript interface %s", r.TSName, r.GoName, r.TSName)
		} else {
			c.compareGoTS(r, it)
		}
		wr, ok := c.in.WIT.Types[Kebab(r.TSName)]
		if !ok || wr.Kind != "record" {
			c.addf("type %s (Go %s): no WIT record %s", r.TSName, r.GoName, Kebab(r.TSName))
		} else {
			c.compareGoWIT(r, wr)
		}
		for _, f := range r.Fields {
			c.checkRef(r.GoName+"."+f.Name, f.Type)
		}
	}
	// Every WIT record is a TypeScript interface with the same members.
	for _, iname := range c.in.WIT.Order {
		for _, d := range sortedTypes(c.in.WIT.Interfaces[iname]) {
			if d.Kind != "record" || d.Doc.Has("wit-only") {
				continue
			}
			it := c.tsInterfaceFor(d.Name)
			if it == nil {
				c.addf("WIT record %s (line %d): no TypeScript interface of that name", d.Name, d.Line)
				continue
			}
			c.compareTSWITRecord(it, d)
		}
	}
	// Handle objects carry the members of the result they wrap.
	for _, it := range c.sortedInterfaces() {
		if ws := it.Doc.Words("wraps"); len(ws) > 0 {
			if !it.Doc.Has("handle") {
				c.addf("TypeScript %s: @wraps without @handle", it.Name)
			}
			w, ok := c.in.TS.Interfaces[ws[0]]
			if !ok {
				c.addf("TypeScript %s: @wraps %s, which is not an interface", it.Name, ws[0])
				continue
			}
			c.compareTSFields("TypeScript handle "+it.Name, it.Body.Fields, "TypeScript "+w.Name, w.Body.Fields)
		} else if it.Doc.Has("handle") {
			c.addf("TypeScript handle %s: no @wraps naming the C result it is built from", it.Name)
		}
		if ps := it.Doc.Words("partialOf"); len(ps) > 0 {
			c.checkPartial(it, ps[0])
		}
	}
}

func sortedTypes(in *WInterface) []*WTypeDef {
	var out []*WTypeDef
	for _, d := range in.Types {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (c *checker) sortedInterfaces() []*TSInterface {
	var out []*TSInterface
	for _, it := range c.in.TS.Interfaces {
		out = append(out, it)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (c *checker) tsInterfaceFor(witName string) *TSInterface {
	for _, it := range c.sortedInterfaces() {
		if Kebab(it.Name) == witName {
			return it
		}
	}
	return nil
}

// checkRef reports an object type that names no record on the Go side.
func (c *checker) checkRef(where string, t Cat) {
	switch t.Kind {
	case "object":
		if _, ok := c.in.Model.Records[t.Name]; !ok {
			c.addf("Go %s refers to %s, which is not a record of the model (add it to CoreRoots)", where, t.Name)
		}
	case "array", "map":
		c.checkRef(where, *t.Elem)
	}
}

func (c *checker) compareGoTS(r *Record, it *TSInterface) {
	who := fmt.Sprintf("type %s", r.TSName)
	ts := map[string]TSField{}
	for _, f := range it.Body.Fields {
		ts[f.Name] = f
	}
	for _, f := range r.Fields {
		tf, ok := ts[f.Name]
		if !ok {
			c.addf("%s: Go %s has JSON field %q but TypeScript interface %s (%s) does not", who, r.GoName, f.Name, it.Name, it.Module)
			continue
		}
		if tf.Optional != f.Optional {
			c.addf("%s: field %q is %s in Go %s but %s in TypeScript", who, f.Name, optWord(f.Optional), r.GoName, optWord(tf.Optional))
		}
		if tc := c.in.TS.Cat(tf.Type); !compat(f.Type, tc) {
			c.addf("%s: field %q is %s in Go %s but %s (%s) in TypeScript", who, f.Name, f.Type, r.GoName, tc, tf.Type)
		}
	}
	gf := map[string]bool{}
	for _, f := range r.Fields {
		gf[f.Name] = true
	}
	for _, f := range it.Body.Fields {
		if !gf[f.Name] {
			c.addf("%s: TypeScript interface %s has field %q but Go %s has no such JSON field", who, it.Name, f.Name, r.GoName)
		}
	}
	if len(it.Body.Methods) > 0 {
		c.addf("%s: TypeScript interface %s of Go %s has methods", who, it.Name, r.GoName)
	}
}

func optWord(b bool) string {
	if b {
		return "optional"
	}
	return "required"
}

// jsonCase is the case rule of a WIT record's JSON names: "camel" (the
// default: exit-code is "exitCode") or "snake" (`/// @json-case snake`:
// read-only is "read_only"). Kebab-case alone cannot tell them apart.
func (c *checker) jsonCase(d *WTypeDef) string {
	ws := d.Doc.Words("json-case")
	if len(ws) == 0 {
		return "camel"
	}
	if ws[0] != "snake" && ws[0] != "camel" {
		c.addf("WIT record %s: @json-case %s: want snake or camel", d.Name, ws[0])
	}
	return ws[0]
}

// JSONName is the JSON member a WIT field stands for under a case rule.
func JSONName(witField, rule string) string {
	if rule == "snake" {
		return strings.ReplaceAll(witField, "-", "_")
	}
	parts := strings.Split(witField, "-")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}

func (c *checker) compareGoWIT(r *Record, d *WTypeDef) {
	who := fmt.Sprintf("type %s", r.TSName)
	rule := c.jsonCase(d)
	wf := map[string]WField{}
	for _, f := range d.Fields {
		wf[JSONName(f.Name, rule)] = f
	}
	gf := map[string]bool{}
	for _, f := range r.Fields {
		gf[f.Name] = true
		w, ok := wf[f.Name]
		if !ok {
			c.addf("%s: Go %s has JSON field %q but WIT record %s (%s-case JSON names) has no field %s", who, r.GoName, f.Name, d.Name, rule, Kebab(f.Name))
			continue
		}
		wc, wopt := c.in.WIT.Cat(w.Type)
		if wopt != f.Optional {
			c.addf("%s: field %q is %s in Go %s but %s in WIT (%s)", who, f.Name, optWord(f.Optional), r.GoName, optWord(wopt), w.Type)
		}
		if !compat(f.Type, wc) {
			c.addf("%s: field %q is %s in Go %s but %s (%s) in WIT", who, f.Name, f.Type, r.GoName, wc, w.Type)
		}
	}
	for _, f := range d.Fields {
		if j := JSONName(f.Name, rule); !gf[j] {
			c.addf("%s: WIT record %s has field %s (JSON %q) but Go %s has no such JSON field", who, d.Name, f.Name, j, r.GoName)
		}
	}
}

func (c *checker) compareTSWITRecord(it *TSInterface, d *WTypeDef) {
	who := fmt.Sprintf("type %s", it.Name)
	rule := c.jsonCase(d)
	wf := map[string]WField{}
	for _, f := range d.Fields {
		wf[JSONName(f.Name, rule)] = f
	}
	seen := map[string]bool{}
	for _, f := range it.Body.Fields {
		seen[f.Name] = true
		w, ok := wf[f.Name]
		if !ok {
			c.addf("%s: TypeScript field %q has no WIT field %s in record %s (%s-case JSON names)", who, f.Name, Kebab(f.Name), d.Name, rule)
			continue
		}
		wc, wopt := c.in.WIT.Cat(w.Type)
		if wopt != f.Optional {
			c.addf("%s: field %q is %s in TypeScript but %s in WIT (%s)", who, f.Name, optWord(f.Optional), optWord(wopt), w.Type)
		}
		if tc := c.in.TS.Cat(f.Type); !compat(tc, wc) {
			c.addf("%s: field %q is %s (%s) in TypeScript but %s (%s) in WIT", who, f.Name, tc, f.Type, wc, w.Type)
		}
	}
	for _, f := range d.Fields {
		if j := JSONName(f.Name, rule); !seen[j] {
			c.addf("%s: WIT record %s has field %s (JSON %q) but TypeScript interface %s has no such field", who, d.Name, f.Name, j, it.Name)
		}
	}
}

func (c *checker) compareTSFields(aw string, a []TSField, bw string, b []TSField) {
	bm := map[string]TSField{}
	for _, f := range b {
		bm[f.Name] = f
	}
	am := map[string]bool{}
	for _, f := range a {
		am[f.Name] = true
		g, ok := bm[f.Name]
		if !ok {
			c.addf("%s has field %q but %s does not", aw, f.Name, bw)
			continue
		}
		if f.Optional != g.Optional || !compat(c.in.TS.Cat(f.Type), c.in.TS.Cat(g.Type)) {
			c.addf("%s: field %q differs from %s (%s%s vs %s%s)", aw, f.Name, bw, f.Type, optMark(f.Optional), g.Type, optMark(g.Optional))
		}
	}
	for _, f := range b {
		if !am[f.Name] {
			c.addf("%s lacks field %q of %s", aw, f.Name, bw)
		}
	}
}

func optMark(b bool) string {
	if b {
		return "?"
	}
	return ""
}

// checkPartial checks a TypeScript interface tagged @partialOf X: each of
// its fields is an optional field of X (a Go record, else an interface).
func (c *checker) checkPartial(it *TSInterface, of string) {
	who := fmt.Sprintf("TypeScript %s (@partialOf %s)", it.Name, of)
	var fields map[string]Cat
	if r, ok := c.in.Model.Records[of]; ok {
		fields = map[string]Cat{}
		for _, f := range r.Fields {
			fields[f.Name] = f.Type
		}
	} else if o, ok := c.in.TS.Interfaces[of]; ok {
		fields = map[string]Cat{}
		for _, f := range o.Body.Fields {
			fields[f.Name] = c.in.TS.Cat(f.Type)
		}
	} else {
		c.addf("%s: no such record or interface", who)
		return
	}
	for _, f := range it.Body.Fields {
		g, ok := fields[f.Name]
		if !ok {
			c.addf("%s: field %q is not a field of %s (the library rejects unknown keys)", who, f.Name, of)
			continue
		}
		if !f.Optional {
			c.addf("%s: field %q must be optional", who, f.Name)
		}
		if tc := c.in.TS.Cat(f.Type); !compat(g, tc) {
			c.addf("%s: field %q is %s but %s in %s", who, f.Name, tc, g, of)
		}
	}
}

// ---- Enums and errors ----------------------------------------------------------

// checkEnums compares every Go string enum used by a record with the
// TypeScript alias of the same name and the WIT enum of its kebab name.
func (c *checker) checkEnums() {
	used := map[string]bool{}
	var mark func(t Cat)
	mark = func(t Cat) {
		if t.Enum != "" {
			used[t.Enum] = true
		}
		if t.Elem != nil {
			mark(*t.Elem)
		}
	}
	for _, r := range c.in.Model.Records {
		for _, f := range r.Fields {
			mark(f.Type)
		}
	}
	var names []string
	for n := range used {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		goVals := c.in.Model.Enums[n]
		tsVals, ok := c.in.TS.StringLiterals(n)
		if !ok {
			c.addf("enum %s: no TypeScript type %s that is a union of string literals", n, n)
		} else {
			c.sameSet("enum "+n, "Go core."+n, goVals, "TypeScript "+n, tsVals)
		}
		d, ok := c.in.WIT.Types[Kebab(n)]
		if !ok || d.Kind != "enum" {
			c.addf("enum %s: no WIT enum %s", n, Kebab(n))
			continue
		}
		var want, got []string
		for _, v := range goVals {
			want = append(want, Kebab(v))
		}
		for _, cs := range d.Cases {
			got = append(got, cs.Name)
		}
		c.sameSet("enum "+n, "Go core."+n+" (kebab-cased)", want, "WIT enum "+d.Name, got)
	}
}

func (c *checker) sameSet(who, an string, a []string, bn string, b []string) {
	bs := map[string]bool{}
	for _, x := range b {
		bs[x] = true
	}
	as := map[string]bool{}
	for _, x := range a {
		as[x] = true
		if !bs[x] {
			c.addf("%s: %s has %q but %s does not", who, an, x, bn)
		}
	}
	for _, x := range b {
		if !as[x] {
			c.addf("%s: %s has %q but %s does not", who, bn, x, an)
		}
	}
}

// checkErrors compares the error kinds and codes of core, the header's
// table, TypeScript's ErrorKind and ErrorCodes, and WIT's container-error.
func (c *checker) checkErrors() {
	kinds := c.in.Model.Kinds
	var goKinds []string
	for k := range kinds {
		goKinds = append(goKinds, k)
	}
	sort.Strings(goKinds)
	// Header #defines: one per kind, PERRY_CONTAINER_E_NOT_FOUND 404.
	for _, k := range goKinds {
		name := ErrorDefine(k)
		v, ok := c.in.Header.Defines[name]
		switch {
		case !ok:
			c.addf("error kind %s: %s has no #define %s", k, c.in.Header.Path, name)
		case v != strconv.Itoa(kinds[k]):
			c.addf("error kind %s: #define %s %s in %s but code %d in core", k, name, v, c.in.Header.Path, kinds[k])
		}
	}
	// Header.
	var hk []string
	for k, code := range c.in.Header.Codes {
		hk = append(hk, k)
		if want, ok := kinds[k]; ok && want != code {
			c.addf("error kind %s: code %d in %s but %d in core", k, code, c.in.Header.Path, want)
		}
	}
	c.sameSet("error kinds", "core", goKinds, c.in.Header.Path+" (CONVENTIONS code table)", hk)
	// TypeScript.
	if lits, ok := c.in.TS.StringLiterals("ErrorKind"); ok {
		c.sameSet("error kinds", "core", goKinds, "TypeScript ErrorKind", lits)
	} else {
		c.addf("error kinds: no TypeScript type ErrorKind (a union of string literals)")
	}
	if it, ok := c.in.TS.Interfaces["ErrorCodes"]; ok {
		var names []string
		for _, f := range it.Body.Fields {
			names = append(names, f.Name)
			code, err := strconv.Atoi(f.Type.Lit)
			if f.Type.Kind != "lit" || err != nil {
				c.addf("error kind %s: TypeScript ErrorCodes.%s must be a numeric literal", f.Name, f.Name)
				continue
			}
			if want, ok := kinds[f.Name]; ok && want != code {
				c.addf("error kind %s: code %d in TypeScript ErrorCodes but %d in core", f.Name, code, want)
			}
		}
		c.sameSet("error kinds", "core", goKinds, "TypeScript ErrorCodes", names)
	} else {
		c.addf("error kinds: no TypeScript interface ErrorCodes")
	}
	// WIT.
	d, ok := c.in.WIT.Types["container-error"]
	if !ok || d.Kind != "variant" {
		c.addf("error kinds: no WIT variant container-error")
		return
	}
	var want, got []string
	byCase := map[string]string{}
	for _, k := range goKinds {
		want = append(want, Kebab(k))
		byCase[Kebab(k)] = k
	}
	for _, cs := range d.Cases {
		got = append(got, cs.Name)
		codes := cs.Doc.Words("code")
		if len(codes) != 1 {
			c.addf("error kind %s: WIT case container-error.%s has no `/// @code N`", byCase[cs.Name], cs.Name)
			continue
		}
		code, _ := strconv.Atoi(codes[0])
		if k, ok := byCase[cs.Name]; ok && kinds[k] != code {
			c.addf("error kind %s: code %d in WIT but %d in core", k, code, kinds[k])
		}
	}
	c.sameSet("error kinds", "core (kebab-cased)", want, "WIT variant container-error", got)
}

// checkModules checks the module structure: aliases, re-exports, imports.
func (c *checker) checkModules() {
	for _, path := range TSModules {
		m, ok := c.in.TS.Modules[path]
		if !ok {
			continue // reported by Load
		}
		if m.Doc == nil {
			c.addf("TypeScript %s: no file-level JSDoc with @packageDocumentation", path)
		}
		if target, isAlias := Aliases[path]; isAlias {
			if len(m.ExportAll) != 1 || m.ExportAll[0] != target || len(m.DeclaredAny) > 0 || len(m.ReExports) > 0 {
				c.addf("TypeScript %s must be exactly `export * from` %s (an alias), got export-all %v and %d declarations", path, target, m.ExportAll, len(m.DeclaredAny))
			}
			continue
		}
		for from, names := range m.ReExports {
			c.checkNamesIn(path, "re-exports", from, names)
		}
		for from, names := range m.Imports {
			c.checkNamesIn(path, "imports", from, names)
		}
	}
}

func (c *checker) checkNamesIn(path, verb, from string, names []string) {
	src, ok := c.in.TS.Modules[from]
	if !ok {
		c.addf("TypeScript %s %s from %s, which is not one of the modules", path, verb, from)
		return
	}
	declared := map[string]bool{}
	for _, n := range src.DeclaredAny {
		declared[n] = true
	}
	for _, n := range names {
		if !declared[n] {
			c.addf("TypeScript %s %s %s from %s, which does not declare it", path, verb, n, from)
		}
	}
}

// ErrorDefine is the header macro of an error kind's code:
// NotFound -> PERRY_CONTAINER_E_NOT_FOUND.
func ErrorDefine(kind string) string {
	return "PERRY_CONTAINER_E_" + strings.ToUpper(strings.ReplaceAll(Kebab(kind), "-", "_"))
}

// checkVersion: the header's version string and number, core.ABIVersion
// and the library's js_container_abi_version() are one version.
func (c *checker) checkVersion() {
	d := c.in.Header.Defines
	str := strings.Trim(d["PERRY_CONTAINER_ABI_VERSION"], `"`)
	if str != core.ABIVersion {
		c.addf("ABI version: %s says PERRY_CONTAINER_ABI_VERSION %q but core.ABIVersion is %q", c.in.Header.Path, str, core.ABIVersion)
	}
	var maj, min, pat int
	if _, err := fmt.Sscanf(core.ABIVersion, "%d.%d.%d", &maj, &min, &pat); err != nil {
		c.addf("ABI version: core.ABIVersion %q is not major.minor.patch", core.ABIVersion)
	}
	if want := strconv.Itoa(maj*1000000 + min*1000 + pat); d["PERRY_CONTAINER_ABI_VERSION_NUMBER"] != want {
		c.addf("ABI version: %s says PERRY_CONTAINER_ABI_VERSION_NUMBER %s but core.ABIVersion %s is %s", c.in.Header.Path, d["PERRY_CONTAINER_ABI_VERSION_NUMBER"], core.ABIVersion, want)
	}
	if c.in.LibVersion != "" && c.in.LibVersion != core.ABIVersion {
		c.addf("ABI version: ffi's js_container_abi_version() answers %q but core.ABIVersion is %q", c.in.LibVersion, core.ABIVersion)
	}
}

var reFFIVersion = regexp.MustCompile(`perry_abi_version\[\] = "([^"]*)"`)

// ffiABIVersion reads the string js_container_abi_version() returns.
func ffiABIVersion(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	m := reFFIVersion.FindSubmatch(b)
	if m == nil {
		return "", fmt.Errorf("%s: no perry_abi_version string", path)
	}
	return string(m[1]), nil
}
