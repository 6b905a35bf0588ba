package verify

import (
	"bytes"
	"crypto"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigstore/sigstore-go/pkg/bundle"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"github.com/sigstore/sigstore/pkg/signature"
	"github.com/theupdateframework/go-tuf/v2/metadata"

	"github.com/perryts/perry-container/capability/internal/sigtest"
	"github.com/perryts/perry-container/core"
)

func TestEmbeddedTrustedRootIsSigstorePublicGood(t *testing.T) {
	sum := sha256.Sum256(embeddedTrustedRoot)
	if got := hex.EncodeToString(sum[:]); got != "4364d7724c04cc912ce2a6c45ed2610e8d8d1c4dc857fb500292738d4d9c8d2c" {
		t.Fatalf("embedded trusted_root.json changed (sha256 %s): update the provenance comment in trust.go", got)
	}
	tr, err := root.NewTrustedRootFromJSON(EmbeddedTrustedRootJSON())
	if err != nil {
		t.Fatal(err)
	}
	var rekor []string
	for _, l := range tr.RekorLogs() {
		rekor = append(rekor, l.BaseURL)
	}
	if len(rekor) == 0 || rekor[0] != "https://rekor.sigstore.dev" {
		t.Errorf("rekor logs %v", rekor)
	}
	cas := tr.FulcioCertificateAuthorities()
	if len(cas) == 0 || cas[len(cas)-1].(*root.FulcioCertificateAuthority).URI != "https://fulcio.sigstore.dev" {
		t.Errorf("fulcio CAs %v", cas)
	}
	if len(tr.CTLogs()) == 0 || len(tr.TimestampingAuthorities()) == 0 {
		t.Errorf("CT logs %d, TSAs %d", len(tr.CTLogs()), len(tr.TimestampingAuthorities()))
	}
}

// tufRepo serves a TUF repository, signed with one key for every role,
// whose only target is trusted_root.json.
type tufRepo struct {
	srv   *httptest.Server
	root  []byte // 1.root.json, the trust anchor
	files map[string][]byte
	hits  atomic.Int64
}

func newTUFRepo(t *testing.T, trustedRoot []byte) *tufRepo {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err := metadata.KeyFromPublicKey(priv.Public())
	if err != nil {
		t.Fatal(err)
	}
	signer, err := signature.LoadSigner(priv, crypto.Hash(0))
	if err != nil {
		t.Fatal(err)
	}
	exp := time.Now().Add(24 * time.Hour)
	targets := metadata.Targets(exp)
	tf, err := metadata.TargetFile().FromBytes("trusted_root.json", trustedRoot, "sha256")
	if err != nil {
		t.Fatal(err)
	}
	targets.Signed.Targets["trusted_root.json"] = tf
	snapshot := metadata.Snapshot(exp)
	timestamp := metadata.Timestamp(exp)
	rt := metadata.Root(exp)
	for _, role := range []string{"root", "targets", "snapshot", "timestamp"} {
		if err := rt.Signed.AddKey(key, role); err != nil {
			t.Fatal(err)
		}
	}
	r := &tufRepo{files: map[string][]byte{}}
	add := func(name string, md interface {
		ToBytes(bool) ([]byte, error)
	}) {
		data, err := md.ToBytes(false)
		if err != nil {
			t.Fatal(err)
		}
		r.files["/"+name] = data
	}
	for _, s := range []func() error{
		func() error { _, err := rt.Sign(signer); return err },
		func() error { _, err := targets.Sign(signer); return err },
		func() error { _, err := snapshot.Sign(signer); return err },
		func() error { _, err := timestamp.Sign(signer); return err },
	} {
		if err := s(); err != nil {
			t.Fatal(err)
		}
	}
	add("1.root.json", rt)
	add("1.targets.json", targets)
	add("1.snapshot.json", snapshot)
	add("timestamp.json", timestamp)
	sum := sha256.Sum256(trustedRoot)
	r.files["/targets/"+hex.EncodeToString(sum[:])+".trusted_root.json"] = trustedRoot
	r.root = r.files["/1.root.json"]
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.hits.Add(1)
		data, ok := r.files[req.URL.Path]
		if !ok {
			http.NotFound(w, req)
			return
		}
		_, _ = w.Write(data)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

// signedImage is a registry with one image signed by a fresh virtual
// Sigstore; it returns the digest reference and that Sigstore's root.
func signedImage(t *testing.T) (ref string, trustedRoot []byte) {
	t.Helper()
	reg := sigtest.NewRegistry(t, true)
	ss := sigtest.NewSigstore(t)
	repo := reg.Repo(t, "perry/tool")
	digest := sigtest.PushRandom(t, repo, "v1")
	sigtest.PushClassic(t, repo, digest, ss.SignClassic(t, sigtest.SimpleSigningPayload(repo, digest), sigtest.Identity, sigtest.Issuer))
	return repo.Digest(digest).String(), ss.TrustedRootJSON(t)
}

var testPolicy = Policy{Identity: sigtest.Identity, Issuer: sigtest.Issuer}

func TestTrustedRootFromTUFWithExplicitCache(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home) // nothing may be written there
	ref, trustedRoot := signedImage(t)
	repo := newTUFRepo(t, trustedRoot)
	cache := t.TempDir()

	v, err := New(WithTUFMirror(repo.srv.URL), WithTUFRoot(repo.root), WithTUFCacheDir(cache), InsecureWithoutSCT())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Verify(t.Context(), ref, testPolicy); err != nil {
		t.Fatalf("Verify with the TUF-distributed root: %v", err)
	}
	if v.trust.origin != "tuf" {
		t.Fatalf("trusted root origin %q, want tuf", v.trust.origin)
	}
	if entries, _ := os.ReadDir(cache); len(entries) == 0 {
		t.Errorf("the TUF cache directory %s is empty", cache)
	}

	// A later process, offline, uses the cached metadata, not the snapshot.
	repo.srv.Close()
	v2, err := New(WithTUFMirror(repo.srv.URL), WithTUFRoot(repo.root), WithTUFCacheDir(cache), InsecureWithoutSCT())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v2.Verify(t.Context(), ref, testPolicy); err != nil {
		t.Fatalf("Verify offline with a TUF cache: %v", err)
	}
	if v2.trust.origin != "tuf-cache" {
		t.Fatalf("offline origin %q, want tuf-cache", v2.trust.origin)
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("files written to $HOME: %v", entries)
	}
}

func TestTrustedRootFallsBackToEmbedded(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	ref, _ := signedImage(t)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	// A mirror that refuses connections: TUF fails at once.
	v, err := New(WithTUFMirror("http://127.0.0.1:1"), InsecureWithoutSCT(), WithLogger(log))
	if err != nil {
		t.Fatal(err)
	}
	_, err = v.Verify(t.Context(), ref, testPolicy)
	// The public-good root does not trust the virtual Sigstore.
	if core.KindOf(err) != core.KindVerificationFailed {
		t.Fatalf("Verify = %v, want VerificationFailed", err)
	}
	if v.trust.origin != "embedded" || !strings.Contains(logs.String(), "embedded snapshot") {
		t.Fatalf("origin %q, logs:\n%s", v.trust.origin, logs.String())
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("files written to $HOME: %v", entries)
	}
}

// TestEmbeddedRootVerifiesARealSignature checks that the snapshot is the
// working public-good root: a real Sigstore bundle (sigstore-js 2.0.0's
// release provenance, copied from sigstore-go v1.3.0's
// pkg/testing/data/bundles, Apache-2.0) verifies against it
// with the production requirements (SCT, transparency log, timestamps)
// and the signer's exact identity.
func TestEmbeddedRootVerifiesARealSignature(t *testing.T) {
	v, err := New(WithTrustedRootJSON(EmbeddedTrustedRootJSON()))
	if err != nil {
		t.Fatal(err)
	}
	sv, err := v.sigstoreVerifier(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	id, err := Policy{
		Identity: "https://github.com/sigstore/sigstore-js/.github/workflows/release.yml@refs/heads/main",
		Issuer:   "https://token.actions.githubusercontent.com",
	}.certificateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile("testdata/sigstore-js-2.0.0-provenance.sigstore.json")
	if err != nil {
		t.Fatal(err)
	}
	var b bundle.Bundle
	if err := b.UnmarshalJSON(raw); err != nil {
		t.Fatal(err)
	}
	res, err := sv.Verify(&b, sgverify.NewPolicy(sgverify.WithoutArtifactUnsafe(), sgverify.WithCertificateIdentity(id)))
	if err != nil {
		t.Fatalf("a real public-good signature does not verify against the embedded root: %v", err)
	}
	if res.VerifiedIdentity == nil {
		t.Fatal("no verified identity")
	}
}
