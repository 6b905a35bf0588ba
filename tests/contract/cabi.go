package contract

import (
	"bufio"
	"bytes"
	"debug/elf"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Argument kinds of the C ABI, as a host must produce them.
const (
	KindRaw       = "raw"      // const char *: a raw UTF-8 string
	KindJSON      = "json"     // const char *: JSON text
	KindJSONOrRaw = "json|raw" // const char *: a JSON object, or a raw string (a path)
	KindHandle    = "i64"      // int64_t handle
	KindInt32     = "i32"      // int32_t
	KindPtr       = "ptr"      // char * owned by the library (js_container_free)
	KindCallback  = "cb"       // perry_complete_fn
	KindChunk     = "chunk"    // perry_chunk_fn: a followed stream's chunks
	KindCtx       = "ctx"      // void *ctx
	RetAsync      = "async"    // int32_t, completes through cb
	RetStream     = "stream"   // int32_t, chunks through a perry_chunk_fn, then cb
	RetEnvelope   = "envelope" // char *: a malloc'd envelope
	RetStatic     = "static"   // const char *: a static string
	RetVoid       = "void"     // nothing
)

// CParam is one parameter of a C function.
type CParam struct {
	Type string // e.g. "const char *"
	Name string
	Kind string
}

// CFunc is one function of the header.
type CFunc struct {
	Name   string
	Ret    string // return kind: RetAsync, RetEnvelope, RetStatic, RetVoid
	Params []CParam
	Line   int
}

// Args returns the parameters a TypeScript or WIT function maps to: all but
// the chunk callback and the trailing callback and context.
func (f *CFunc) Args() []CParam {
	var out []CParam
	for _, p := range f.Params {
		if p.Kind != KindCallback && p.Kind != KindCtx && p.Kind != KindChunk {
			out = append(out, p)
		}
	}
	return out
}

// Signature is a comparable description of the function's kinds.
func (f *CFunc) Signature() string {
	var ks []string
	for _, p := range f.Params {
		ks = append(ks, p.Kind)
	}
	return "(" + strings.Join(ks, ", ") + ") " + f.Ret
}

// Header is the parsed C header.
type Header struct {
	Path  string
	Funcs map[string]*CFunc
	Order []string
	// Codes maps each error kind listed in the CONVENTIONS comment to its code.
	Codes map[string]int
	// Defines are the header's object-like macros: name -> value text.
	Defines map[string]string
}

var (
	reExtern  = regexp.MustCompile(`PERRY_EXTERN\(([^)]*)\)\s*([A-Za-z_][A-Za-z0-9_]*)\s*\(([^)]*)\)\s*;`)
	reCodeRow = regexp.MustCompile(`^\s*\*\s+(\d{3})\s+(.*)$`)
	reDefine  = regexp.MustCompile(`(?m)^#define[ \t]+([A-Z][A-Z0-9_]*)[ \t]+([^ \t(\n][^\n]*?)[ \t]*$`)
)

// stripCComments blanks comments, keeping newlines so line numbers hold.
func stripCComments(src string) string {
	b := []byte(src)
	for i := 0; i < len(b); i++ {
		if b[i] == '/' && i+1 < len(b) && b[i+1] == '*' {
			j := i
			for ; j+1 < len(b) && !(b[j] == '*' && b[j+1] == '/'); j++ {
				if b[j] != '\n' {
					b[j] = ' '
				}
			}
			for k := j; k < len(b) && k <= j+1; k++ {
				b[k] = ' '
			}
			i = j + 1
		} else if b[i] == '/' && i+1 < len(b) && b[i+1] == '/' {
			for ; i < len(b) && b[i] != '\n'; i++ {
				b[i] = ' '
			}
		}
	}
	return string(b)
}

// ParseHeader reads the PERRY_EXTERN declarations and the error code table.
func ParseHeader(path, src string) (*Header, []string) {
	var problems []string
	h := &Header{Path: path, Funcs: map[string]*CFunc{}, Codes: map[string]int{}, Defines: map[string]string{}}
	code := stripCComments(src)
	for _, m := range reDefine.FindAllStringSubmatch(code, -1) {
		h.Defines[m[1]] = m[2]
	}
	for _, m := range reExtern.FindAllStringSubmatchIndex(code, -1) {
		ret := strings.TrimSpace(code[m[2]:m[3]])
		name := code[m[4]:m[5]]
		params := strings.TrimSpace(code[m[6]:m[7]])
		line := 1 + strings.Count(code[:m[0]], "\n")
		f := &CFunc{Name: name, Line: line}
		if params != "void" && params != "" {
			for _, p := range strings.Split(params, ",") {
				p = strings.Join(strings.Fields(p), " ")
				i := strings.LastIndexAny(p, " *")
				if i < 0 {
					problems = append(problems, fmt.Sprintf("%s:%d: %s: cannot parse parameter %q", path, line, name, p))
					continue
				}
				typ, pname := strings.TrimSpace(p[:i+1]), p[i+1:]
				typ = strings.ReplaceAll(typ, " *", "*")
				typ = strings.ReplaceAll(typ, "*", " *")
				f.Params = append(f.Params, CParam{Type: typ, Name: pname, Kind: cParamKind(typ, pname)})
			}
		}
		hasCB, hasChunk := false, false
		for i, p := range f.Params {
			if p.Kind == KindChunk {
				hasChunk = true
			}
			if p.Kind == "" {
				problems = append(problems, fmt.Sprintf("%s:%d: %s: parameter %s has unsupported C type %q", path, line, name, p.Name, p.Type))
			}
			if p.Kind == KindCallback {
				hasCB = true
				if i != len(f.Params)-2 || f.Params[i+1].Kind != KindCtx {
					problems = append(problems, fmt.Sprintf("%s:%d: %s: `perry_complete_fn cb, void *ctx` must be the last two parameters", path, line, name))
				}
			}
		}
		switch {
		case ret == "int32_t" && hasCB && hasChunk:
			f.Ret = RetStream
		case ret == "int32_t" && hasCB:
			f.Ret = RetAsync
		case ret == "char *" || ret == "char*":
			f.Ret = RetEnvelope
		case ret == "const char *" || ret == "const char*":
			f.Ret = RetStatic
		case ret == "void":
			f.Ret = RetVoid
		default:
			problems = append(problems, fmt.Sprintf("%s:%d: %s: unsupported return type %q (with callback: %v)", path, line, name, ret, hasCB))
		}
		if _, dup := h.Funcs[name]; dup {
			problems = append(problems, fmt.Sprintf("%s:%d: %s declared twice", path, line, name))
		}
		h.Funcs[name] = f
		h.Order = append(h.Order, name)
	}
	// The code table of the CONVENTIONS comment: "   400 InvalidArgument, InvalidConfig, …".
	in := false
	for _, l := range strings.Split(src, "\n") {
		if strings.Contains(l, "Codes and kinds are stable") {
			in = true
			continue
		}
		if in && strings.Contains(l, "Asynchronous functions") {
			break
		}
		if !in {
			continue
		}
		m := reCodeRow.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		c, _ := strconv.Atoi(m[1])
		kinds := m[2]
		if i := strings.Index(kinds, "("); i >= 0 {
			kinds = kinds[:i]
		}
		for _, k := range strings.Split(kinds, ",") {
			if k = strings.TrimSpace(k); k != "" {
				h.Codes[k] = c
			}
		}
	}
	if len(h.Funcs) == 0 {
		problems = append(problems, path+": no PERRY_EXTERN function found")
	}
	return h, problems
}

func cParamKind(typ, name string) string {
	switch typ {
	case "const char *":
		switch {
		case strings.Contains(name, "json") && strings.Contains(name, "path"):
			return KindJSONOrRaw
		case strings.HasSuffix(name, "_json"):
			return KindJSON
		default:
			return KindRaw
		}
	case "char *":
		return KindPtr
	case "int64_t":
		return KindHandle
	case "int32_t":
		return KindInt32
	case "perry_complete_fn":
		return KindCallback
	case "perry_chunk_fn":
		return KindChunk
	case "void *":
		return KindCtx
	}
	return ""
}

// GoExport is one //export function of ffi/.
type GoExport struct {
	Name   string
	Params []string // C kinds of the Go parameters, as cgo sees them
	Ret    string
	Pos    string
}

// Signature matches CFunc.Signature for an equivalent function. Go cannot
// tell raw from JSON strings (both *C.char), so strings are "str".
func (g *GoExport) Signature() string {
	return "(" + strings.Join(g.Params, ", ") + ") " + g.Ret
}

// cSignatureForGo is f's signature with the string kinds merged, to compare
// with a GoExport.
func cSignatureForGo(f *CFunc) string {
	var ks []string
	for _, p := range f.Params {
		k := p.Kind
		switch k {
		case KindRaw, KindJSON, KindJSONOrRaw, KindPtr:
			k = "str"
		}
		ks = append(ks, k)
	}
	ret := f.Ret
	switch ret {
	case RetEnvelope, RetStatic:
		ret = "str"
	case RetStream:
		ret = RetAsync // Go sees an int32_t return either way
	}
	return "(" + strings.Join(ks, ", ") + ") " + ret
}

// ParseFFIExports reads the //export functions of the Go files of dir.
func ParseFFIExports(dir string) (map[string]*GoExport, error) {
	fset := token.NewFileSet()
	files, err := goFiles(dir)
	if err != nil {
		return nil, err
	}
	out := map[string]*GoExport{}
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Doc == nil || fd.Recv != nil {
				continue
			}
			exported := ""
			for _, c := range fd.Doc.List {
				if name, ok := strings.CutPrefix(c.Text, "//export "); ok {
					exported = strings.TrimSpace(name)
				}
			}
			if exported == "" {
				continue
			}
			g := &GoExport{Name: exported, Pos: fset.Position(fd.Pos()).String()}
			for _, fld := range fd.Type.Params.List {
				k := cgoKind(fld.Type)
				n := len(fld.Names)
				if n == 0 {
					n = 1
				}
				for i := 0; i < n; i++ {
					g.Params = append(g.Params, k)
				}
			}
			g.Ret = RetVoid
			if fd.Type.Results != nil && len(fd.Type.Results.List) > 0 {
				switch k := cgoKind(fd.Type.Results.List[0].Type); k {
				case "str":
					g.Ret = "str"
				case KindInt32:
					g.Ret = RetAsync
				default:
					g.Ret = k
				}
			}
			out[exported] = g
		}
	}
	return out, nil
}

func cgoKind(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		if sel, ok := t.X.(*ast.SelectorExpr); ok && sel.Sel.Name == "char" {
			return "str"
		}
	case *ast.SelectorExpr:
		switch t.Sel.Name {
		case "int32_t":
			return KindInt32
		case "int64_t":
			return KindHandle
		case "perry_complete_fn":
			return KindCallback
		case "perry_chunk_fn":
			return KindChunk
		case "uintptr_t":
			return KindCtx // ctx travels as an integer in Go: same ABI as void *
		}
	}
	return fmt.Sprintf("%T", e)
}

// goFiles lists the non-test Go files of dir.
func goFiles(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if strings.HasSuffix(n, ".go") && !strings.HasSuffix(n, "_test.go") {
			out = append(out, filepath.Join(dir, n))
		}
	}
	sort.Strings(out)
	return out, nil
}

// ExportedSymbols lists the defined js_* and perry_* functions of a shared
// library's dynamic symbol table, with `nm -D`, or debug/elf without nm.
func ExportedSymbols(lib string) ([]string, error) {
	var syms []string
	if nm, err := exec.LookPath("nm"); err == nil {
		out, err := exec.Command(nm, "-D", "--defined-only", lib).Output()
		if err != nil {
			return nil, fmt.Errorf("nm -D %s: %v", lib, err)
		}
		sc := bufio.NewScanner(bytes.NewReader(out))
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) == 3 && f[1] == "T" {
				// Versioned by ffi/exports.map: js_x@@PERRY_CONTAINER_1.
				name, _, _ := strings.Cut(f[2], "@")
				syms = append(syms, name)
			}
		}
	} else {
		ef, err := elf.Open(lib)
		if err != nil {
			return nil, err
		}
		defer ef.Close()
		ds, err := ef.DynamicSymbols()
		if err != nil {
			return nil, err
		}
		for _, s := range ds {
			if elf.ST_TYPE(s.Info) == elf.STT_FUNC && s.Section != elf.SHN_UNDEF && elf.ST_BIND(s.Info) == elf.STB_GLOBAL {
				syms = append(syms, s.Name)
			}
		}
	}
	var out []string
	for _, s := range syms {
		if strings.HasPrefix(s, "js_") || strings.HasPrefix(s, "perry_") {
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out, nil
}
