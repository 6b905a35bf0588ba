// Package verify checks container image signatures with sigstore-go
// (docs/design.md, Image verification) before anything runs an image.
//
// A reference is resolved to its manifest digest first; the signatures of
// that digest are looked up in the reference's repository in both layouts
// cosign uses — the classic sha256-<hex>.sig tag (simple-signing payloads
// with certificate and Rekor bundle annotations) and Sigstore bundles
// attached as OCI referrers (cosign 3) — and verified keyless: the Fulcio
// certificate chains to the trusted root, carries an SCT (unless a test
// turns that off), was logged in Rekor, and names the policy's identity and
// issuer. The signed content must name the digest: a valid signature of
// another image copied onto this one's tag is rejected. The caller gets
// Result.Pinned (repository@digest) and runs exactly that.
//
// Successful verifications are cached for the life of the Verifier, keyed
// by digest + issuer + identity; concurrent checks of one digest share one
// verification; failures are not cached. The trusted root comes from
// Sigstore's TUF repository (cached on disk only in an explicit directory)
// with an embedded public-good trusted_root.json as fallback.
package verify
