// Package cli is the CLI backend: one generic runner that drives a container
// runtime's command-line tool over one of its protocols (docs/design.md, Two execution strategies).
//
//   - The Docker-compatible protocol serves docker, podman, nerdctl and the
//     runtimes that wrap them (orbstack, colima, rancher-desktop).
//   - The apple/container protocol serves Apple's `container` CLI, 0.x and 1.x.
//   - Lima runs nerdctl inside a Lima VM: `limactl shell --workdir / INST nerdctl …`.
//
// Arguments are built by pure functions ([Protocol] methods) and passed to
// os/exec as an argv array, never through a shell. Values are attached to
// their flags (`--name=VALUE`) and positionals follow `--`, so no value can be
// read as a flag. A ContainerSpec field a runtime cannot express is rejected
// with an InvalidArgument error naming the field and the runtime; none is
// silently dropped.
//
// Output parsing tolerates each runtime's JSON shape: docker's NDJSON with
// comma-joined labels, podman's arrays with integer timestamps, nerdctl's
// lists without State, and both apple/container layouts (dates counted from
// 2001-01-01 in 0.x, ISO 8601 in 1.x).
package cli
