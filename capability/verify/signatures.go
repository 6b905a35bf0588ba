package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Limits on what a registry can make the verifier download: a repository
// is untrusted input until a signature verifies.
const (
	maxCandidates = 16      // signatures examined per layout
	maxBlob       = 1 << 20 // bytes of one payload or bundle
)

// Media types of the two layouts.
const (
	simpleSigningMediaType = "application/vnd.dev.cosign.simplesigning.v1+json"
	bundleMediaTypePrefix  = "application/vnd.dev.sigstore.bundle"
	emptyMediaType         = "application/vnd.oci.empty.v1+json"
)

// candidate is one signature found in the registry, not yet trusted.
type candidate struct {
	layout string
	where  string // for reasons: which tag/referrer and layer
	// sig-tag layout: the signed payload and the layer's annotations.
	payload     []byte
	annotations map[string]string
	// referrer layout: a Sigstore bundle (JSON).
	bundle []byte
}

// verifyDigest finds and checks the signatures of d. It returns what was
// verified, or a non-empty reason. checkManifest confirms that the digest
// exists (a tag was already resolved by a HEAD, a digest reference was not).
func (v *Verifier) verifyDigest(ctx context.Context, d name.Digest, checkManifest bool, p Policy) (verified, string) {
	if checkManifest {
		if _, err := remote.Head(d, v.remoteOpts(ctx)...); err != nil {
			return verified{}, registryReason("manifest "+d.DigestStr(), err)
		}
	}
	sv, err := v.sigstoreVerifier(ctx)
	if err != nil {
		return verified{}, fmt.Sprintf("sigstore trusted root: %v", err)
	}
	id, err := p.certificateIdentity()
	if err != nil {
		return verified{}, fmt.Sprintf("policy: %v", err)
	}

	var reasons []string
	found := 0
	check := func(cands []candidate) (verified, bool) {
		for _, c := range cands {
			found++
			got, err := checkCandidate(sv, id, c, d.DigestStr())
			if err == nil {
				return got, true
			}
			reasons = append(reasons, c.where+": "+err.Error())
		}
		return verified{}, false
	}

	// Classic first: it is what Chainguard publishes today; referrers are
	// cosign 3's default. Either suffices.
	classic, classicErr := v.fetchClassic(ctx, d)
	if got, ok := check(classic); ok {
		return got, ""
	}
	refs, refErr := v.fetchReferrers(ctx, d)
	if got, ok := check(refs); ok {
		return got, ""
	}
	for _, e := range []error{classicErr, refErr} {
		if e != nil {
			reasons = append(reasons, e.Error())
		}
	}
	if found == 0 && classicErr == nil && refErr == nil {
		return verified{}, fmt.Sprintf("no signature found for %s (neither tag %s nor an OCI referrer bundle)", d.DigestStr(), sigTag(d).TagStr())
	}
	if found == 0 {
		return verified{}, strings.Join(reasons, "; ")
	}
	return verified{}, fmt.Sprintf("no signature satisfies the policy (%s): %s", p, strings.Join(reasons, "; "))
}

// sigTag is cosign's classic signature tag of a digest: sha256-<hex>.sig.
func sigTag(d name.Digest) name.Tag {
	return d.Context().Tag(strings.Replace(d.DigestStr(), ":", "-", 1) + ".sig")
}

// fetchClassic reads the layers of the sha256-<hex>.sig image. A missing tag
// is no signature, not an error.
func (v *Verifier) fetchClassic(ctx context.Context, d name.Digest) ([]candidate, error) {
	tag := sigTag(d)
	m, err := v.manifest(ctx, tag)
	if err != nil {
		if isNotFound(err) {
			return nil, nil
		}
		return nil, errors.New(registryReason("signature tag "+tag.TagStr(), err))
	}
	var out []candidate
	for i, l := range m.Layers {
		if len(out) == maxCandidates {
			break
		}
		if string(l.MediaType) != simpleSigningMediaType {
			continue
		}
		where := fmt.Sprintf("%s layer %d", tag.TagStr(), i)
		payload, err := v.blob(ctx, d.Context().Digest(l.Digest.String()), l.Size)
		if err != nil {
			return out, fmt.Errorf("%s: %s", where, registryReason("payload", err))
		}
		out = append(out, candidate{layout: LayoutSigTag, where: where, payload: payload, annotations: l.Annotations})
	}
	return out, nil
}

// fetchReferrers reads the Sigstore bundles attached to d as OCI referrers
// (through the Referrers API, or its sha256-<hex> tag fallback).
func (v *Verifier) fetchReferrers(ctx context.Context, d name.Digest) ([]candidate, error) {
	idx, err := remote.Referrers(d, v.remoteOpts(ctx)...)
	if err != nil {
		return nil, errors.New(registryReason("referrers", err))
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, errors.New(registryReason("referrers", err))
	}
	var out []candidate
	for _, desc := range im.Manifests {
		if len(out) == maxCandidates {
			break
		}
		// Registries that predate artifactType report the config media
		// type instead (cosign's is the empty descriptor's); those
		// manifests are read to find out. Anything else is an SBOM or
		// another tool's artifact.
		at := desc.ArtifactType
		if !strings.HasPrefix(at, bundleMediaTypePrefix) && at != "" && at != emptyMediaType {
			continue
		}
		ref := d.Context().Digest(desc.Digest.String())
		m, err := v.manifest(ctx, ref)
		if err != nil {
			return out, errors.New(registryReason("referrer "+desc.Digest.String(), err))
		}
		if m.Subject == nil || m.Subject.Digest.String() != d.DigestStr() {
			continue // not attached to this digest, whatever the index says
		}
		for i, l := range m.Layers {
			if !strings.HasPrefix(string(l.MediaType), bundleMediaTypePrefix) {
				continue
			}
			where := fmt.Sprintf("referrer %s layer %d", desc.Digest, i)
			b, err := v.blob(ctx, d.Context().Digest(l.Digest.String()), l.Size)
			if err != nil {
				return out, fmt.Errorf("%s: %s", where, registryReason("bundle", err))
			}
			out = append(out, candidate{layout: LayoutReferrer, where: where, bundle: b})
			break // one bundle per referrer manifest
		}
	}
	return out, nil
}

func (v *Verifier) manifest(ctx context.Context, ref name.Reference) (*v1.Manifest, error) {
	desc, err := remote.Get(ref, v.remoteOpts(ctx)...)
	if err != nil {
		return nil, err
	}
	return v1.ParseManifest(bytes.NewReader(desc.Manifest))
}

// blob downloads one blob by digest. go-containerregistry checks the digest
// once the blob is read to the end.
func (v *Verifier) blob(ctx context.Context, d name.Digest, size int64) ([]byte, error) {
	if size > maxBlob {
		return nil, fmt.Errorf("blob %s is %d bytes, more than the %d allowed", d.DigestStr(), size, maxBlob)
	}
	l, err := remote.Layer(d, v.remoteOpts(ctx)...)
	if err != nil {
		return nil, err
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxBlob+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxBlob {
		return nil, fmt.Errorf("blob %s is larger than %d bytes", d.DigestStr(), maxBlob)
	}
	return data, nil
}

func isNotFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

// registryReason words a registry failure for a rejection: not found,
// refused, or unreachable.
func registryReason(what string, err error) string {
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case http.StatusNotFound:
			return what + " not found in the registry"
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Sprintf("the registry denied access to %s (HTTP %d)", what, terr.StatusCode)
		}
		return fmt.Sprintf("registry error for %s: %v", what, err)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Sprintf("registry did not answer for %s in time: %v", what, err)
	}
	return fmt.Sprintf("registry unreachable for %s: %v", what, err)
}
