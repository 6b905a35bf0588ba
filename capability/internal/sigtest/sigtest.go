// Package sigtest builds what image-verification tests need, offline: a
// registry on 127.0.0.1 (go-containerregistry's in-memory registry), images
// pushed to it, and signatures in both cosign layouts made by a virtual
// Fulcio/Rekor/TSA (sigstore-go's pkg/testing/ca), with a trusted root that
// names exactly that virtual instance. Only tests import it.
package sigtest

import (
	"bytes"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
	protobundle "github.com/sigstore/protobuf-specs/gen/pb-go/bundle/v1"
	protocommon "github.com/sigstore/protobuf-specs/gen/pb-go/common/v1"
	protodsse "github.com/sigstore/protobuf-specs/gen/pb-go/dsse"
	protorekor "github.com/sigstore/protobuf-specs/gen/pb-go/rekor/v1"
	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/testing/ca"
	"github.com/sigstore/sigstore-go/pkg/tlog"
	"google.golang.org/protobuf/encoding/protojson"
)

// Identity and issuer the tests sign with by default.
const (
	Identity = "https://github.com/perryts/capabilities/.github/workflows/release.yaml@refs/heads/main"
	Issuer   = "https://token.actions.githubusercontent.com"
)

// Registry is an in-memory OCI registry on 127.0.0.1.
type Registry struct {
	Host string // 127.0.0.1:<port>
	srv  *http.Server
	ln   net.Listener
}

// NewRegistry serves a registry until the test ends. referrersAPI selects
// whether it answers the OCI 1.1 Referrers API (otherwise clients use the
// sha256-<hex> tag fallback).
func NewRegistry(t testing.TB, referrersAPI bool) *Registry {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := registry.New(registry.Logger(log.New(io.Discard, "", 0)), registry.WithReferrersSupport(referrersAPI))
	r := &Registry{Host: ln.Addr().String(), srv: &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}, ln: ln}
	go func() { _ = r.srv.Serve(ln) }()
	t.Cleanup(r.Close)
	return r
}

// Close stops the registry (the "registry down" case).
func (r *Registry) Close() { _ = r.srv.Close() }

// Repo names a repository in the registry.
func (r *Registry) Repo(t testing.TB, path string) name.Repository {
	t.Helper()
	repo, err := name.NewRepository(r.Host + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	return repo
}

// PushRandom pushes a small random image under tag and returns its digest.
func PushRandom(t testing.TB, repo name.Repository, tag string) string {
	t.Helper()
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	return PushImage(t, repo, tag, img)
}

// PushImage pushes img under tag and returns its manifest digest.
func PushImage(t testing.TB, repo name.Repository, tag string, img v1.Image) string {
	t.Helper()
	if err := remote.Write(repo.Tag(tag), img); err != nil {
		t.Fatalf("push %s:%s: %v", repo, tag, err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// Sigstore is a virtual Sigstore deployment.
type Sigstore struct {
	vs *ca.VirtualSigstore
}

// NewSigstore makes a fresh virtual Fulcio, Rekor, CT log and TSA.
func NewSigstore(t testing.TB) *Sigstore {
	t.Helper()
	vs, err := ca.NewVirtualSigstore()
	if err != nil {
		t.Fatal(err)
	}
	return &Sigstore{vs: vs}
}

// TrustedRootJSON is a trusted_root.json that trusts exactly this
// deployment, as a verifier would load it.
func (s *Sigstore) TrustedRootJSON(t testing.TB) []byte {
	t.Helper()
	// The virtual logs carry their id as a hex string; a trusted root holds
	// the raw key id, so decode it or no log entry would ever be matched.
	fix := func(in map[string]*root.TransparencyLog) map[string]*root.TransparencyLog {
		out := map[string]*root.TransparencyLog{}
		for k, l := range in {
			c := *l
			raw, err := hex.DecodeString(string(l.ID))
			if err != nil {
				t.Fatal(err)
			}
			c.ID = raw
			out[k] = &c
		}
		return out
	}
	tr, err := root.NewTrustedRoot(root.TrustedRootMediaType01,
		s.vs.FulcioCertificateAuthorities(), fix(s.vs.CTLogs()),
		s.vs.TimestampingAuthorities(), fix(s.vs.RekorLogs()))
	if err != nil {
		t.Fatal(err)
	}
	data, err := tr.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// SimpleSigningPayload is cosign's classic payload naming digest.
func SimpleSigningPayload(repo name.Repository, digest string) []byte {
	return fmt.Appendf(nil, `{"critical":{"identity":{"docker-reference":%q},"image":{"docker-manifest-digest":%q},"type":"cosign container image signature"},"optional":null}`, repo.Name(), digest)
}

// ClassicSig is one layer of a sha256-<hex>.sig image: the payload and the
// annotations cosign writes. Tests edit either to tamper.
type ClassicSig struct {
	Payload     []byte
	Annotations map[string]string
}

// SignClassic signs payload the way `cosign sign` (classic layout) does.
func (s *Sigstore) SignClassic(t testing.TB, payload []byte, identity, issuer string) ClassicSig {
	t.Helper()
	te, err := s.vs.Sign(identity, issuer, payload)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := te.VerificationContent()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := te.SignatureContent()
	if err != nil {
		t.Fatal(err)
	}
	entries, err := te.TlogEntries()
	if err != nil {
		t.Fatal(err)
	}
	tle := entries[0].TransparencyLogEntry()
	set := s.set(t, tle)
	rb := map[string]any{
		"SignedEntryTimestamp": set,
		"Payload": map[string]any{
			"body":           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
			"integratedTime": tle.IntegratedTime,
			"logIndex":       tle.LogIndex,
			"logID":          hex.EncodeToString(tle.LogId.KeyId),
		},
	}
	rbJSON, err := json.Marshal(rb)
	if err != nil {
		t.Fatal(err)
	}
	fca := s.vs.FulcioCertificateAuthorities()[0].(*root.FulcioCertificateAuthority)
	return ClassicSig{
		Payload: payload,
		Annotations: map[string]string{
			"dev.cosignproject.cosign/signature": base64.StdEncoding.EncodeToString(sc.Signature()),
			"dev.sigstore.cosign/certificate":    pemOf(vc.Certificate()),
			"dev.sigstore.cosign/chain":          pemOf(fca.Intermediates[0]) + pemOf(fca.Root),
			"dev.sigstore.cosign/bundle":         string(rbJSON),
		},
	}
}

// set signs a log entry's promise of inclusion with the virtual Rekor key,
// as Rekor does when it accepts an entry.
func (s *Sigstore) set(t testing.TB, tle *protorekor.TransparencyLogEntry) []byte {
	t.Helper()
	set, err := s.vs.RekorSignPayload(tlog.RekorPayload{
		Body:           base64.StdEncoding.EncodeToString(tle.CanonicalizedBody),
		IntegratedTime: tle.IntegratedTime,
		LogIndex:       tle.LogIndex,
		LogID:          hex.EncodeToString(tle.LogId.KeyId),
	})
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func pemOf(c *x509.Certificate) string {
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Raw}))
}

// PushClassic writes sigs as the image at digest's sha256-<hex>.sig tag,
// replacing what was there.
func PushClassic(t testing.TB, repo name.Repository, digest string, sigs ...ClassicSig) {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	for _, s := range sigs {
		var err error
		img, err = mutate.Append(img, mutate.Addendum{
			Layer:       static.NewLayer(s.Payload, "application/vnd.dev.cosign.simplesigning.v1+json"),
			Annotations: s.Annotations,
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	tag := repo.Tag(strings.Replace(digest, ":", "-", 1) + ".sig")
	if err := remote.Write(tag, img); err != nil {
		t.Fatalf("push %s: %v", tag, err)
	}
}

// CopyClassic copies the .sig image of one digest onto another digest's
// .sig tag: the attack of reusing a valid signature of another image.
func CopyClassic(t testing.TB, repo name.Repository, from, to string) {
	t.Helper()
	src := repo.Tag(strings.Replace(from, ":", "-", 1) + ".sig")
	img, err := remote.Image(src)
	if err != nil {
		t.Fatal(err)
	}
	dst := repo.Tag(strings.Replace(to, ":", "-", 1) + ".sig")
	if err := remote.Write(dst, img); err != nil {
		t.Fatal(err)
	}
}

// Statement is the in-toto statement cosign 3 signs for an image: subject
// digest and predicate type https://sigstore.dev/cosign/sign/v1.
func Statement(repo name.Repository, digest, predicateType string) []byte {
	hexDigest := strings.TrimPrefix(digest, "sha256:")
	return fmt.Appendf(nil, `{"_type":"https://in-toto.io/Statement/v1","subject":[{"name":%q,"digest":{"sha256":%q}}],"predicateType":%q,"predicate":{}}`, repo.Name(), hexDigest, predicateType)
}

// SignBundle signs statement into a v0.3 Sigstore bundle (DSSE envelope,
// leaf certificate, Rekor entry with inclusion proof and promise, RFC 3161
// timestamp), as `cosign sign` does in cosign 3.
func (s *Sigstore) SignBundle(t testing.TB, statement []byte, identity, issuer string) []byte {
	t.Helper()
	te, err := s.vs.AttestAtTime(identity, issuer, statement, time.Now().Add(5*time.Minute), true)
	if err != nil {
		t.Fatal(err)
	}
	vc, err := te.VerificationContent()
	if err != nil {
		t.Fatal(err)
	}
	sc, err := te.SignatureContent()
	if err != nil {
		t.Fatal(err)
	}
	env := sc.EnvelopeContent().RawEnvelope()
	entries, err := te.TlogEntries()
	if err != nil {
		t.Fatal(err)
	}
	tle := entries[0].TransparencyLogEntry()
	tle.KindVersion = &protorekor.KindVersion{Kind: "dsse", Version: "0.0.1"}
	tle.InclusionPromise = &protorekor.InclusionPromise{SignedEntryTimestamp: s.set(t, tle)}
	tss, err := te.Timestamps()
	if err != nil {
		t.Fatal(err)
	}
	var rfc []*protocommon.RFC3161SignedTimestamp
	for _, ts := range tss {
		rfc = append(rfc, &protocommon.RFC3161SignedTimestamp{SignedTimestamp: ts})
	}
	payload, err := base64.StdEncoding.DecodeString(env.Payload)
	if err != nil {
		t.Fatal(err)
	}
	var sigs []*protodsse.Signature
	for _, sg := range env.Signatures {
		raw, err := base64.StdEncoding.DecodeString(sg.Sig)
		if err != nil {
			t.Fatal(err)
		}
		sigs = append(sigs, &protodsse.Signature{Sig: raw, Keyid: sg.KeyID})
	}
	pb := &protobundle.Bundle{
		MediaType: "application/vnd.dev.sigstore.bundle.v0.3+json",
		VerificationMaterial: &protobundle.VerificationMaterial{
			Content:                   &protobundle.VerificationMaterial_Certificate{Certificate: &protocommon.X509Certificate{RawBytes: vc.Certificate().Raw}},
			TlogEntries:               []*protorekor.TransparencyLogEntry{tle},
			TimestampVerificationData: &protobundle.TimestampVerificationData{Rfc3161Timestamps: rfc},
		},
		Content: &protobundle.Bundle_DsseEnvelope{DsseEnvelope: &protodsse.Envelope{
			Payload: payload, PayloadType: env.PayloadType, Signatures: sigs,
		}},
	}
	data, err := protojson.Marshal(pb)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// rawManifest pushes manifest bytes exactly as written.
type rawManifest struct {
	raw []byte
	mt  types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mt, nil }

// AttachBundle attaches bundle to subject (a manifest digest in repo) as an
// OCI referrer laid out like cosign 3's: artifactType and layer media type
// application/vnd.dev.sigstore.bundle.v0.3+json, the empty config, and the
// subject descriptor. It returns the referrer manifest's digest.
func AttachBundle(t testing.TB, repo name.Repository, subject string, bundle []byte) string {
	t.Helper()
	const bundleType = "application/vnd.dev.sigstore.bundle.v0.3+json"
	sub, err := remote.Head(repo.Digest(subject))
	if err != nil {
		t.Fatal(err)
	}
	cfg := static.NewLayer([]byte("{}"), "application/vnd.oci.empty.v1+json")
	layer := static.NewLayer(bundle, bundleType)
	for _, l := range []v1.Layer{cfg, layer} {
		if err := remote.WriteLayer(repo, l); err != nil {
			t.Fatal(err)
		}
	}
	desc := func(l v1.Layer, mt string) map[string]any {
		d, _ := l.Digest()
		sz, _ := l.Size()
		return map[string]any{"mediaType": mt, "digest": d.String(), "size": sz}
	}
	m := map[string]any{
		"schemaVersion": 2,
		"mediaType":     string(types.OCIManifestSchema1),
		"artifactType":  bundleType,
		"config":        desc(cfg, "application/vnd.oci.empty.v1+json"),
		"layers":        []any{desc(layer, bundleType)},
		"subject":       map[string]any{"mediaType": string(sub.MediaType), "digest": sub.Digest.String(), "size": sub.Size},
		"annotations": map[string]string{
			"dev.sigstore.bundle.content":       "dsse-envelope",
			"dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1",
		},
	}
	raw, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(raw)
	dig := "sha256:" + hex.EncodeToString(sum[:])
	if err := remote.Put(repo.Digest(dig), rawManifest{raw: raw, mt: types.OCIManifestSchema1}); err != nil {
		t.Fatalf("attach bundle to %s: %v", subject, err)
	}
	return dig
}

// Tamper returns a copy of data with the first occurrence of old replaced.
func Tamper(t testing.TB, data []byte, old, new string) []byte {
	t.Helper()
	if !bytes.Contains(data, []byte(old)) {
		t.Fatalf("Tamper: %q not found", old)
	}
	return bytes.Replace(data, []byte(old), []byte(new), 1)
}

// TamperBundlePayload edits the signed DSSE payload inside a bundle,
// leaving its signature as it was.
func TamperBundlePayload(t testing.TB, bundle []byte, old, new string) []byte {
	t.Helper()
	var pb protobundle.Bundle
	if err := protojson.Unmarshal(bundle, &pb); err != nil {
		t.Fatal(err)
	}
	env := pb.GetDsseEnvelope()
	if env == nil {
		t.Fatal("TamperBundlePayload: not a DSSE bundle")
	}
	env.Payload = Tamper(t, env.Payload, old, new)
	data, err := protojson.Marshal(&pb)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
