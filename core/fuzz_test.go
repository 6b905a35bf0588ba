package core

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
)

// FuzzDecodeStrict: whatever the bytes, DecodeStrict either decodes or
// returns an InvalidArgument naming the argument (and, for an unknown key,
// the key); it never panics. What it accepts, encoding/json accepts too.
//
//	go test -run '^$' -fuzz '^FuzzDecodeStrict$' -fuzztime 1h ./core/
func FuzzDecodeStrict(f *testing.F) {
	for _, s := range []string{
		`{"image":"x","cmd":["a"],"env":{"A":"b"},"healthcheck":{"test":["CMD","true"]},"ulimits":[{"name":"n","soft":1,"hard":2}]}`,
		`{"image":"x","bogus":1}`, `{"image":1}`, `{"memory":1e999}`, `{"cpus":-0}`, `[1,2]`, `null`, `{} {}`, `{`,
		`{"context":"/tmp","args":{"A":null}}`, `{"name":"g","nodes":{"a":{"runtime":{"type":"oci","config":{"x":1}}}},"edges":[]}`,
		"\"\xff\"", `{"env":{"":"\u0000"}}`, strings.Repeat("[", 10001),
	} {
		f.Add([]byte(s), uint8(0))
	}
	f.Fuzz(func(t *testing.T, data []byte, which uint8) {
		targets := []func() any{
			func() any { return new(ContainerSpec) }, func() any { return new(BuildSpec) },
			func() any { return new(WorkloadGraph) }, func() any { return new(map[string]string) },
			func() any { return new([]string) }, func() any { return new(float64) }, func() any { return new(bool) },
		}
		v := targets[int(which)%len(targets)]()
		err := DecodeStrict("arg", data, v)
		if err == nil {
			if json.Unmarshal(data, targets[int(which)%len(targets)]()) != nil {
				t.Fatalf("DecodeStrict accepted what encoding/json rejects: %q", data)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) || e.Kind != KindInvalidArgument || e.Details["argument"] != "arg" {
			t.Fatalf("not an InvalidArgument naming the argument: %#v", err)
		}
		if !strings.HasPrefix(e.Message, "invalid argument arg: ") || len(e.Message) <= len("invalid argument arg: ") {
			t.Fatalf("message: %q", e.Message)
		}
		// The message names the key as %q shows it (so a control character
		// stays readable): found by the fuzzer, kept in testdata/fuzz.
		if k, ok := e.Details["key"]; ok && !strings.Contains(e.Message, strconv.Quote(k.(string))) && !strings.Contains(e.Message, k.(string)) {
			t.Fatalf("key %v not in message %q", k, e.Message)
		}
	})
}

// FuzzDecodeContainerSpec: a spec that decodes validates, has no NUL in any
// string, and survives a JSON round trip.
func FuzzDecodeContainerSpec(f *testing.F) {
	for _, s := range []string{
		`{"image":"busybox","name":"a","cmd":["sh","-c","echo $HOME; $(id)"],"env":{"A":"x\ny"},"labels":{"l":"-rf"}}`,
		`{"image":"busybox","workdir":"/a\u0000b"}`, `{"image":"busybox","verify":{"identity":"x"}}`,
		`{"image":"busybox","name":"-rf"}`, `{"image":" "}`, `{"image":"x","healthcheck":{"interval":"1s"}}`,
		`{"image":"x","mounts":[{"type":"bind","source":"/\u0000","target":"/t"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := DecodeContainerSpec("spec", data)
		if err != nil {
			if KindOf(err) != KindInvalidArgument {
				t.Fatalf("kind %s: %v", KindOf(err), err)
			}
			return
		}
		if at, ok := FindNUL(s); ok {
			t.Fatalf("accepted a NUL at %s", at)
		}
		out, err := json.Marshal(s)
		if err != nil {
			t.Fatalf("accepted spec does not encode: %v", err)
		}
		if _, err := DecodeContainerSpec("spec", out); err != nil {
			t.Fatalf("round trip: %v\n%s", err, out)
		}
	})
}
