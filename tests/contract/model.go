package contract

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"reflect"
	"sort"
	"strconv"
	"strings"

	"github.com/perryts/perry-container/core"
)

// Cat is a type reduced to what the three sides can all express.
type Cat struct {
	Kind  string   // string bool number int float array map object union any promise void
	Name  string   // object: the record's name; union: the variant/alias name (informative)
	Enum  string   // for a string: the enum type it is restricted to (Go or WIT side)
	Chain []string // the alias names the type went through (TS and WIT)
	Elem  *Cat     // array, map, promise
	Alt   string   // object: the record a TS handle interface wraps (@wraps)
}

func (c Cat) String() string {
	switch c.Kind {
	case "array":
		return c.Elem.String() + "[]"
	case "map":
		return "map<" + c.Elem.String() + ">"
	case "promise":
		return "Promise<" + c.Elem.String() + ">"
	case "stream":
		return "AsyncIterable<" + c.Elem.String() + ">"
	case "object":
		return c.Name
	case "string":
		if c.Enum != "" {
			return "enum " + c.Enum
		}
	}
	return c.Kind
}

// Field is one JSON member of a record.
type Field struct {
	Name     string // the JSON name
	Optional bool
	Type     Cat
}

// Record is a Go type that crosses the ABI as JSON.
type Record struct {
	GoName string // e.g. core.Edge, ffi.ComposeUpResult
	TSName string // its TypeScript interface; its WIT record is kebab(TSName)
	Fields []Field
}

// Model is the Go side of the contract.
type Model struct {
	Records map[string]*Record // by TS name
	Enums   map[string][]string
	Kinds   map[string]int // error kind -> code
}

// CoreRoots are the core types whose JSON crosses the ABI; the types they
// reach are added by the walk.
var CoreRoots = []reflect.Type{
	reflect.TypeFor[core.ContainerSpec](),
	reflect.TypeFor[core.ContainerHandle](),
	reflect.TypeFor[core.ContainerInfo](),
	reflect.TypeFor[core.ContainerLogs](),
	reflect.TypeFor[core.ImageInfo](),
	reflect.TypeFor[core.BackendInfo](),
	reflect.TypeFor[core.BuildSpec](),
	reflect.TypeFor[core.ServiceGraph](),
	reflect.TypeFor[core.StackStatus](),
	reflect.TypeFor[core.WorkloadNode](),
	reflect.TypeFor[core.WorkloadRef](),
	reflect.TypeFor[core.WorkloadGraph](),
	reflect.TypeFor[core.RunGraphOptions](),
	reflect.TypeFor[core.GraphStatus](),
	reflect.TypeFor[core.NodeInfo](),
}

// GoToTS renames Go types whose TypeScript name differs.
var GoToTS = map[string]string{
	"Edge":      "ServiceEdge",
	"Resources": "NodeResources",
}

func tsNameOf(goName string) string {
	if n, ok := GoToTS[goName]; ok {
		return n
	}
	return goName
}

// jsonName returns a field's JSON name, whether it is optional, and false
// when the field does not cross as JSON.
func jsonName(f reflect.StructField) (string, bool, bool) {
	if !f.IsExported() {
		return "", false, false
	}
	tag, ok := f.Tag.Lookup("json")
	if !ok {
		return f.Name, false, true
	}
	parts := strings.Split(tag, ",")
	if parts[0] == "-" {
		return "", false, false
	}
	name := parts[0]
	if name == "" {
		name = f.Name
	}
	omit := false
	for _, p := range parts[1:] {
		if p == "omitempty" || p == "omitzero" {
			omit = true
		}
	}
	return name, omit, true
}

var (
	marshalerType  = reflect.TypeFor[json.Marshaler]()
	rawMessageType = reflect.TypeFor[json.RawMessage]()
)

// BuildModel reflects over CoreRoots, adds the extra records (the ffi
// package's JSON types, parsed from source), the string enums of core's
// source, and the error kinds.
func BuildModel(coreDir string, extra []*Record) (*Model, error) {
	m := &Model{Records: map[string]*Record{}, Kinds: map[string]int{}}
	enums, err := ParseGoEnums(coreDir)
	if err != nil {
		return nil, err
	}
	m.Enums = enums
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	var cat func(t reflect.Type) Cat
	cat = func(t reflect.Type) Cat {
		if t == rawMessageType {
			return Cat{Kind: "any"}
		}
		if t.Kind() != reflect.Pointer && t.Kind() != reflect.Interface && (t.Implements(marshalerType) || reflect.PointerTo(t).Implements(marshalerType)) {
			return Cat{Kind: "union", Name: t.Name()}
		}
		switch t.Kind() {
		case reflect.Pointer:
			return cat(t.Elem())
		case reflect.String:
			if _, ok := enums[t.Name()]; ok && t.PkgPath() != "" {
				return Cat{Kind: "string", Enum: t.Name()}
			}
			return Cat{Kind: "string"}
		case reflect.Bool:
			return Cat{Kind: "bool"}
		case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
			reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
			return Cat{Kind: "int"}
		case reflect.Float32, reflect.Float64:
			return Cat{Kind: "float"}
		case reflect.Slice, reflect.Array:
			e := cat(t.Elem())
			return Cat{Kind: "array", Elem: &e}
		case reflect.Map:
			e := cat(t.Elem())
			return Cat{Kind: "map", Elem: &e}
		case reflect.Struct:
			walk(t)
			return Cat{Kind: "object", Name: tsNameOf(t.Name())}
		}
		return Cat{Kind: "any"}
	}
	walk = func(t reflect.Type) {
		if seen[t] {
			return
		}
		seen[t] = true
		r := &Record{GoName: "core." + t.Name(), TSName: tsNameOf(t.Name())}
		m.Records[r.TSName] = r
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			name, omit, ok := jsonName(f)
			if !ok {
				continue
			}
			r.Fields = append(r.Fields, Field{Name: name, Optional: omit || f.Type.Kind() == reflect.Pointer, Type: cat(f.Type)})
		}
	}
	for _, t := range CoreRoots {
		walk(t)
	}
	for _, r := range extra {
		if old, dup := m.Records[r.TSName]; dup {
			return nil, fmt.Errorf("%s and %s have the same TypeScript name %s", old.GoName, r.GoName, r.TSName)
		}
		m.Records[r.TSName] = r
	}
	for _, k := range enums["Kind"] {
		m.Kinds[k] = core.Kind(k).Code()
	}
	return m, nil
}

// ParseGoEnums collects the string constants of the named string types of
// a Go package's source: type name -> values in source order.
func ParseGoEnums(dir string) (map[string][]string, error) {
	files, err := goFiles(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	out := map[string][]string{}
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, s := range gd.Specs {
				vs := s.(*ast.ValueSpec)
				id, ok := vs.Type.(*ast.Ident)
				if !ok {
					continue
				}
				for _, v := range vs.Values {
					if bl, ok := v.(*ast.BasicLit); ok && bl.Kind == token.STRING {
						if s, err := strconv.Unquote(bl.Value); err == nil {
							out[id.Name] = append(out[id.Name], s)
						}
					}
				}
			}
		}
	}
	return out, nil
}

// ParseGoRecords parses the JSON-tagged struct types of a Go package's
// source (the ffi package, which cannot be imported): every struct with at
// least one json tag is a record crossing the ABI. prefix names the package
// in messages; a field of type core.X refers to the core record X.
func ParseGoRecords(dir, prefix string, enums map[string][]string) ([]*Record, error) {
	files, err := goFiles(dir)
	if err != nil {
		return nil, err
	}
	fset := token.NewFileSet()
	var out []*Record
	for _, path := range files {
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				st, ok := ts.Type.(*ast.StructType)
				if !ok {
					continue
				}
				r := &Record{GoName: prefix + "." + ts.Name.Name, TSName: tsNameOf(ts.Name.Name)}
				tagged := false
				for _, fl := range st.Fields.List {
					if len(fl.Names) == 0 || !fl.Names[0].IsExported() {
						continue
					}
					tag := ""
					if fl.Tag != nil {
						tag, _ = strconv.Unquote(fl.Tag.Value)
					}
					sf := reflect.StructField{Name: fl.Names[0].Name, Tag: reflect.StructTag(tag), PkgPath: ""}
					name, omit, ok := jsonName(sf)
					if !ok {
						continue
					}
					if _, has := reflect.StructTag(tag).Lookup("json"); has {
						tagged = true
					}
					c, ptr := astCat(fl.Type, enums)
					for range fl.Names {
						r.Fields = append(r.Fields, Field{Name: name, Optional: omit || ptr, Type: c})
					}
				}
				if tagged {
					out = append(out, r)
				}
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].TSName < out[j].TSName })
	return out, nil
}

// astCat is Cat for a Go type expression; ptr reports a pointer.
func astCat(e ast.Expr, enums map[string][]string) (Cat, bool) {
	switch t := e.(type) {
	case *ast.StarExpr:
		c, _ := astCat(t.X, enums)
		return c, true
	case *ast.ArrayType:
		if id, ok := t.Elt.(*ast.Ident); ok && id.Name == "byte" {
			return Cat{Kind: "any"}, false
		}
		c, _ := astCat(t.Elt, enums)
		return Cat{Kind: "array", Elem: &c}, false
	case *ast.MapType:
		c, _ := astCat(t.Value, enums)
		return Cat{Kind: "map", Elem: &c}, false
	case *ast.Ident:
		switch t.Name {
		case "string":
			return Cat{Kind: "string"}, false
		case "bool":
			return Cat{Kind: "bool"}, false
		case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
			return Cat{Kind: "int"}, false
		case "float32", "float64":
			return Cat{Kind: "float"}, false
		case "any":
			return Cat{Kind: "any"}, false
		}
		return Cat{Kind: "object", Name: tsNameOf(t.Name)}, false
	case *ast.SelectorExpr:
		pkg, _ := t.X.(*ast.Ident)
		if pkg != nil && pkg.Name == "json" && t.Sel.Name == "RawMessage" {
			return Cat{Kind: "any"}, false
		}
		if pkg != nil && pkg.Name == "core" {
			if _, ok := enums[t.Sel.Name]; ok {
				return Cat{Kind: "string", Enum: t.Sel.Name}, false
			}
			return Cat{Kind: "object", Name: tsNameOf(t.Sel.Name)}, false
		}
	case *ast.InterfaceType:
		return Cat{Kind: "any"}, false
	}
	return Cat{Kind: "any"}, false
}
