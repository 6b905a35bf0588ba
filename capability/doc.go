// Package capability runs shell capabilities (Requirements 13–15): a
// command from perryconfig.toml's shellCapabilities, executed in an
// ephemeral, hardened container on the same backend.Backend as the rest
// of the library, from an image whose Sigstore signature was verified
// first (package verify) and which is run by digest.
//
// Run is the entry point the ffi layer calls. It never creates a container
// from an image that did not verify, and never runs a reference that is not
// pinned to the verified digest. The general run() path does not verify
// images by default; only capabilities do.
//
// Images: DefaultBaseImage (cgr.dev/chainguard/wolfi-base) and
// ChainguardImage(tool) for the tools Chainguard publishes; an image
// configured per capability must pass the same verification.
package capability
