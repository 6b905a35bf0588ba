package contract

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// The TypeScript reader understands the subset the declarations use:
// `import type {…} from`, `export type {…} from`, `export * from`,
// `export type X = T;`, `export interface X [extends …] {…}`,
// `export declare function f(…): T;`, `export declare const x: {…};`,
// JSDoc blocks, and types made of names, generics, literals, unions,
// intersections, arrays, tuples, object literals and template literals.
// Anything else is reported, so the check never silently skips a
// declaration.

// JSDoc is a parsed `/** … */` block.
type JSDoc struct {
	Text string
	Tags map[string][]string // tag -> the text after it, one entry per occurrence
}

// Has reports whether the tag occurs.
func (d *JSDoc) Has(tag string) bool {
	if d == nil {
		return false
	}
	_, ok := d.Tags[tag]
	return ok
}

// Words returns the whitespace-separated words of every occurrence of tag.
func (d *JSDoc) Words(tag string) []string {
	if d == nil {
		return nil
	}
	var out []string
	for _, v := range d.Tags[tag] {
		out = append(out, strings.Fields(v)...)
	}
	return out
}

var reTag = regexp.MustCompile(`^@([A-Za-z][A-Za-z0-9-]*)\s*(.*)$`)

func parseJSDoc(raw string) *JSDoc {
	d := &JSDoc{Tags: map[string][]string{}}
	var text []string
	cur := ""
	curText := ""
	flush := func() {
		if cur != "" {
			d.Tags[cur] = append(d.Tags[cur], strings.TrimSpace(curText))
		}
		cur, curText = "", ""
	}
	for _, l := range strings.Split(raw, "\n") {
		l = strings.TrimSpace(l)
		l = strings.TrimPrefix(l, "/**")
		l = strings.TrimSuffix(l, "*/")
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "*"))
		if m := reTag.FindStringSubmatch(l); m != nil {
			flush()
			cur, curText = m[1], m[2]
			continue
		}
		if cur != "" {
			curText += " " + l
		} else if l != "" {
			text = append(text, l)
		}
	}
	flush()
	d.Text = strings.Join(text, " ")
	return d
}

// TSType is a parsed type expression.
type TSType struct {
	Kind    string // name union inter array tuple object lit template
	Name    string
	Args    []*TSType // generic arguments, union/intersection/tuple members
	Elem    *TSType
	Members *TSObject
	Lit     string // the literal's source, e.g. "\"oci\"" or "404"
}

func (t *TSType) String() string {
	switch t.Kind {
	case "name":
		if len(t.Args) == 0 {
			return t.Name
		}
		var a []string
		for _, x := range t.Args {
			a = append(a, x.String())
		}
		return t.Name + "<" + strings.Join(a, ", ") + ">"
	case "union", "inter":
		sep := " | "
		if t.Kind == "inter" {
			sep = " & "
		}
		var a []string
		for _, x := range t.Args {
			a = append(a, x.String())
		}
		return strings.Join(a, sep)
	case "array":
		return t.Elem.String() + "[]"
	case "tuple":
		var a []string
		for _, x := range t.Args {
			a = append(a, x.String())
		}
		return "[" + strings.Join(a, ", ") + "]"
	case "object":
		return "{…}"
	case "lit", "template":
		return t.Lit
	}
	return t.Kind
}

// TSParam is a function parameter.
type TSParam struct {
	Name     string
	Optional bool
	Type     *TSType
}

// TSFunc is a top-level function, an interface method, or a method of a
// declared const object.
type TSFunc struct {
	Module string // e.g. perry/container
	Owner  string // the interface or const, "" for a top-level function
	Name   string
	Params []TSParam
	Ret    *TSType
	Doc    *JSDoc
	Line   int
	// Call is the trailing `call?: CallOptions` of an asynchronous
	// function, taken out of Params: it maps to the ctx and
	// js_container_cancel, not to a C argument.
	Call *TSParam
}

// Qual is the function's name for messages, e.g. perry/container.ComposeHandle.down.
func (f *TSFunc) Qual() string {
	if f.Owner != "" {
		return f.Module + "." + f.Owner + "." + f.Name
	}
	return f.Module + "." + f.Name
}

// TSField is an interface property.
type TSField struct {
	Name     string
	Optional bool
	Readonly bool
	Type     *TSType
	Line     int
}

// TSObject is the body of an interface or object type.
type TSObject struct {
	Fields  []TSField
	Methods []*TSFunc
	Index   []*TSType // index signatures (ignored by the check)
}

// TSInterface is an interface declaration.
type TSInterface struct {
	Module string
	Name   string
	Doc    *JSDoc
	Body   *TSObject
	Line   int
}

// TSAlias is a type alias.
type TSAlias struct {
	Module string
	Name   string
	Type   *TSType
	Doc    *JSDoc
	Line   int
}

// TSModule is one .d.ts file.
type TSModule struct {
	Path        string // perry/container
	File        string
	Doc         *JSDoc // the @packageDocumentation block
	Interfaces  []*TSInterface
	Aliases     []*TSAlias
	Funcs       []*TSFunc // top-level functions and declared-const methods
	ExportAll   []string  // export * from "…" (resolved module paths)
	ReExports   map[string][]string
	Imports     map[string][]string
	DeclaredAny []string // every declared name (types, functions, consts)
	Types       []string // the declared interfaces and type aliases
	Globals     []string // interfaces of `declare global` (platform types)
}

type tsTok struct {
	k    byte // i ident, s string, n number, t template, d jsdoc, p punct
	s    string
	line int
}

func lexTS(src string) ([]tsTok, error) {
	var toks []tsTok
	line := 1
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated comment", line)
			}
			body := src[i : i+2+end+2]
			if strings.HasPrefix(body, "/**") && body != "/**/" {
				toks = append(toks, tsTok{'d', body, line})
			}
			line += strings.Count(body, "\n")
			i += len(body)
		case c == '"' || c == '\'':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\\' && j+1 < len(src) {
					j++
				}
				if src[j] == '\n' {
					return nil, fmt.Errorf("line %d: newline in string", line)
				}
				j++
			}
			toks = append(toks, tsTok{'s', src[i : j+1], line})
			i = j + 1
		case c == '`':
			j := i + 1
			for j < len(src) && src[j] != '`' {
				j++
			}
			toks = append(toks, tsTok{'t', src[i : j+1], line})
			i = j + 1
		case c >= '0' && c <= '9':
			j := i
			for j < len(src) && (src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			toks = append(toks, tsTok{'n', src[i:j], line})
			i = j
		case c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(src) && (src[j] == '_' || src[j] == '$' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			toks = append(toks, tsTok{'i', src[i:j], line})
			i = j
		case strings.HasPrefix(src[i:], "=>"), strings.HasPrefix(src[i:], "..."):
			n := 2
			if c == '.' {
				n = 3
			}
			toks = append(toks, tsTok{'p', src[i : i+n], line})
			i += n
		default:
			toks = append(toks, tsTok{'p', string(c), line})
			i++
		}
	}
	return toks, nil
}

type tsParser struct {
	toks   []tsTok
	pos    int
	module string
	err    error
}

func (p *tsParser) peek() tsTok {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return tsTok{k: 0, line: -1}
}

func (p *tsParser) next() tsTok {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}

func (p *tsParser) fail(format string, a ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("line %d: "+format, append([]any{p.peek().line}, a...)...)
	}
	p.pos = len(p.toks)
}

func (p *tsParser) is(s string) bool { t := p.peek(); return (t.k == 'p' || t.k == 'i') && t.s == s }

func (p *tsParser) expect(s string) {
	if !p.is(s) {
		p.fail("expected %q, found %q", s, p.peek().s)
		return
	}
	p.next()
}

func (p *tsParser) ident() string {
	t := p.next()
	if t.k != 'i' {
		p.fail("expected a name, found %q", t.s)
		return ""
	}
	return t.s
}

// skipBalanced skips to the end token at nesting depth 0 and consumes it.
func (p *tsParser) skipTo(end string) {
	depth := 0
	for p.pos < len(p.toks) {
		t := p.next()
		if t.k != 'p' {
			continue
		}
		switch t.s {
		case "{", "(", "[", "<":
			depth++
		case "}", ")", "]", ">":
			depth--
		}
		if depth <= 0 && t.s == end {
			return
		}
	}
	p.fail("expected %q before the end of the file", end)
}

// docs collects consecutive JSDoc blocks, returning the last.
func (p *tsParser) docs() *JSDoc {
	var d *JSDoc
	for p.peek().k == 'd' {
		d = parseJSDoc(p.next().s)
	}
	return d
}

func (p *tsParser) parseType() *TSType {
	if p.is("|") {
		p.next()
	}
	first := p.parseInter()
	if !p.is("|") {
		return first
	}
	u := &TSType{Kind: "union", Args: []*TSType{first}}
	for p.is("|") {
		p.next()
		u.Args = append(u.Args, p.parseInter())
	}
	return u
}

func (p *tsParser) parseInter() *TSType {
	first := p.parsePostfix()
	if !p.is("&") {
		return first
	}
	u := &TSType{Kind: "inter", Args: []*TSType{first}}
	for p.is("&") {
		p.next()
		u.Args = append(u.Args, p.parsePostfix())
	}
	return u
}

func (p *tsParser) parsePostfix() *TSType {
	t := p.parsePrimary()
	for p.is("[") && p.pos+1 < len(p.toks) && p.toks[p.pos+1].s == "]" {
		p.next()
		p.next()
		t = &TSType{Kind: "array", Elem: t}
	}
	return t
}

func (p *tsParser) parsePrimary() *TSType {
	t := p.peek()
	switch {
	case t.k == 'p' && t.s == "(":
		p.next()
		in := p.parseType()
		p.expect(")")
		if p.is("=>") {
			p.fail("function types are not supported")
		}
		return in
	case t.k == 'p' && t.s == "{":
		p.next()
		return &TSType{Kind: "object", Members: p.parseMembers("}")}
	case t.k == 'p' && t.s == "[":
		p.next()
		tt := &TSType{Kind: "tuple"}
		for !p.is("]") && p.err == nil {
			tt.Args = append(tt.Args, p.parseType())
			if p.is(",") {
				p.next()
			}
		}
		p.expect("]")
		return tt
	case t.k == 's' || t.k == 'n':
		p.next()
		return &TSType{Kind: "lit", Lit: t.s}
	case t.k == 't':
		p.next()
		return &TSType{Kind: "template", Lit: t.s}
	case t.k == 'i':
		p.next()
		if t.s == "typeof" || t.s == "keyof" {
			p.fail("%s types are not supported", t.s)
			return &TSType{Kind: "name", Name: t.s}
		}
		nt := &TSType{Kind: "name", Name: t.s}
		for p.is(".") {
			p.next()
			nt.Name += "." + p.ident()
		}
		if p.is("<") {
			p.next()
			for !p.is(">") && p.err == nil {
				nt.Args = append(nt.Args, p.parseType())
				if p.is(",") {
					p.next()
				}
			}
			p.expect(">")
		}
		return nt
	}
	p.fail("unexpected %q in a type", t.s)
	return &TSType{Kind: "name", Name: "?"}
}

func (p *tsParser) parseParams() []TSParam {
	p.expect("(")
	var out []TSParam
	for !p.is(")") && p.err == nil {
		if p.is("...") {
			p.fail("rest parameters are not supported")
		}
		pr := TSParam{Name: p.ident()}
		if p.is("?") {
			p.next()
			pr.Optional = true
		}
		p.expect(":")
		pr.Type = p.parseType()
		out = append(out, pr)
		if p.is(",") {
			p.next()
		}
	}
	p.expect(")")
	return out
}

// parseMembers reads an interface or object-type body up to end.
func (p *tsParser) parseMembers(end string) *TSObject {
	obj := &TSObject{}
	for p.err == nil {
		doc := p.docs()
		if p.is(end) {
			p.next()
			return obj
		}
		line := p.peek().line
		readonly := false
		if p.is("readonly") && p.pos+1 < len(p.toks) && p.toks[p.pos+1].k == 'i' {
			p.next()
			readonly = true
		}
		if p.is("[") {
			p.next()
			p.skipTo("]")
			p.expect(":")
			obj.Index = append(obj.Index, p.parseType())
		} else {
			t := p.next()
			if t.k != 'i' && t.k != 's' {
				p.fail("expected a member name, found %q", t.s)
				return obj
			}
			name := strings.Trim(t.s, `"'`)
			opt := false
			if p.is("?") {
				p.next()
				opt = true
			}
			if p.is("(") {
				f := &TSFunc{Module: p.module, Name: name, Doc: doc, Line: line}
				f.Params = p.parseParams()
				p.expect(":")
				f.Ret = p.parseType()
				obj.Methods = append(obj.Methods, f)
			} else {
				p.expect(":")
				obj.Fields = append(obj.Fields, TSField{Name: name, Optional: opt, Readonly: readonly, Type: p.parseType(), Line: line})
			}
		}
		if p.is(";") || p.is(",") {
			p.next()
		}
	}
	return obj
}

// nameList reads `{ A, B as C }` and returns the exported names.
func (p *tsParser) nameList() []string {
	p.expect("{")
	var out []string
	for !p.is("}") && p.err == nil {
		n := p.ident()
		if p.is("as") {
			p.next()
			n = p.ident()
		}
		out = append(out, n)
		if p.is(",") {
			p.next()
		}
	}
	p.expect("}")
	return out
}

func (p *tsParser) fromClause(base string) string {
	p.expect("from")
	t := p.next()
	if t.k != 's' {
		p.fail("expected a module string")
		return ""
	}
	p.expect(";")
	return resolveTSModule(base, strings.Trim(t.s, `"'`))
}

// resolveTSModule resolves a relative specifier against a module path.
func resolveTSModule(base, spec string) string {
	if !strings.HasPrefix(spec, ".") {
		return spec
	}
	// base is the directory of base/index.d.ts, so ".." is base's parent.
	parts := strings.Split(base, "/")
	for _, s := range strings.Split(spec, "/") {
		switch s {
		case ".":
		case "..":
			if len(parts) > 0 {
				parts = parts[:len(parts)-1]
			}
		default:
			parts = append(parts, s)
		}
	}
	out := strings.Join(parts, "/")
	out = strings.TrimSuffix(out, "/index")
	out = strings.TrimSuffix(out, "/index.d.ts")
	return out
}

// ParseTS parses one declaration file of module path (e.g. perry/container).
func ParseTS(path, file, src string) (*TSModule, error) {
	toks, err := lexTS(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	m := &TSModule{Path: path, File: file, ReExports: map[string][]string{}, Imports: map[string][]string{}}
	p := &tsParser{toks: toks, module: path}
	for p.pos < len(p.toks) && p.err == nil {
		var doc *JSDoc
		for p.peek().k == 'd' {
			d := parseJSDoc(p.next().s)
			if d.Has("packageDocumentation") {
				if m.Doc != nil {
					p.fail("two @packageDocumentation blocks")
				}
				m.Doc = d
				continue
			}
			doc = d
		}
		if p.pos >= len(p.toks) {
			break
		}
		line := p.peek().line
		switch {
		case p.is("import"):
			p.next()
			if p.is("type") {
				p.next()
			}
			names := p.nameList()
			from := p.fromClause(path)
			m.Imports[from] = append(m.Imports[from], names...)
		case p.is("export"):
			p.next()
			switch {
			case p.is("*"):
				p.next()
				m.ExportAll = append(m.ExportAll, p.fromClause(path))
			case p.is("type") && p.pos+1 < len(p.toks) && p.toks[p.pos+1].s == "{":
				p.next()
				names := p.nameList()
				from := p.fromClause(path)
				m.ReExports[from] = append(m.ReExports[from], names...)
			case p.is("type"):
				p.next()
				a := &TSAlias{Module: path, Name: p.ident(), Doc: doc, Line: line}
				if p.is("<") {
					p.fail("generic type aliases are not supported")
				}
				p.expect("=")
				a.Type = p.parseType()
				p.expect(";")
				m.Aliases = append(m.Aliases, a)
				m.DeclaredAny = append(m.DeclaredAny, a.Name)
				m.Types = append(m.Types, a.Name)
			case p.is("interface"):
				p.next()
				it := &TSInterface{Module: path, Name: p.ident(), Doc: doc, Line: line}
				if p.is("<") {
					p.fail("generic interfaces are not supported")
				}
				if p.is("extends") {
					for !p.is("{") && p.err == nil {
						p.next()
					}
				}
				p.expect("{")
				it.Body = p.parseMembers("}")
				m.Interfaces = append(m.Interfaces, it)
				m.DeclaredAny = append(m.DeclaredAny, it.Name)
				m.Types = append(m.Types, it.Name)
			case p.is("declare"):
				p.next()
				switch {
				case p.is("function"):
					p.next()
					f := &TSFunc{Module: path, Name: p.ident(), Doc: doc, Line: line}
					f.Params = p.parseParams()
					p.expect(":")
					f.Ret = p.parseType()
					p.expect(";")
					m.Funcs = append(m.Funcs, f)
					m.DeclaredAny = append(m.DeclaredAny, f.Name)
				case p.is("const"):
					p.next()
					name := p.ident()
					p.expect(":")
					t := p.parseType()
					p.expect(";")
					if t.Kind != "object" {
						p.fail("declare const %s: only object types are supported", name)
						break
					}
					if len(t.Members.Fields) > 0 {
						p.fail("declare const %s: only methods are supported", name)
					}
					for _, f := range t.Members.Methods {
						f.Owner = name
						m.Funcs = append(m.Funcs, f)
					}
					m.DeclaredAny = append(m.DeclaredAny, name)
				default:
					p.fail("unsupported declaration %q", p.peek().s)
				}
			default:
				p.fail("unsupported export %q", p.peek().s)
			}
		case p.is("declare"):
			// `declare global { interface AbortSignal {…} }`: a platform type
			// declared for compiling without lib "dom"; nothing of the ABI.
			p.next()
			if !p.is("global") {
				p.fail("unsupported declaration %q", p.peek().s)
				break
			}
			p.next()
			p.expect("{")
			for depth := 1; depth > 0 && p.err == nil; {
				if p.pos >= len(p.toks) {
					p.fail("unterminated declare global")
					break
				}
				switch t := p.next(); t.s {
				case "{":
					depth++
				case "}":
					depth--
				case "interface":
					if depth == 1 && p.pos < len(p.toks) {
						m.Globals = append(m.Globals, p.peek().s)
					}
				}
			}
		default:
			p.fail("unsupported statement starting with %q", p.peek().s)
		}
	}
	if p.err != nil {
		return nil, fmt.Errorf("%s: %v", file, p.err)
	}
	return m, nil
}

// TSWorld is every module, with names resolved across them.
type TSWorld struct {
	Modules    map[string]*TSModule
	Interfaces map[string]*TSInterface
	Aliases    map[string]*TSAlias
	Funcs      []*TSFunc // top-level, const methods and interface methods
}

// NewTSWorld indexes the modules; it reports names declared twice.
func NewTSWorld(mods []*TSModule) (*TSWorld, []string) {
	w := &TSWorld{Modules: map[string]*TSModule{}, Interfaces: map[string]*TSInterface{}, Aliases: map[string]*TSAlias{}}
	var problems []string
	where := map[string]string{}
	sort.Slice(mods, func(i, j int) bool { return mods[i].Path < mods[j].Path })
	for _, m := range mods {
		w.Modules[m.Path] = m
		for _, n := range m.Types {
			if prev, ok := where[n]; ok && prev != m.Path {
				problems = append(problems, fmt.Sprintf("TypeScript: %s is declared in both %s and %s (declare it once and re-export it)", n, prev, m.Path))
			}
			where[n] = m.Path
		}
		for _, it := range m.Interfaces {
			w.Interfaces[it.Name] = it
		}
		for _, a := range m.Aliases {
			w.Aliases[a.Name] = a
		}
		w.Funcs = append(w.Funcs, m.Funcs...)
		for _, it := range m.Interfaces {
			for _, f := range it.Body.Methods {
				f.Owner = it.Name
				w.Funcs = append(w.Funcs, f)
			}
		}
	}
	return w, problems
}

// Cat reduces a TypeScript type to a Cat.
func (w *TSWorld) Cat(t *TSType) Cat {
	return w.cat(t, nil, 0)
}

func (w *TSWorld) cat(t *TSType, chain []string, depth int) Cat {
	if depth > 32 {
		return Cat{Kind: "any"}
	}
	switch t.Kind {
	case "lit":
		switch {
		case strings.HasPrefix(t.Lit, `"`) || strings.HasPrefix(t.Lit, `'`):
			return Cat{Kind: "string", Chain: chain}
		default:
			return Cat{Kind: "number", Chain: chain}
		}
	case "template":
		return Cat{Kind: "string", Chain: chain}
	case "array":
		e := w.cat(t.Elem, nil, depth+1)
		return Cat{Kind: "array", Elem: &e, Chain: chain}
	case "tuple", "inter", "object":
		return Cat{Kind: "any", Chain: chain}
	case "union":
		var cats []Cat
		for _, a := range t.Args {
			if a.Kind == "name" && (a.Name == "null" || a.Name == "undefined") {
				continue
			}
			cats = append(cats, w.cat(a, nil, depth+1))
		}
		if len(cats) == 1 {
			c := cats[0]
			c.Chain = append(append([]string{}, chain...), c.Chain...)
			return c
		}
		same := true
		for _, c := range cats[1:] {
			if c.Kind != cats[0].Kind || c.Kind == "object" || c.Kind == "array" || c.Kind == "map" {
				same = false
			}
		}
		if same && len(cats) > 0 {
			return Cat{Kind: cats[0].Kind, Chain: chain}
		}
		return Cat{Kind: "union", Chain: chain}
	case "name":
		switch t.Name {
		case "string":
			return Cat{Kind: "string", Chain: chain}
		case "number":
			return Cat{Kind: "number", Chain: chain}
		case "boolean", "true", "false":
			return Cat{Kind: "bool", Chain: chain}
		case "void", "undefined":
			return Cat{Kind: "void", Chain: chain}
		case "unknown", "any", "object":
			return Cat{Kind: "any", Chain: chain}
		case "Array", "ReadonlyArray":
			if len(t.Args) == 1 {
				e := w.cat(t.Args[0], nil, depth+1)
				return Cat{Kind: "array", Elem: &e, Chain: chain}
			}
		case "Record":
			if len(t.Args) == 2 {
				e := w.cat(t.Args[1], nil, depth+1)
				return Cat{Kind: "map", Elem: &e, Chain: chain}
			}
		case "Promise":
			if len(t.Args) == 1 {
				e := w.cat(t.Args[0], nil, depth+1)
				return Cat{Kind: "promise", Elem: &e, Chain: chain}
			}
		case "AsyncIterable":
			if len(t.Args) == 1 {
				e := w.cat(t.Args[0], nil, depth+1)
				return Cat{Kind: "stream", Elem: &e, Chain: chain}
			}
		}
		if a, ok := w.Aliases[t.Name]; ok {
			return w.cat(a.Type, append(append([]string{}, chain...), a.Name), depth+1)
		}
		if it, ok := w.Interfaces[t.Name]; ok {
			c := Cat{Kind: "object", Name: it.Name, Chain: chain}
			if ws := it.Doc.Words("wraps"); len(ws) > 0 {
				c.Alt = ws[0]
			}
			return c
		}
		return Cat{Kind: "unresolved", Name: t.Name, Chain: chain}
	}
	return Cat{Kind: "any", Chain: chain}
}

// IsHandle reports whether an interface is a handle object (JSDoc @handle).
func (w *TSWorld) IsHandle(name string) bool {
	it, ok := w.Interfaces[name]
	return ok && it.Doc.Has("handle")
}

// StringLiterals returns the string literals of a union alias, and whether
// the alias is a pure union of string literals.
func (w *TSWorld) StringLiterals(alias string) ([]string, bool) {
	a, ok := w.Aliases[alias]
	if !ok {
		return nil, false
	}
	var out []string
	var walk func(t *TSType) bool
	walk = func(t *TSType) bool {
		switch t.Kind {
		case "union":
			for _, x := range t.Args {
				if !walk(x) {
					return false
				}
			}
			return true
		case "lit":
			if strings.HasPrefix(t.Lit, `"`) {
				out = append(out, strings.Trim(t.Lit, `"`))
				return true
			}
		case "name":
			if b, ok := w.Aliases[t.Name]; ok {
				return walk(b.Type)
			}
		}
		return false
	}
	ok = walk(a.Type)
	return out, ok
}
