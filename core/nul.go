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
	return findNUL(reflect.ValueOf(v), "", 0)
}

func findNUL(v reflect.Value, path string, depth int) (string, bool) {
	if !v.IsValid() || depth > 64 {
		return "", false
	}
	switch v.Kind() {
	case reflect.String:
		if strings.IndexByte(v.String(), 0) >= 0 {
			return path, true
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return findNUL(v.Elem(), path, depth+1)
		}
	case reflect.Struct:
		t := v.Type()
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			name := strings.Split(f.Tag.Get("json"), ",")[0]
			if name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			p := name
			if f.Anonymous {
				p = strings.TrimSuffix(path, ".")
			} else if path != "" {
				p = path + "." + name
			}
			if at, ok := findNUL(v.Field(i), p, depth+1); ok {
				return at, true
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return "", false // raw bytes are not text
		}
		for i := 0; i < v.Len(); i++ {
			if at, ok := findNUL(v.Index(i), fmt.Sprintf("%s[%d]", path, i), depth+1); ok {
				return at, true
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			k := it.Key()
			kp := fmt.Sprintf("%s[%v]", path, k.Interface())
			if k.Kind() == reflect.String && strings.IndexByte(k.String(), 0) >= 0 {
				return path + " (a key)", true
			}
			if at, ok := findNUL(it.Value(), kp, depth+1); ok {
				return at, true
			}
		}
	}
	return "", false
}
