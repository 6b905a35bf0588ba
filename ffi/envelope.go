package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/perryts/perry-container/core"
)

// maxArg bounds every string argument (inputs over 16 MiB are
// InvalidArgument).
const maxArg = 16 << 20

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Envelopes are built with spare capacity, so the NUL the C side needs is
// usually appended without a copy (see deliver in exports.go).

// okEnvelope encodes {"ok":true,"result":v}.
func okEnvelope(v any) []byte {
	res, err := marshal(v)
	if err != nil {
		return errEnvelope(core.Errorf(core.KindInternal, "encoding the result: %v", err))
	}
	out := make([]byte, 0, len(res)+len(okPrefix)+2)
	out = append(out, okPrefix...)
	out = append(out, res...)
	return append(out, '}')
}

const (
	okPrefix  = `{"ok":true,"result":`
	errPrefix = `{"ok":false,"error":`
)

// errEnvelope encodes {"ok":false,"error":{"code":…,"kind":…,"message":…,…details}}.
func errEnvelope(err error) []byte { return errEnvelopeOf(core.AsError(err)) }

// errEnvelopeOf writes the bytes encoding/json writes for the map
// {details…, "code", "kind", "message"} (code, kind and message win over
// details of the same key; keys sorted; a detail that does not encode drops
// every detail), without building the map or sorting through reflection:
// the error path of every call, including the FFI no-op, goes through here.
func errEnvelopeOf(e *core.Error) []byte {
	msg := e.Error()
	if !utf8.ValidString(msg) {
		msg = string([]rune(msg)) // replaces invalid bytes with U+FFFD
	}
	code, kind := e.Code(), string(e.Kind)
	out := make([]byte, 0, len(errPrefix)+len(msg)+len(kind)+48+32*len(e.Details))
	out = append(out, errPrefix...)
	out = append(out, '{')
	body, ok := appendBody(out, e.Details, code, kind, msg)
	if !ok {
		// A detail that does not encode must not lose the error itself.
		body, _ = appendBody(out, nil, code, kind, msg)
	}
	return append(body, '}', '}')
}

// appendMember appends `"key":` after a comma unless the object is empty.
func appendMember(out []byte, key string) []byte {
	if out[len(out)-1] != '{' {
		out = append(out, ',')
	}
	out = appendJSONString(out, key)
	return append(out, ':')
}

// fixedKeys are the members the envelope sets itself.
var fixedKeys = [...]string{"code", "kind", "message"}

func appendBody(out []byte, details map[string]any, code int, kind, msg string) ([]byte, bool) {
	var buf [16]string // no allocation for the usual few details
	keys := buf[:0]
	for k := range details {
		if k != "code" && k != "kind" && k != "message" {
			keys = append(keys, k)
		}
	}
	keys = append(keys, fixedKeys[:]...)
	slices.Sort(keys)
	for _, k := range keys {
		out = appendMember(out, k)
		switch k {
		case "code":
			out = strconv.AppendInt(out, int64(code), 10)
		case "kind":
			out = appendJSONString(out, kind)
		case "message":
			out = appendJSONString(out, msg)
		default:
			switch v := details[k].(type) {
			case string:
				out = appendJSONString(out, v)
			case int:
				out = strconv.AppendInt(out, int64(v), 10)
			case int64:
				out = strconv.AppendInt(out, v, 10)
			default:
				b, err := marshal(v)
				if err != nil {
					return nil, false
				}
				out = append(out, b...)
			}
		}
	}
	return out, true
}

// appendJSONString appends s as marshal encodes it. Plain printable ASCII,
// by far the common case, is copied as is; anything else goes through
// encoding/json itself, so the bytes cannot differ.
func appendJSONString(out []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			b, _ := marshal(s)
			return append(out, b...)
		}
	}
	out = append(out, '"')
	out = append(out, s...)
	return append(out, '"')
}

// marshal is json.Marshal without HTML escaping: hosts read the envelope as
// JSON, not HTML, and `a -> b` must not arrive as `a -\u003e b`.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// envelope returns the JSON and the callback status (0, or the error code).
func envelope(v any, err error) ([]byte, int32) {
	if err != nil {
		e := core.AsError(err)
		return errEnvelopeOf(e), int32(e.Code())
	}
	return okEnvelope(v), 0
}

// arg is one decoded string argument. Decoding happens while the caller's
// pointer is valid; errors are reported later through the callback.
type arg struct {
	name    string
	present bool
	s       string
	err     error
}

// newArg validates a raw argument: UTF-8, at most 16 MiB.
func newArg(name string, s string, present bool, tooLong bool) arg {
	a := arg{name: name, present: present, s: s}
	switch {
	case tooLong:
		a.err = core.InvalidArgument(name, "is larger than 16 MiB")
	case present && !utf8.ValidString(s):
		a.err = core.InvalidArgument(name, "is not valid UTF-8")
	}
	return a
}

// required returns the string or an error naming the argument.
func (a arg) required() (string, error) {
	if a.err != nil {
		return "", a.err
	}
	if !a.present {
		return "", core.InvalidArgument(a.name, "is required (got NULL)")
	}
	if a.s == "" {
		return "", core.InvalidArgument(a.name, "is empty")
	}
	return a.s, nil
}

// json decodes an optional JSON argument into v; absent leaves v alone.
// Present reports whether a value was given (JSON null counts as absent).
func (a arg) json(v any) (present bool, err error) {
	if a.err != nil {
		return false, a.err
	}
	if !a.present || a.s == "null" {
		return false, nil
	}
	if err := core.DecodeStrict(a.name, []byte(a.s), v); err != nil {
		return false, err
	}
	return true, nil
}

// requiredJSON decodes a JSON argument that must be present.
func (a arg) requiredJSON(v any) error {
	ok, err := a.json(v)
	if err != nil {
		return err
	}
	if !ok {
		return core.InvalidArgument(a.name, "is required (got NULL)")
	}
	return nil
}
