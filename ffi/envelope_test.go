package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"testing"
	"unicode/utf8"

	"pgregory.net/rapid"

	"github.com/perryts/perry-container/core"
)

// referenceErrEnvelope is the original encoder (a map through
// encoding/json): the envelope bytes are part of the ABI, so the fast
// encoder must produce exactly these bytes.
func referenceErrEnvelope(err error) []byte {
	e := core.AsError(err)
	body := make(map[string]any, len(e.Details)+3)
	for k, v := range e.Details {
		body[k] = v
	}
	msg := e.Error()
	if !utf8.ValidString(msg) {
		msg = string([]rune(msg))
	}
	body["code"], body["kind"], body["message"] = e.Code(), string(e.Kind), msg
	inner, mErr := refMarshal(body)
	if mErr != nil {
		inner, _ = refMarshal(map[string]any{"code": e.Code(), "kind": string(e.Kind), "message": msg})
	}
	out := append([]byte(`{"ok":false,"error":`), inner...)
	return append(out, '}')
}

// refMarshal is what the envelope must equal: encoding/json without HTML
// escaping (hosts read JSON, not HTML).
func refMarshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

func referenceOkEnvelope(v any) []byte {
	res, err := refMarshal(v)
	if err != nil {
		return referenceErrEnvelope(core.Errorf(core.KindInternal, "encoding the result: %v", err))
	}
	out := append([]byte(`{"ok":true,"result":`), res...)
	return append(out, '}')
}

type marshalsOddly struct{ S string }

func (m marshalsOddly) MarshalJSON() ([]byte, error) {
	return []byte(` { "s" : "` + m.S + `<&>" } `), nil
}

func detailValue(t *rapid.T, label string) any {
	switch rapid.IntRange(0, 12).Draw(t, label+"-type") {
	case 11:
		return rapid.Int64().Draw(t, label)
	case 0:
		return rapid.String().Draw(t, label)
	case 1:
		return rapid.Int().Draw(t, label)
	case 2:
		return rapid.Float64().Draw(t, label)
	case 3:
		return nil
	case 4:
		return rapid.SliceOf(rapid.String()).Draw(t, label)
	case 5:
		return map[string]any{rapid.String().Draw(t, label+"-k"): rapid.Int64().Draw(t, label+"-v")}
	case 6:
		return math.NaN() // unencodable: the whole body falls back to code, kind, message
	case 7:
		return func() {} // unencodable too
	case 8:
		return marshalsOddly{S: rapid.StringMatching(`[a-z<>&]{0,5}`).Draw(t, label)}
	case 9:
		return rapid.Bool().Draw(t, label)
	case 10:
		return []byte(rapid.String().Draw(t, label))
	}
	return &core.Error{Kind: core.KindNotFound, Message: "x"}
}

// The fast encoders produce the original bytes for any error and result.
func TestPropertyEnvelopeBytesUnchanged(t *testing.T) {
	kinds := []core.Kind{core.KindNotFound, core.KindInvalidArgument, core.KindInternal, core.KindBackendError, core.KindTimeout, core.Kind("Odd<&>\u2028kind")}
	rapid.Check(t, func(t *rapid.T) {
		e := &core.Error{Kind: rapid.SampledFrom(kinds).Draw(t, "kind"),
			Message: rapid.OneOf(rapid.String(), rapid.StringMatching(`[ -~]{0,40}`),
				rapid.Custom(func(t *rapid.T) string { return string(rapid.SliceOf(rapid.Byte()).Draw(t, "raw")) })).Draw(t, "msg"),
			CodeOverride: rapid.SampledFrom([]int{0, 0, 1, 125, -3}).Draw(t, "code")}
		n := rapid.IntRange(0, 5).Draw(t, "details")
		for i := 0; i < n; i++ {
			k := rapid.OneOf(rapid.SampledFrom([]string{"code", "kind", "message", "argument", "id", "a<b", "\u2029", "ok"}), rapid.String()).Draw(t, "key")
			e = e.With(k, detailValue(t, "value"))
		}
		var err error = e
		if rapid.Bool().Draw(t, "wrapped") {
			err = errors.Join(errors.New("outer"), e)
		}
		got, want := errEnvelope(err), referenceErrEnvelope(err)
		if string(got) != string(want) {
			t.Fatalf("error envelope changed:\n got %s\nwant %s", got, want)
		}
		js, status := envelope(nil, err)
		if string(js) != string(want) || int(status) != core.AsError(err).Code() {
			t.Fatalf("envelope(nil, err) = %s, %d", js, status)
		}
		v := detailValue(t, "result")
		if got, want := okEnvelope(v), referenceOkEnvelope(v); string(got) != string(want) {
			t.Fatalf("ok envelope changed:\n got %s\nwant %s", got, want)
		}
	})
}

// Envelopes handed to C keep room for the NUL terminator, so the callback
// needs no copy.
func TestEnvelopeHasRoomForNUL(t *testing.T) {
	for _, js := range [][]byte{okEnvelope(map[string]int{"a": 1}), okEnvelope(nil),
		errEnvelope(core.InvalidArgument("id", "is required (got NULL)")), errEnvelope(errors.New("plain"))} {
		if cap(js) <= len(js) {
			t.Fatalf("no room for NUL: len %d cap %d: %s", len(js), cap(js), js)
		}
	}
}

func BenchmarkErrEnvelope(b *testing.B) {
	err := core.InvalidArgument("id", "is required (got NULL)")
	b.ReportAllocs()
	for b.Loop() {
		envelope(nil, err)
	}
}

func BenchmarkErrEnvelopeReference(b *testing.B) {
	err := core.InvalidArgument("id", "is required (got NULL)")
	b.ReportAllocs()
	for b.Loop() {
		_ = referenceErrEnvelope(err)
		_ = core.AsError(err).Code()
	}
}

func BenchmarkOkEnvelope(b *testing.B) {
	v := map[string]any{"id": "0123456789abcdef", "name": "web-1", "state": "running"}
	b.ReportAllocs()
	for b.Loop() {
		okEnvelope(v)
	}
}

func BenchmarkOkEnvelopeReference(b *testing.B) {
	v := map[string]any{"id": "0123456789abcdef", "name": "web-1", "state": "running"}
	b.ReportAllocs()
	for b.Loop() {
		_ = referenceOkEnvelope(v)
	}
}
