package verify

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"slices"
	"strings"

	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// Annotations of a cosign classic signature layer.
const (
	annSignature = "dev.cosignproject.cosign/signature"
	annCert      = "dev.sigstore.cosign/certificate"
	annBundle    = "dev.sigstore.cosign/bundle"
	annRFC3161   = "dev.sigstore.cosign/rfc3161timestamp"
)

// simpleSigningType is the critical.type of a cosign classic payload.
const simpleSigningType = "cosign container image signature"

// CosignSignPredicate is the in-toto predicate type cosign 3 gives an image
// signature. Other predicates (SBOM, provenance) attached the same way are
// attestations, not signatures, and do not satisfy a verification.
const CosignSignPredicate = "https://sigstore.dev/cosign/sign/v1"

// checkCandidate verifies one signature against the policy and the digest.
// Crypto comes first (so a tampered payload is reported as such), then the
// claim: the signed content must name this digest — without that check a
// valid signature of another image copied onto this image's tag passes.
func checkCandidate(sv *sgverify.Verifier, id sgverify.CertificateIdentity, c candidate, digest string) (verified, error) {
	switch c.layout {
	case LayoutSigTag:
		return checkClassic(sv, id, c, digest)
	case LayoutReferrer:
		return checkBundle(sv, id, c, digest)
	}
	return verified{}, fmt.Errorf("unknown layout %q", c.layout)
}

func checkClassic(sv *sgverify.Verifier, id sgverify.CertificateIdentity, c candidate, digest string) (verified, error) {
	ent, err := classicEntityOf(c)
	if err != nil {
		return verified{}, err
	}
	res, err := sv.Verify(ent, sgverify.NewPolicy(
		sgverify.WithArtifact(bytes.NewReader(c.payload)),
		sgverify.WithCertificateIdentity(id)))
	if err != nil {
		return verified{}, err
	}
	var p struct {
		Critical struct {
			Image struct {
				DockerManifestDigest string `json:"docker-manifest-digest"`
			} `json:"image"`
			Type string `json:"type"`
		} `json:"critical"`
	}
	if err := json.Unmarshal(c.payload, &p); err != nil {
		return verified{}, fmt.Errorf("signed payload is not a cosign simple-signing document: %v", err)
	}
	if p.Critical.Type != simpleSigningType {
		return verified{}, fmt.Errorf("signed payload has type %q, not %q", p.Critical.Type, simpleSigningType)
	}
	if p.Critical.Image.DockerManifestDigest != digest {
		return verified{}, fmt.Errorf("signed payload names %s, not %s (a signature of another image)", p.Critical.Image.DockerManifestDigest, digest)
	}
	return verifiedOf(res, LayoutSigTag), nil
}

func checkBundle(sv *sgverify.Verifier, id sgverify.CertificateIdentity, c candidate, digest string) (verified, error) {
	var b bundle.Bundle
	if err := b.UnmarshalJSON(c.bundle); err != nil {
		return verified{}, fmt.Errorf("invalid Sigstore bundle: %v", err)
	}
	raw, err := hex.DecodeString(strings.TrimPrefix(digest, "sha256:"))
	if err != nil {
		return verified{}, err
	}
	// WithArtifactDigest makes sigstore-go check the claim: an in-toto
	// statement's subject, or a message signature's digest, must be this
	// digest.
	res, err := sv.Verify(&b, sgverify.NewPolicy(
		sgverify.WithArtifactDigest("sha256", raw),
		sgverify.WithCertificateIdentity(id)))
	if err != nil {
		return verified{}, err
	}
	if st := res.Statement; st != nil && st.GetPredicateType() != CosignSignPredicate {
		return verified{}, fmt.Errorf("bundle is an attestation of type %q, not an image signature (%s)", st.GetPredicateType(), CosignSignPredicate)
	}
	return verifiedOf(res, LayoutReferrer), nil
}

func verifiedOf(res *sgverify.VerificationResult, layout string) verified {
	got := verified{layout: layout}
	if res.Signature != nil && res.Signature.Certificate != nil {
		got.identity = res.Signature.Certificate.SubjectAlternativeName
		got.issuer = res.Signature.Certificate.Issuer
	}
	return got
}

// classicEntity presents a cosign classic signature (payload, signature,
// certificate and Rekor bundle annotations) as a sigstore-go SignedEntity.
// It is the shape of a v0.1 bundle: the transparency-log evidence is an
// inclusion promise (the SET), verified against the trusted root's Rekor key.
type classicEntity struct {
	cert       *x509.Certificate
	sig        []byte
	digest     []byte // sha256 of the payload
	entries    []*tlog.Entry
	timestamps [][]byte
}

func (e *classicEntity) HasInclusionPromise() bool {
	return slices.ContainsFunc(e.entries, (*tlog.Entry).HasInclusionPromise)
}

func (e *classicEntity) HasInclusionProof() bool {
	return slices.ContainsFunc(e.entries, (*tlog.Entry).HasInclusionProof)
}

func (e *classicEntity) SignatureContent() (sgverify.SignatureContent, error) {
	return bundle.NewMessageSignature(e.digest, "SHA2_256", e.sig), nil
}

func (e *classicEntity) VerificationContent() (sgverify.VerificationContent, error) {
	return bundle.NewCertificate(e.cert), nil
}

func (e *classicEntity) Timestamps() ([][]byte, error)       { return e.timestamps, nil }
func (e *classicEntity) TlogEntries() ([]*tlog.Entry, error) { return e.entries, nil }
func (e *classicEntity) Version() (string, error)            { return "v0.1", nil }

var _ sgverify.SignedEntity = (*classicEntity)(nil)

// rekorBundle is cosign's dev.sigstore.cosign/bundle annotation.
type rekorBundle struct {
	SignedEntryTimestamp []byte `json:"SignedEntryTimestamp"` // base64 in JSON
	Payload              struct {
		Body           string `json:"body"` // base64 canonicalized entry
		IntegratedTime int64  `json:"integratedTime"`
		LogIndex       int64  `json:"logIndex"`
		LogID          string `json:"logID"` // hex
	} `json:"Payload"`
}

func classicEntityOf(c candidate) (*classicEntity, error) {
	a := c.annotations
	sigB64, ok := a[annSignature]
	if !ok {
		return nil, errors.New("no signature annotation")
	}
	sig, err := base64.StdEncoding.DecodeString(sigB64)
	if err != nil {
		return nil, fmt.Errorf("signature annotation: %v", err)
	}
	certPEM, ok := a[annCert]
	if !ok {
		return nil, errors.New("no certificate: a key-based signature cannot satisfy a keyless identity policy")
	}
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("certificate annotation is not a PEM certificate")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("certificate annotation: %v", err)
	}
	bundleJSON, ok := a[annBundle]
	if !ok {
		return nil, errors.New("no transparency-log bundle annotation")
	}
	var rb rekorBundle
	if err := json.Unmarshal([]byte(bundleJSON), &rb); err != nil {
		return nil, fmt.Errorf("transparency-log bundle annotation: %v", err)
	}
	entry, err := tlogEntryOf(rb)
	if err != nil {
		return nil, fmt.Errorf("transparency-log bundle annotation: %v", err)
	}
	digest := sha256.Sum256(c.payload)
	ent := &classicEntity{cert: cert, sig: sig, digest: digest[:], entries: []*tlog.Entry{entry}}
	if ts, ok := a[annRFC3161]; ok {
		var t struct {
			SignedRFC3161Timestamp []byte `json:"SignedRFC3161Timestamp"`
		}
		if err := json.Unmarshal([]byte(ts), &t); err != nil {
			return nil, fmt.Errorf("RFC 3161 timestamp annotation: %v", err)
		}
		ent.timestamps = append(ent.timestamps, t.SignedRFC3161Timestamp)
	}
	return ent, nil
}

func tlogEntryOf(rb rekorBundle) (*tlog.Entry, error) {
	body, err := base64.StdEncoding.DecodeString(rb.Payload.Body)
	if err != nil {
		return nil, fmt.Errorf("body: %v", err)
	}
	logID, err := hex.DecodeString(rb.Payload.LogID)
	if err != nil {
		return nil, fmt.Errorf("logID: %v", err)
	}
	var kv struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
	}
	if err := json.Unmarshal(body, &kv); err != nil {
		return nil, fmt.Errorf("body: %v", err)
	}
	if len(rb.SignedEntryTimestamp) == 0 {
		return nil, errors.New("no signed entry timestamp")
	}
	return tlog.ParseTransparencyLogEntry(&protorekor.TransparencyLogEntry{
		LogIndex:          rb.Payload.LogIndex,
		LogId:             &protocommon.LogId{KeyId: logID},
		KindVersion:       &protorekor.KindVersion{Kind: kv.Kind, Version: kv.APIVersion},
		IntegratedTime:    rb.Payload.IntegratedTime,
		InclusionPromise:  &protorekor.InclusionPromise{SignedEntryTimestamp: rb.SignedEntryTimestamp},
		CanonicalizedBody: body,
	})
}
