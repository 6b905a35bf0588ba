package verify_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/perryts/perry-container/capability/internal/sigtest"
	"github.com/perryts/perry-container/capability/verify"
	"github.com/perryts/perry-container/core"
)

var policy = verify.Policy{Identity: sigtest.Identity, Issuer: sigtest.Issuer}

// fastFail makes a dead registry fail at once instead of after
// go-containerregistry's retries.
var fastFail = remote.WithRetryBackoff(remote.Backoff{Steps: 1})

// env is one test's registry, virtual Sigstore and verifier.
type env struct {
	reg  *sigtest.Registry
	ss   *sigtest.Sigstore
	repo name.Repository
	v    *verify.Verifier
	logs *bytes.Buffer
}

func newEnv(t *testing.T, referrersAPI bool, opts ...verify.Option) *env {
	t.Helper()
	e := &env{reg: sigtest.NewRegistry(t, referrersAPI), ss: sigtest.NewSigstore(t), logs: &bytes.Buffer{}}
	e.repo = e.reg.Repo(t, "perry/tool")
	var mu sync.Mutex
	h := slog.NewTextHandler(lockedWriter{&mu, e.logs}, &slog.HandlerOptions{Level: slog.LevelDebug})
	base := []verify.Option{
		verify.WithTrustedRootJSON(e.ss.TrustedRootJSON(t)),
		verify.InsecureWithoutSCT(), // the virtual Fulcio issues no SCTs
		verify.WithRemoteOptions(fastFail),
		verify.WithLogger(slog.New(h)),
	}
	v, err := verify.New(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	e.v = v
	return e
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// signClassic pushes a classic signature of digest by identity/issuer.
func (e *env) signClassic(t *testing.T, digest, identity, issuer string) {
	t.Helper()
	sigtest.PushClassic(t, e.repo, digest, e.ss.SignClassic(t, sigtest.SimpleSigningPayload(e.repo, digest), identity, issuer))
}

// signReferrer attaches a cosign 3 bundle signing digest.
func (e *env) signReferrer(t *testing.T, digest, identity, issuer string) {
	t.Helper()
	b := e.ss.SignBundle(t, sigtest.Statement(e.repo, digest, verify.CosignSignPredicate), identity, issuer)
	sigtest.AttachBundle(t, e.repo, digest, b)
}

// rejected asserts a VerificationFailed (403) naming ref and a reason
// containing want.
func rejected(t *testing.T, err error, ref, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("Verify(%s) succeeded, want a rejection (%s)", ref, want)
	}
	e := core.AsError(err)
	if e.Kind != core.KindVerificationFailed || e.Code() != 403 {
		t.Fatalf("Verify(%s) = %v (kind %s, code %d), want VerificationFailed 403", ref, err, e.Kind, e.Code())
	}
	if e.Details["reference"] != ref || !strings.Contains(e.Message, ref) {
		t.Errorf("the error must name the reference %q: %v %v", ref, e.Message, e.Details)
	}
	reason, _ := e.Details["reason"].(string)
	t.Logf("%s rejected: %s", ref, reason)
	if !strings.Contains(reason, want) {
		t.Errorf("reason = %q, want it to contain %q", reason, want)
	}
}

func TestAcceptBothLayouts(t *testing.T) {
	for _, layout := range []string{verify.LayoutSigTag, verify.LayoutReferrer} {
		for _, api := range []bool{true, false} {
			if layout == verify.LayoutSigTag && !api {
				continue // the classic layout does not use referrers at all
			}
			t.Run(fmt.Sprintf("%s/referrersAPI=%v", layout, api), func(t *testing.T) {
				e := newEnv(t, api)
				digest := sigtest.PushRandom(t, e.repo, "v1")
				if layout == verify.LayoutSigTag {
					e.signClassic(t, digest, sigtest.Identity, sigtest.Issuer)
				} else {
					e.signReferrer(t, digest, sigtest.Identity, sigtest.Issuer)
				}
				ref := e.repo.Tag("v1").String()
				res, err := e.v.Verify(t.Context(), ref, policy)
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				want := verify.Result{
					Reference: ref, Digest: digest, Pinned: e.repo.Name() + "@" + digest,
					Identity: sigtest.Identity, Issuer: sigtest.Issuer, Layout: layout,
				}
				if res != want {
					t.Fatalf("Result = %+v\nwant     %+v", res, want)
				}
				// The check is logged at debug with reference, digest and outcome.
				log := e.logs.String()
				for _, s := range []string{"image verification", "reference=" + ref, "digest=" + digest, "outcome=verified"} {
					if !strings.Contains(log, s) {
						t.Errorf("debug log lacks %q:\n%s", s, log)
					}
				}
			})
		}
	}
}

func TestRejections(t *testing.T) {
	other := "https://github.com/evil/repo/.github/workflows/release.yaml@refs/heads/main"
	for _, layout := range []string{verify.LayoutSigTag, verify.LayoutReferrer} {
		sign := func(e *env, t *testing.T, digest, identity, issuer string) {
			if layout == verify.LayoutSigTag {
				e.signClassic(t, digest, identity, issuer)
			} else {
				e.signReferrer(t, digest, identity, issuer)
			}
		}
		tests := []struct {
			name  string
			setup func(t *testing.T, e *env, digest string) // signs (or not) the image at digest
			want  string
		}{
			{"wrong identity", func(t *testing.T, e *env, d string) { sign(e, t, d, other, sigtest.Issuer) },
				`expected SAN value "` + sigtest.Identity + `", got "` + other + `"`},
			{"wrong issuer", func(t *testing.T, e *env, d string) { sign(e, t, d, sigtest.Identity, "https://accounts.example.com") },
				`expected issuer value "` + sigtest.Issuer + `", got "https://accounts.example.com"`},
			{"rogue CA", func(t *testing.T, e *env, d string) {
				rogue := &env{ss: sigtest.NewSigstore(t), repo: e.repo}
				sign(rogue, t, d, sigtest.Identity, sigtest.Issuer)
			}, "no signature satisfies the policy"},
			{"signature of another image copied onto this one", func(t *testing.T, e *env, d string) {
				otherDigest := sigtest.PushRandom(t, e.repo, "other")
				if layout == verify.LayoutSigTag {
					e.signClassic(t, otherDigest, sigtest.Identity, sigtest.Issuer)
					sigtest.CopyClassic(t, e.repo, otherDigest, d)
					return
				}
				b := e.ss.SignBundle(t, sigtest.Statement(e.repo, otherDigest, verify.CosignSignPredicate), sigtest.Identity, sigtest.Issuer)
				sigtest.AttachBundle(t, e.repo, d, b)
			}, map[string]string{verify.LayoutSigTag: "signed payload names sha256:", verify.LayoutReferrer: "artifact digest"}[layout]},
			{"tampered payload", func(t *testing.T, e *env, d string) {
				otherDigest := sigtest.PushRandom(t, e.repo, "other")
				if layout == verify.LayoutSigTag {
					sig := e.ss.SignClassic(t, sigtest.SimpleSigningPayload(e.repo, otherDigest), sigtest.Identity, sigtest.Issuer)
					sig.Payload = sigtest.Tamper(t, sig.Payload, otherDigest, d)
					sigtest.PushClassic(t, e.repo, d, sig)
					return
				}
				b := e.ss.SignBundle(t, sigtest.Statement(e.repo, otherDigest, verify.CosignSignPredicate), sigtest.Identity, sigtest.Issuer)
				b = sigtest.TamperBundlePayload(t, b, strings.TrimPrefix(otherDigest, "sha256:"), strings.TrimPrefix(d, "sha256:"))
				sigtest.AttachBundle(t, e.repo, d, b)
			}, map[string]string{verify.LayoutSigTag: "does not match", verify.LayoutReferrer: "does not match"}[layout]},
			{"unsigned image", func(t *testing.T, e *env, d string) {}, "no signature found for " + "sha256:"},
		}
		if layout == verify.LayoutReferrer {
			tests = append(tests, struct {
				name  string
				setup func(t *testing.T, e *env, digest string)
				want  string
			}{"an attestation is not a signature", func(t *testing.T, e *env, d string) {
				b := e.ss.SignBundle(t, sigtest.Statement(e.repo, d, "https://slsa.dev/provenance/v1"), sigtest.Identity, sigtest.Issuer)
				sigtest.AttachBundle(t, e.repo, d, b)
			}, `attestation of type "https://slsa.dev/provenance/v1"`})
		} else {
			tests = append(tests, struct {
				name  string
				setup func(t *testing.T, e *env, digest string)
				want  string
			}{"key-based signature without certificate", func(t *testing.T, e *env, d string) {
				sig := e.ss.SignClassic(t, sigtest.SimpleSigningPayload(e.repo, d), sigtest.Identity, sigtest.Issuer)
				delete(sig.Annotations, "dev.sigstore.cosign/certificate")
				sigtest.PushClassic(t, e.repo, d, sig)
			}, "no certificate"})
		}
		for _, tc := range tests {
			t.Run(layout+"/"+tc.name, func(t *testing.T) {
				e := newEnv(t, true)
				digest := sigtest.PushRandom(t, e.repo, "v1")
				tc.setup(t, e, digest)
				for _, ref := range []string{e.repo.Tag("v1").String(), e.repo.Digest(digest).String()} {
					_, err := e.v.Verify(t.Context(), ref, policy)
					rejected(t, err, ref, tc.want)
					if d := core.AsError(err).Details["digest"]; d != digest {
						t.Errorf("the error names digest %v, want %s", d, digest)
					}
				}
				if !strings.Contains(e.logs.String(), "outcome=rejected") {
					t.Errorf("a rejection is logged at debug:\n%s", e.logs.String())
				}
			})
		}
	}
}

func TestRejectRegistryProblems(t *testing.T) {
	e := newEnv(t, true)
	digest := sigtest.PushRandom(t, e.repo, "v1")
	e.signClassic(t, digest, sigtest.Identity, sigtest.Issuer)

	unknown := e.repo.Digest("sha256:" + strings.Repeat("ab", 32)).String()
	_, err := e.v.Verify(t.Context(), unknown, policy)
	rejected(t, err, unknown, "not found in the registry")

	missingTag := e.repo.Tag("nope").String()
	_, err = e.v.Verify(t.Context(), missingTag, policy)
	rejected(t, err, missingTag, "tag nope not found in the registry")

	for _, bad := range []string{"", "Not A Ref!", e.repo.Name() + "@sha256:short"} {
		_, err = e.v.Verify(t.Context(), bad, policy)
		rejected(t, err, bad, "invalid image reference")
	}

	e.reg.Close()
	for _, ref := range []string{e.repo.Tag("v1").String(), e.repo.Digest(digest).String()} {
		_, err = e.v.Verify(t.Context(), ref, policy)
		rejected(t, err, ref, "registry unreachable")
	}
}

func TestPolicyValidation(t *testing.T) {
	e := newEnv(t, true)
	ref := e.repo.Tag("v1").String()
	for _, p := range []verify.Policy{
		{Identity: sigtest.Identity},
		{Issuer: sigtest.Issuer},
		{Identity: sigtest.Identity, IdentityRegex: ".*", Issuer: sigtest.Issuer},
		{IdentityRegex: "(", Issuer: sigtest.Issuer},
	} {
		if _, err := e.v.Verify(t.Context(), ref, p); core.KindOf(err) != core.KindInvalidArgument {
			t.Errorf("Verify with policy %+v = %v, want InvalidArgument", p, err)
		}
	}
}

func TestIdentityRegexIsAnchored(t *testing.T) {
	e := newEnv(t, true)
	digest := sigtest.PushRandom(t, e.repo, "v1")
	e.signClassic(t, digest, sigtest.Identity, sigtest.Issuer)
	ref := e.repo.Digest(digest).String()
	ok := verify.Policy{IdentityRegex: `https://github\.com/perryts/.*@refs/heads/main`, Issuer: sigtest.Issuer}
	if res, err := e.v.Verify(t.Context(), ref, ok); err != nil || res.Identity != sigtest.Identity {
		t.Fatalf("a matching regex must verify: %+v %v", res, err)
	}
	// Matches a substring of the identity only: must not pass.
	partial := verify.Policy{IdentityRegex: `perryts/capabilities`, Issuer: sigtest.Issuer}
	_, err := e.v.Verify(t.Context(), ref, partial)
	rejected(t, err, ref, "no signature satisfies the policy")
}

func TestProductionRequiresSCT(t *testing.T) {
	reg := sigtest.NewRegistry(t, true)
	ss := sigtest.NewSigstore(t)
	repo := reg.Repo(t, "perry/tool")
	digest := sigtest.PushRandom(t, repo, "v1")
	sigtest.PushClassic(t, repo, digest, ss.SignClassic(t, sigtest.SimpleSigningPayload(repo, digest), sigtest.Identity, sigtest.Issuer))
	v, err := verify.New(verify.WithTrustedRootJSON(ss.TrustedRootJSON(t)))
	if err != nil {
		t.Fatal(err)
	}
	ref := repo.Digest(digest).String()
	_, err = v.Verify(t.Context(), ref, policy)
	rejected(t, err, ref, "signed certificate timestamp")
}

func TestCacheServesDigestWithoutNetwork(t *testing.T) {
	e := newEnv(t, true)
	digest := sigtest.PushRandom(t, e.repo, "v1")
	e.signClassic(t, digest, sigtest.Identity, sigtest.Issuer)
	ref := e.repo.Digest(digest).String()
	first, err := e.v.Verify(t.Context(), ref, policy)
	if err != nil {
		t.Fatal(err)
	}
	e.reg.Close() // a cached digest needs no registry
	second, err := e.v.Verify(t.Context(), ref, policy)
	if err != nil || second != first {
		t.Fatalf("cached Verify = %+v, %v; want %+v", second, err, first)
	}
	if s := e.v.Stats(); s.Verifications != 1 || s.CacheHits != 1 {
		t.Fatalf("Stats = %+v, want one verification and one cache hit", s)
	}
	if !strings.Contains(e.logs.String(), "outcome=cached") {
		t.Errorf("a cache hit is logged:\n%s", e.logs.String())
	}
	// The cache key includes the policy: another identity is a new question.
	otherPolicy := verify.Policy{Identity: "https://example.com/other", Issuer: sigtest.Issuer}
	_, err = e.v.Verify(t.Context(), ref, otherPolicy)
	rejected(t, err, ref, "registry unreachable")
}

func TestFailuresAreNotCached(t *testing.T) {
	e := newEnv(t, false)
	digest := sigtest.PushRandom(t, e.repo, "v1")
	ref := e.repo.Tag("v1").String()
	_, err := e.v.Verify(t.Context(), ref, policy)
	rejected(t, err, ref, "no signature found")
	e.signReferrer(t, digest, sigtest.Identity, sigtest.Issuer)
	if _, err := e.v.Verify(t.Context(), ref, policy); err != nil {
		t.Fatalf("a signature published after a rejection must be found: %v", err)
	}
	if s := e.v.Stats(); s.Verifications != 2 {
		t.Fatalf("Stats = %+v, want 2 verifications", s)
	}
}

// slowTransport delays every registry request: a slow registry, so that
// concurrent verifications overlap. The delay synchronises nothing: a caller
// that comes after the shared verification ended finds its cached result.
type slowTransport struct{ delay time.Duration }

func (s slowTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	time.Sleep(s.delay)
	return http.DefaultTransport.RoundTrip(r)
}

// heldTransport holds every registry request until release is closed: a
// registry that has not answered yet, for as long as the test needs.
type heldTransport struct{ release chan struct{} }

func (h heldTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	select {
	case <-h.release:
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
	return http.DefaultTransport.RoundTrip(r)
}

func TestConcurrentVerificationsShareOne(t *testing.T) {
	e := newEnv(t, true, verify.WithRemoteOptions(remote.WithTransport(slowTransport{20 * time.Millisecond})))
	digest := sigtest.PushRandom(t, e.repo, "v1")
	e.signReferrer(t, digest, sigtest.Identity, sigtest.Issuer)
	const n = 16
	var wg sync.WaitGroup
	results := make([]verify.Result, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			ref := e.repo.Tag("v1").String()
			if i%2 == 1 {
				ref = e.repo.Digest(digest).String()
			}
			results[i], errs[i] = e.v.Verify(t.Context(), ref, policy)
		})
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil || results[i].Digest != digest || results[i].Layout != verify.LayoutReferrer {
			t.Fatalf("call %d: %+v %v", i, results[i], errs[i])
		}
	}
	if s := e.v.Stats(); s.Verifications != 1 {
		t.Fatalf("Stats = %+v: %d concurrent checks of one digest must share one verification", s, n)
	}
}

func TestCallerCancellation(t *testing.T) {
	held := heldTransport{release: make(chan struct{})}
	e := newEnv(t, true, verify.WithRemoteOptions(remote.WithTransport(held)))
	digest := sigtest.PushRandom(t, e.repo, "v1")
	e.signClassic(t, digest, sigtest.Identity, sigtest.Issuer)
	ref := e.repo.Digest(digest).String()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	_, err := e.v.Verify(ctx, ref, policy)
	if k := core.KindOf(err); k != core.KindTimeout {
		t.Fatalf("Verify past the caller's deadline = %v (%s), want Timeout", err, k)
	}
	// The shared verification went on and a patient caller gets it once
	// the registry answers.
	close(held.release)
	if _, err := e.v.Verify(t.Context(), ref, policy); err != nil {
		t.Fatal(err)
	}
	if s := e.v.Stats(); s.Verifications != 1 {
		t.Fatalf("Stats = %+v: the patient caller must get the verification the first one started", s)
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, o := range []verify.Option{verify.WithTrustedRootJSON([]byte("{")), verify.WithTimeout(0), verify.WithTrustedMaterial(nil)} {
		if _, err := verify.New(o); core.KindOf(err) != core.KindInvalidConfiguration {
			t.Errorf("New = %v, want InvalidConfiguration", err)
		}
	}
}

func TestTaglessReferenceMeansLatest(t *testing.T) {
	e := newEnv(t, true)
	digest := sigtest.PushRandom(t, e.repo, "latest")
	e.signClassic(t, digest, sigtest.Identity, sigtest.Issuer)
	res, err := e.v.Verify(t.Context(), e.repo.Name(), policy)
	if err != nil || res.Digest != digest || res.Pinned != e.repo.Name()+"@"+digest {
		t.Fatalf("Verify(%s) = %+v, %v", e.repo.Name(), res, err)
	}
}
