package cli

import (
	"encoding/csv"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/perryts/perry-container/core"
)

// Feature: perry-container, Property 3: ContainerSpec CLI Argument Round-Trip
//
// Device requests for GPUs and variables removed from the image's
// environment: every --gpus value, read back as the docker CLI reads it
// (a CSV record of key=value fields; device and capabilities split on
// commas, the gpu capability added; options a CSV record of its own), is
// the request drawn, in order; every removed variable is a bare --env on
// docker and an --unsetenv on podman. nerdctl takes the requests without
// options and for the nvidia driver, else refuses naming the field;
// podman refuses any request naming device_requests.
func TestPropertyGPURequestArgsRoundTrip(t *testing.T) {
	word := rapid.StringMatching(`[a-zA-Z0-9][a-zA-Z0-9_.:/-]{0,7}`)
	rapid.Check(t, func(t *rapid.T) {
		spec := &core.ContainerSpec{Image: "img"}
		for i := range rapid.IntRange(0, 3).Draw(t, "requests") {
			n := strconv.Itoa(i)
			r := core.DeviceRequest{Capabilities: append(rapid.SliceOfNDistinct(word, 0, 2, func(s string) string { return s }).Draw(t, "caps"+n), "gpu")}
			slices.Sort(r.Capabilities)
			r.Capabilities = slices.Compact(r.Capabilities)
			if maybe(t, "ids?"+n) {
				r.DeviceIDs = rapid.SliceOfN(word, 1, 3).Draw(t, "ids"+n)
			} else {
				r.Count = rapid.IntRange(-1, 8).Draw(t, "count"+n)
			}
			if maybe(t, "driver?"+n) {
				r.Driver = rapid.SampledFrom([]string{"nvidia", "cdi", "amd"}).Draw(t, "driver"+n)
			}
			if maybe(t, "options?"+n) {
				r.Options = rapid.MapOfN(word, rapid.StringMatching(`[a-zA-Z0-9 =:/._-]{0,8}`), 1, 3).Draw(t, "options"+n)
				for k := range r.Options {
					if strings.Contains(k, "=") {
						delete(r.Options, k)
					}
				}
				if len(r.Options) == 0 {
					r.Options = nil
				}
			}
			spec.DeviceRequests = append(spec.DeviceRequests, r)
		}
		spec.UnsetEnv = rapid.SliceOfNDistinct(rapid.StringMatching(`[A-Z_][A-Z0-9_]{0,7}`), 0, 3, func(s string) string { return s }).Draw(t, "unset_env")

		args, err := dockerP.CreateArgs(spec)
		if err != nil {
			t.Fatalf("docker: %v", err)
		}
		if got := readGPUs(t, args); !slices.EqualFunc(got, spec.DeviceRequests, sameRequest) {
			t.Fatalf("docker --gpus read back as %+v, want %+v (%q)", got, spec.DeviceRequests, args)
		}
		if got := flagValues(args, "--env"); !slices.Equal(got, slices.Sorted(slices.Values(spec.UnsetEnv))) {
			t.Fatalf("docker bare --env %q, want %q", got, spec.UnsetEnv)
		}

		podman := &core.ContainerSpec{Image: "img", UnsetEnv: spec.UnsetEnv}
		args, err = podmanP.CreateArgs(podman)
		if err != nil || !slices.Equal(flagValues(args, "--unsetenv"), slices.Sorted(slices.Values(spec.UnsetEnv))) {
			t.Fatalf("podman: %q, %v; want --unsetenv of %q", args, err, spec.UnsetEnv)
		}
		if len(spec.DeviceRequests) > 0 {
			_, err = podmanP.CreateArgs(&core.ContainerSpec{Image: "img", DeviceRequests: spec.DeviceRequests})
			if e := core.AsError(err); e == nil || e.Kind != core.KindInvalidArgument || !strings.Contains(e.Message, "device_requests[0]") {
				t.Fatalf("podman with device requests: %v, want InvalidArgument naming device_requests[0]", err)
			}
		}

		nerdctl := &core.ContainerSpec{Image: "img", DeviceRequests: spec.DeviceRequests}
		args, err = nerdctlP.CreateArgs(nerdctl)
		bad := slices.IndexFunc(spec.DeviceRequests, func(r core.DeviceRequest) bool {
			return len(r.Options) > 0 || (r.Driver != "" && r.Driver != "nvidia")
		})
		if bad >= 0 {
			if e := core.AsError(err); e == nil || e.Kind != core.KindInvalidArgument || !strings.Contains(e.Message, "device_requests["+strconv.Itoa(bad)+"]") {
				t.Fatalf("nerdctl: %v, want InvalidArgument naming device_requests[%d]", err, bad)
			}
			return
		}
		if err != nil {
			t.Fatalf("nerdctl: %v", err)
		}
		if got := readGPUs(t, args); !slices.EqualFunc(got, spec.DeviceRequests, sameRequest) {
			t.Fatalf("nerdctl --gpus read back as %+v, want %+v", got, spec.DeviceRequests)
		}
	})
}

// flagValues is the values of every --flag=value before "--", in order,
// those of --env only when bare (no "=" in the value).
func flagValues(args []string, flag string) []string {
	var out []string
	for _, a := range args {
		if a == "--" {
			break
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok && (flag != "--env" || !strings.Contains(v, "=")) {
			out = append(out, v)
		}
	}
	return out
}

// readGPUs reads every --gpus value as the docker CLI's GpuOpts does.
func readGPUs(t *rapid.T, args []string) []core.DeviceRequest {
	var out []core.DeviceRequest
	for _, v := range flagValues(args, "--gpus") {
		fields, err := csv.NewReader(strings.NewReader(v)).Read()
		if err != nil {
			t.Fatalf("--gpus=%s: %v", v, err)
		}
		r := core.DeviceRequest{Capabilities: []string{"gpu"}}
		for _, f := range fields {
			k, val, _ := strings.Cut(f, "=")
			switch k {
			case "count":
				if val == "all" {
					r.Count = -1
				} else if r.Count, err = strconv.Atoi(val); err != nil {
					t.Fatalf("--gpus=%s: count %q", v, val)
				}
			case "device":
				r.DeviceIDs = strings.Split(val, ",")
			case "driver":
				r.Driver = val
			case "capabilities":
				r.Capabilities = append(strings.Split(val, ","), "gpu")
			case "options":
				opts, err := csv.NewReader(strings.NewReader(val)).Read()
				if err != nil {
					t.Fatalf("--gpus=%s: options %q: %v", v, val, err)
				}
				r.Options = map[string]string{}
				for _, o := range opts {
					ok, ov, _ := strings.Cut(o, "=")
					r.Options[ok] = ov
				}
			default:
				t.Fatalf("--gpus=%s: unknown key %q", v, k)
			}
		}
		out = append(out, r)
	}
	return out
}

// sameRequest compares requests with the capabilities as a set.
func sameRequest(a, b core.DeviceRequest) bool {
	ca, cb := slices.Sorted(slices.Values(a.Capabilities)), slices.Sorted(slices.Values(b.Capabilities))
	return a.Driver == b.Driver && a.Count == b.Count && slices.Equal(a.DeviceIDs, b.DeviceIDs) &&
		slices.Equal(slices.Compact(ca), slices.Compact(cb)) && maps.Equal(a.Options, b.Options)
}
