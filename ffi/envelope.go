package main

import (
	"encoding/json"
	"strconv"
	"unicode/utf8"

	"github.com/perryts/perry-container/core"
)

// maxArg bounds every string argument (DECISIONS D3: inputs over 16 MiB are
// InvalidArgument).
const maxArg = 16 << 20

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// okEnvelope encodes {"ok":true,"result":v}.
func okEnvelope(v any) []byte {
	res, err := json.Marshal(v)
	if err != nil {
		return errEnvelope(core.Errorf(core.KindInternal, "encoding the result: %v", err))
	}
	out := make([]byte, 0, len(res)+22)
	out = append(out, `{"ok":true,"result":`...)
	out = append(out, res...)
	return append(out, '}')
}

// errEnvelope encodes {"ok":false,"error":{"code":…,"kind":…,"message":…,…details}}.
func errEnvelope(err error) []byte {
	e := core.AsError(err)
	body := make(map[string]any, len(e.Details)+3)
	for k, v := range e.Details {
		body[k] = v
	}
	msg := e.Error()
	if !utf8.ValidString(msg) {
		msg = string([]rune(msg)) // replaces invalid bytes with U+FFFD
	}
	body["code"], body["kind"], body["message"] = e.Code(), string(e.Kind), msg
	inner, mErr := json.Marshal(body)
	if mErr != nil {
		// A detail that does not encode must not lose the error itself.
		inner, _ = json.Marshal(map[string]any{"code": e.Code(), "kind": string(e.Kind), "message": msg})
	}
	out := make([]byte, 0, len(inner)+22)
	out = append(out, `{"ok":false,"error":`...)
	out = append(out, inner...)
	return append(out, '}')
}

// envelope returns the JSON and the callback status (0, or the error code).
func envelope(v any, err error) ([]byte, int32) {
	if err != nil {
		return errEnvelope(err), int32(core.AsError(err).Code())
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
