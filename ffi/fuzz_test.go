package main

import (
	"context"
	"encoding/json"
	"math"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

// Fuzz targets of the FFI argument decoders (what every export does with
// its borrowed strings before anything else), and of whole operations over
// the fake engine. Any input gives a documented error naming the argument,
// or a result; no panic, and every envelope is valid JSON.
//
//	go test -run '^$' -fuzz '^FuzzArgDecoders$' -fuzztime 1h ./ffi/

func checkArgErr(t *testing.T, name string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	e := core.AsError(err)
	if e.Kind != core.KindInvalidArgument || e.Details["argument"] != name {
		t.Fatalf("%s: not an InvalidArgument naming it: %v %v", name, e.Kind, err)
	}
	js, status := envelope(nil, err)
	if status != 400 || !json.Valid(js) {
		t.Fatalf("%s: envelope %d %s", name, status, js)
	}
}

func FuzzArgDecoders(f *testing.F) {
	for _, s := range []string{"0", "-0", "1e999", "-1", "1.5", "86400", "86401", `"NaN"`, "NaN", "true", " false ", "null",
		"[]", `["a","b"]`, `{"A":"b"}`, `{"A":1}`, "", " ", "\xff", "9007199254740993", "2147483648", "1e-300", "{} {}"} {
		f.Add(s, true)
	}
	f.Add("", false)
	f.Fuzz(func(t *testing.T, s string, present bool) {
		a := newArg("x", s, present, false)
		if present && !utf8.ValidString(s) && a.err == nil {
			t.Fatal("invalid UTF-8 accepted")
		}
		n, err := intArg(a, 86400)
		checkArgErr(t, "x", err)
		if err == nil && n != nil && (*n < 0 || *n > 86400) {
			t.Fatalf("intArg out of range: %d", *n)
		}
		m, err := intArg(a, math.MaxInt32)
		checkArgErr(t, "x", err)
		if err == nil && m != nil && (*m < 0 || *m > math.MaxInt32) {
			t.Fatalf("intArg out of range: %d", *m)
		}
		_, err = boolArg(a)
		checkArgErr(t, "x", err)
		var env map[string]string
		_, err = a.json(&env)
		checkArgErr(t, "x", err)
		var argv []string
		checkArgErr(t, "x", a.requiredJSON(&argv))
		var o ComposeExecOptions
		_, err = a.json(&o)
		checkArgErr(t, "x", err)
		_, err = a.required()
		checkArgErr(t, "x", err)
		_, err = core.DecodeContainerSpec("x", []byte(s))
		checkArgErr(t, "x", err)
	})
}

// FuzzOpsOnFake runs whole operations with fuzzed arguments on the fake.
func FuzzOpsOnFake(f *testing.F) {
	f.Add(`{"image":"perry-test/busybox:latest","cmd":["echo","hi"]}`, `["sh","-c","exit 3"]`, `{"A":"b"}`, "10", `{"services":{"a":{"image":"perry-test/busybox:latest"}}}`)
	f.Add(`{"image":"x","name":"-rf"}`, `[]`, `{"A":1}`, "-1", `{"services":{"a":{"image":"x","cpus":"NaN"}}}`)
	f.Add(`{"image":"x","env":{"A":"\u0000"}}`, `[null]`, `null`, "1e999", `{"services":{"a":{"image":"x"}},"volumes":{"v":{"external":"yes"}}}`)
	f.Add(`{"name":"g","nodes":{"a":{"image":"x"}},"edges":[]}`, `["true"]`, `{}`, "0", `{"name":"g","services":{"a":{"image":"x","depends_on":["a"]}}}`)
	fb := fake.New("perry-test/busybox:latest")
	c := fakeContext(fb)
	f.Fuzz(func(t *testing.T, spec, cmd, env, tail, compose string) {
		ctx := context.Background()
		a := func(name, s string) arg { return newArg(name, s, true, false) }
		ok := func(what string, v any, err error) {
			js, status := envelope(v, err)
			if !json.Valid(js) {
				t.Fatalf("%s: invalid envelope %s", what, js)
			}
			if err != nil {
				e := core.AsError(err)
				if e.Kind == core.KindInternal || e.Error() == "" || int(status) != e.Code() {
					t.Fatalf("%s: %v (%s, status %d)", what, err, e.Kind, status)
				}
			}
		}
		res, err := c.opRun(ctx, a("spec", spec), true)
		ok("create", res, err)
		id := "missing"
		if err == nil {
			id = res.(core.ContainerHandle).ID
			defer func() { _, _ = c.opRemove(ctx, a("id", id), a("force", "true")) }()
		}
		v, err := c.opExec(ctx, a("id", id), a("cmd", cmd), a("env", env), a("workdir", "/"))
		ok("exec", v, err)
		v, err = c.opLogs(ctx, a("id", id), a("tail", tail))
		ok("logs", v, err)
		v, err = c.opStop(ctx, a("id", id), a("timeout", tail))
		ok("stop", v, err)
		if len(compose) < 1<<12 && !strings.Contains(compose, "build") {
			v, err = c.composeUp(ctx, a("spec", compose))
			ok("compose up", v, err)
			if err == nil {
				_, err = c.composeDown(ctx, v.(ComposeUpResult).Handle, true)
				ok("compose down", nil, err)
			}
		}
		v, err = workloadGraph(a("name", "g"), a("spec", spec))
		ok("workload graph", v, err)
		v, err = workloadNode(a("name", "n"), a("spec", spec))
		ok("workload node", v, err)
	})
}
