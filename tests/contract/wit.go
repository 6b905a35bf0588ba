package contract

import (
	"fmt"
	"regexp"
	"strings"
)

// The WIT reader parses the subset of WIT the contract uses (package,
// interface, use, type, record, enum, variant, func, world with export and
// import) and validates identifiers: kebab-case words, keywords escaped
// with %. It reports anything else, so an unsupported construct is never
// silently skipped.

// WType is a WIT type expression.
type WType struct {
	Kind string // prim list option result tuple named _
	Name string // prim or named
	Args []*WType
}

func (t *WType) String() string {
	if t == nil {
		return "_"
	}
	switch t.Kind {
	case "prim", "named":
		return t.Name
	case "_":
		return "_"
	}
	var a []string
	for _, x := range t.Args {
		a = append(a, x.String())
	}
	return t.Kind + "<" + strings.Join(a, ", ") + ">"
}

// WField is a record field or a function parameter.
type WField struct {
	Name string
	Type *WType
	Doc  *JSDoc
	Line int
}

// WCase is a variant case.
type WCase struct {
	Name string
	Type *WType // nil without payload
	Doc  *JSDoc
}

// WTypeDef is a record, enum, variant or alias of an interface.
type WTypeDef struct {
	Iface  string
	Kind   string // record enum variant alias
	Name   string
	Fields []WField // record
	Cases  []WCase  // enum, variant
	Alias  *WType
	Doc    *JSDoc
	Line   int
}

// WFunc is a function of an interface.
type WFunc struct {
	Iface  string
	Name   string
	Params []WField
	// Call is the trailing `call: option<call-options>` of an asynchronous
	// function, taken out of Params (it maps to the ctx and
	// js_container_cancel, not to a C argument).
	Call   *WField
	Result *WType // nil: no result
	Doc    *JSDoc
	Line   int
}

// WInterface is an interface.
type WInterface struct {
	Name  string
	Doc   *JSDoc
	Uses  map[string]string // local name -> defining interface
	Types map[string]*WTypeDef
	Funcs []*WFunc
}

// WIT is a parsed WIT package.
type WIT struct {
	Package    string
	Interfaces map[string]*WInterface
	Order      []string
	Worlds     map[string][]string // world -> "export x" / "import y"
	Types      map[string]*WTypeDef
}

var witKeywords = map[string]bool{}

func init() {
	for _, k := range strings.Fields(`as async bool borrow char constructor enum export f32 f64 flags from func
		future import include interface list option own package record resource result s8 s16 s32 s64
		static stream string tuple type u8 u16 u32 u64 use variant with world error-context float32 float64`) {
		witKeywords[k] = true
	}
}

var reWitWord = regexp.MustCompile(`^([a-z][a-z0-9]*|[A-Z][A-Z0-9]*)$`)

type witTok struct {
	k    byte // i ident, d doc, p punct, s string
	s    string
	line int
}

func lexWIT(src string) ([]witTok, error) {
	var toks []witTok
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
		case strings.HasPrefix(src[i:], "///"):
			j := i
			for j < len(src) && src[j] != '\n' {
				j++
			}
			toks = append(toks, witTok{'d', strings.TrimSpace(src[i+3 : j]), line})
			i = j
		case strings.HasPrefix(src[i:], "//"):
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case strings.HasPrefix(src[i:], "/*"):
			end := strings.Index(src[i+2:], "*/")
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated comment", line)
			}
			line += strings.Count(src[i:i+2+end+2], "\n")
			i += 2 + end + 2
		case c == '%' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			j := i + 1
			for j < len(src) && (src[j] == '-' || src[j] == '_' || src[j] == '.' && j+1 < len(src) && src[j+1] >= '0' && src[j+1] <= '9' || src[j] >= 'a' && src[j] <= 'z' || src[j] >= 'A' && src[j] <= 'Z' || src[j] >= '0' && src[j] <= '9') {
				j++
			}
			toks = append(toks, witTok{'i', src[i:j], line})
			i = j
		case strings.HasPrefix(src[i:], "->"):
			toks = append(toks, witTok{'p', "->", line})
			i += 2
		default:
			toks = append(toks, witTok{'p', string(c), line})
			i++
		}
	}
	return toks, nil
}

type witParser struct {
	toks []witTok
	pos  int
	err  error
}

func (p *witParser) peek() witTok {
	if p.pos < len(p.toks) {
		return p.toks[p.pos]
	}
	return witTok{line: -1}
}
func (p *witParser) next() witTok {
	t := p.peek()
	if p.pos < len(p.toks) {
		p.pos++
	}
	return t
}
func (p *witParser) is(s string) bool { return p.peek().s == s && p.peek().k != 'd' }
func (p *witParser) fail(format string, a ...any) {
	if p.err == nil {
		p.err = fmt.Errorf("line %d: "+format, append([]any{p.peek().line}, a...)...)
	}
	p.pos = len(p.toks)
}
func (p *witParser) expect(s string) {
	if !p.is(s) {
		p.fail("expected %q, found %q", s, p.peek().s)
		return
	}
	p.next()
}

// id reads an identifier, validates it, and returns it without its %.
func (p *witParser) id() string {
	t := p.next()
	if t.k != 'i' {
		p.fail("expected an identifier, found %q", t.s)
		return ""
	}
	s := t.s
	escaped := strings.HasPrefix(s, "%")
	s = strings.TrimPrefix(s, "%")
	for _, w := range strings.Split(s, "-") {
		if !reWitWord.MatchString(w) {
			p.pos--
			p.fail("%q is not a valid WIT identifier (kebab-case words, each starting with a letter)", t.s)
			return s
		}
	}
	if witKeywords[s] && !escaped {
		p.pos--
		p.fail("%q is a WIT keyword: write %%%s", s, s)
	}
	return s
}

func (p *witParser) docs() *JSDoc {
	var lines []string
	for p.peek().k == 'd' {
		lines = append(lines, p.next().s)
	}
	if lines == nil {
		return nil
	}
	return parseJSDoc(strings.Join(lines, "\n"))
}

var witPrims = map[string]bool{"bool": true, "string": true, "char": true, "s8": true, "s16": true, "s32": true, "s64": true,
	"u8": true, "u16": true, "u32": true, "u64": true, "f32": true, "f64": true}

func (p *witParser) typ() *WType {
	t := p.peek()
	if t.k != 'i' {
		p.fail("expected a type, found %q", t.s)
		return nil
	}
	switch t.s {
	case "_":
		p.next()
		return &WType{Kind: "_"}
	case "list", "option", "tuple", "result", "stream":
		p.next()
		wt := &WType{Kind: t.s}
		if t.s == "result" && !p.is("<") {
			return wt
		}
		p.expect("<")
		for !p.is(">") && p.err == nil {
			wt.Args = append(wt.Args, p.typ())
			if p.is(",") {
				p.next()
			}
		}
		p.expect(">")
		switch {
		case (t.s == "list" || t.s == "option" || t.s == "stream") && len(wt.Args) != 1,
			t.s == "result" && len(wt.Args) > 2,
			t.s == "tuple" && len(wt.Args) == 0:
			p.fail("bad %s<…> arity", t.s)
		}
		return wt
	}
	if witPrims[t.s] {
		p.next()
		return &WType{Kind: "prim", Name: t.s}
	}
	return &WType{Kind: "named", Name: p.id()}
}

// ParseWIT parses a WIT file.
func ParseWIT(file, src string) (*WIT, error) {
	toks, err := lexWIT(src)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	w := &WIT{Interfaces: map[string]*WInterface{}, Worlds: map[string][]string{}, Types: map[string]*WTypeDef{}}
	p := &witParser{toks: toks}
	for p.pos < len(p.toks) && p.err == nil {
		doc := p.docs()
		if p.pos >= len(p.toks) {
			break
		}
		switch {
		case p.is("package"):
			p.next()
			var b strings.Builder
			for !p.is(";") && p.err == nil {
				b.WriteString(p.next().s)
			}
			p.expect(";")
			w.Package = b.String()
		case p.is("interface"):
			p.next()
			in := &WInterface{Name: p.id(), Doc: doc, Uses: map[string]string{}, Types: map[string]*WTypeDef{}}
			if _, dup := w.Interfaces[in.Name]; dup {
				p.fail("interface %s defined twice", in.Name)
			}
			w.Interfaces[in.Name] = in
			w.Order = append(w.Order, in.Name)
			p.expect("{")
			p.ifaceBody(in, w)
		case p.is("world"):
			p.next()
			name := p.id()
			p.expect("{")
			for !p.is("}") && p.err == nil {
				p.docs()
				dir := p.next().s
				if dir != "export" && dir != "import" {
					p.fail("unsupported world item %q", dir)
				}
				w.Worlds[name] = append(w.Worlds[name], dir+" "+p.id())
				p.expect(";")
			}
			p.expect("}")
		default:
			p.fail("unsupported top-level item %q", p.peek().s)
		}
	}
	if p.err != nil {
		return nil, fmt.Errorf("%s: %v", file, p.err)
	}
	return w, nil
}

func (p *witParser) ifaceBody(in *WInterface, w *WIT) {
	for p.err == nil {
		doc := p.docs()
		if p.is("}") {
			p.next()
			return
		}
		line := p.peek().line
		switch {
		case p.is("use"):
			p.next()
			from := p.id()
			p.expect(".")
			p.expect("{")
			for !p.is("}") && p.err == nil {
				n := p.id()
				in.Uses[n] = from
				if p.is(",") {
					p.next()
				}
			}
			p.expect("}")
			p.expect(";")
		case p.is("type"):
			p.next()
			d := &WTypeDef{Iface: in.Name, Kind: "alias", Name: p.id(), Doc: doc, Line: line}
			p.expect("=")
			d.Alias = p.typ()
			p.expect(";")
			p.addType(in, w, d)
		case p.is("record"):
			p.next()
			d := &WTypeDef{Iface: in.Name, Kind: "record", Name: p.id(), Doc: doc, Line: line}
			p.expect("{")
			for p.err == nil {
				fdoc := p.docs()
				if p.is("}") {
					break
				}
				fl := p.peek().line
				f := WField{Name: p.id(), Doc: fdoc, Line: fl}
				p.expect(":")
				f.Type = p.typ()
				d.Fields = append(d.Fields, f)
				if !p.is(",") {
					break
				}
				p.next()
			}
			p.docs()
			p.expect("}")
			p.addType(in, w, d)
		case p.is("enum"), p.is("variant"):
			kind := p.next().s
			d := &WTypeDef{Iface: in.Name, Kind: kind, Name: p.id(), Doc: doc, Line: line}
			p.expect("{")
			for p.err == nil {
				cdoc := p.docs()
				if p.is("}") {
					break
				}
				c := WCase{Name: p.id(), Doc: cdoc}
				if kind == "variant" && p.is("(") {
					p.next()
					c.Type = p.typ()
					p.expect(")")
				}
				d.Cases = append(d.Cases, c)
				if !p.is(",") {
					break
				}
				p.next()
			}
			p.docs()
			p.expect("}")
			p.addType(in, w, d)
		case p.peek().k == 'i':
			f := &WFunc{Iface: in.Name, Name: p.id(), Doc: doc, Line: line}
			p.expect(":")
			p.expect("func")
			p.expect("(")
			for !p.is(")") && p.err == nil {
				pr := WField{Name: p.id(), Line: p.peek().line}
				p.expect(":")
				pr.Type = p.typ()
				f.Params = append(f.Params, pr)
				if p.is(",") {
					p.next()
				}
			}
			p.expect(")")
			if p.is("->") {
				p.next()
				f.Result = p.typ()
			}
			p.expect(";")
			for _, g := range in.Funcs {
				if g.Name == f.Name {
					p.fail("function %s defined twice in %s", f.Name, in.Name)
				}
			}
			in.Funcs = append(in.Funcs, f)
		default:
			p.fail("unsupported interface item %q", p.peek().s)
		}
	}
}

func (p *witParser) addType(in *WInterface, w *WIT, d *WTypeDef) {
	if _, dup := in.Types[d.Name]; dup {
		p.fail("type %s defined twice in %s", d.Name, in.Name)
	}
	if prev, dup := w.Types[d.Name]; dup {
		p.fail("type %s defined in both %s and %s", d.Name, prev.Iface, in.Name)
	}
	in.Types[d.Name] = d
	w.Types[d.Name] = d
}

// Validate checks that every named type resolves in its interface, every
// use names a type of the used interface, and every world item names an
// interface.
func (w *WIT) Validate() []string {
	var problems []string
	for _, name := range w.Order {
		in := w.Interfaces[name]
		for local, from := range in.Uses {
			src, ok := w.Interfaces[from]
			if !ok {
				problems = append(problems, fmt.Sprintf("WIT interface %s: use of unknown interface %s", name, from))
				continue
			}
			if _, ok := src.Types[local]; !ok {
				problems = append(problems, fmt.Sprintf("WIT interface %s: use %s.{%s}: no such type", name, from, local))
			}
		}
		var check func(ctx string, t *WType)
		check = func(ctx string, t *WType) {
			if t == nil {
				return
			}
			if t.Kind == "named" {
				if _, ok := in.Types[t.Name]; !ok {
					if _, ok := in.Uses[t.Name]; !ok {
						problems = append(problems, fmt.Sprintf("WIT %s.%s: type %s is neither defined in %s nor imported by `use`", name, ctx, t.Name, name))
					}
				}
			}
			for _, a := range t.Args {
				check(ctx, a)
			}
		}
		for _, d := range in.Types {
			check(d.Name, d.Alias)
			for _, f := range d.Fields {
				check(d.Name+"."+f.Name, f.Type)
			}
			for _, c := range d.Cases {
				check(d.Name+"."+c.Name, c.Type)
			}
		}
		for _, f := range in.Funcs {
			for _, pr := range f.Params {
				check(f.Name+"("+pr.Name+")", pr.Type)
			}
			check(f.Name+" result", f.Result)
		}
	}
	for world, items := range w.Worlds {
		for _, it := range items {
			n := strings.Fields(it)[1]
			if _, ok := w.Interfaces[n]; !ok {
				problems = append(problems, fmt.Sprintf("WIT world %s: %s names no interface", world, it))
			}
		}
	}
	return problems
}

// Cat reduces a WIT type to a Cat; optional reports an outer option<>.
func (w *WIT) Cat(t *WType) (c Cat, optional bool) {
	if t != nil && t.Kind == "option" {
		c, _ = w.cat(t.Args[0], nil, 0)
		return c, true
	}
	return w.cat(t, nil, 0)
}

func (w *WIT) cat(t *WType, chain []string, depth int) (Cat, bool) {
	if t == nil || depth > 32 {
		return Cat{Kind: "void"}, false
	}
	switch t.Kind {
	case "_":
		return Cat{Kind: "void"}, false
	case "prim":
		switch t.Name {
		case "string", "char":
			return Cat{Kind: "string", Chain: chain}, false
		case "bool":
			return Cat{Kind: "bool", Chain: chain}, false
		case "f32", "f64":
			return Cat{Kind: "float", Chain: chain}, false
		}
		return Cat{Kind: "int", Chain: chain}, false
	case "option":
		c, _ := w.cat(t.Args[0], chain, depth+1)
		return c, true
	case "stream":
		e, _ := w.cat(t.Args[0], nil, depth+1)
		return Cat{Kind: "stream", Elem: &e, Chain: chain}, false
	case "list":
		if e := t.Args[0]; e.Kind == "tuple" && len(e.Args) == 2 && e.Args[0].Kind == "prim" && e.Args[0].Name == "string" {
			v, _ := w.cat(e.Args[1], nil, depth+1)
			return Cat{Kind: "map", Elem: &v, Chain: chain}, false
		}
		e, _ := w.cat(t.Args[0], nil, depth+1)
		return Cat{Kind: "array", Elem: &e, Chain: chain}, false
	case "named":
		d, ok := w.Types[t.Name]
		if !ok {
			return Cat{Kind: "unresolved", Name: t.Name}, false
		}
		ch := append(append([]string{}, chain...), d.Name)
		switch d.Kind {
		case "alias":
			if d.Name == "json" {
				return Cat{Kind: "any", Chain: ch}, false
			}
			return w.cat(d.Alias, ch, depth+1)
		case "record":
			return Cat{Kind: "object", Name: d.Name, Chain: chain}, false
		case "enum":
			return Cat{Kind: "string", Enum: d.Name, Chain: ch}, false
		case "variant":
			return Cat{Kind: "union", Name: d.Name, Chain: ch}, false
		}
	}
	return Cat{Kind: "any", Chain: chain}, false
}

// Kebab converts a JSON or TypeScript name to WIT's kebab-case:
// read_only -> read-only, exitCode -> exit-code, MicroVm -> micro-vm.
func Kebab(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r == '_' || r == ' ':
			b.WriteByte('-')
		case r >= 'A' && r <= 'Z':
			if i > 0 {
				prev := s[i-1]
				if prev >= 'a' && prev <= 'z' || prev >= '0' && prev <= '9' {
					b.WriteByte('-')
				}
			}
			b.WriteRune(r + ('a' - 'A'))
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// norm folds a name for loose comparison across naming styles.
func norm(s string) string {
	s = strings.ToLower(s)
	s = strings.ReplaceAll(s, "-", "")
	return strings.ReplaceAll(s, "_", "")
}
