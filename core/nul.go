package core

import (
	"fmt"
	"reflect"
	"strings"
)

// FindNUL reports the path of the first string in v (struct fields by their
// JSON names, slice indices, map keys and values, through pointers and
// interfaces) that contains a NUL byte. No runtime takes NUL in a value: the
// kernel's argv and environment end a string there, so a NUL would silently
// cut a value short, or fail deep inside a runtime call. Callers reject it
// up front with an error naming the path.
func FindNUL(v any) (string, bool) {
	return findString(v, hasNUL)
}

func hasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

// findString reports the path of the first string in v for which bad holds.
func findString(v any, bad func(string) bool) (string, bool) {
	at, ok := walkStrings(reflect.ValueOf(v), 0, bad)
	return strings.TrimPrefix(at, "."), ok
}

// walkStrings returns the path below v (".field", "[i]", "[key]", " (a key)"
// segments), built only on the way back from a hit: Validate runs this on
// every create, where nearly every value is clean.
func walkStrings(v reflect.Value, depth int, bad func(string) bool) (string, bool) {
	if !v.IsValid() || depth > 64 {
		return "", false
	}
	switch v.Kind() {
	case reflect.String:
		if bad(v.String()) {
			return "", true
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return walkStrings(v.Elem(), depth+1, bad)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			if at, ok := walkStrings(v.Field(i), depth+1, bad); ok {
				if f.Anonymous { // its fields read as this struct's
					return at, true
				}
				return "." + name + at, true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false // raw bytes are not text
		}
		for i := 0; i < v.Len(); i++ {
			if at, ok := walkStrings(v.Index(i), depth+1, bad); ok {
				return fmt.Sprintf("[%d]", i) + at, true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			if k.Kind() == reflect.String && bad(k.String()) {
				return " (a key)", true
			}
			if at, ok := walkStrings(it.Value(), depth+1, bad); ok {
				return fmt.Sprintf("[%v]", k.Interface()) + at, true
			}
		}
	}
	return "", false
}
