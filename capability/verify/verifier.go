package verify

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sigstore/sigstore-go/pkg/root"
	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
	"golang.org/x/sync/singleflight"

	"github.com/perryts/perry-container/core"
)

// Signature layouts a Result may name.
const (
	LayoutSigTag   = "sig-tag"  // cosign's classic sha256-<hex>.sig tag
	LayoutReferrer = "referrer" // a Sigstore bundle attached as an OCI referrer (cosign 3)
)

// Result is a successful verification. Pinned is what must be run: the
// repository of the reference at the verified digest, so nothing can change
// between the check and the use.
type Result struct {
	Reference string `json:"reference"` // as the caller gave it
	Digest    string `json:"digest"`    // sha256:<hex> of the manifest (or index) that was signed
	Pinned    string `json:"pinned"`    // <repository>@<digest>
	Identity  string `json:"identity"`  // the signing certificate's subject alternative name
	Issuer    string `json:"issuer"`    // the OIDC issuer recorded in the certificate
	Layout    string `json:"layout"`    // LayoutSigTag or LayoutReferrer
}

// Stats counts the work a Verifier did: Verifications is the number of
// full (network and crypto) verifications run, CacheHits the answers served
// from the process-lifetime cache.
type Stats struct {
	Verifications int64 `json:"verifications"`
	CacheHits     int64 `json:"cacheHits"`
}

// verified is what the cache keeps: everything of a Result that depends on
// the digest and policy only (not on how the caller spelled the reference).
type verified struct {
	identity, issuer, layout string
}

// Verifier checks image signatures with sigstore-go. It is safe for
// concurrent use and meant to live as long as the process: its cache of
// successful verifications (keyed by digest + issuer + identity) is the
// process-lifetime cache (verifying twice gives the same answer without a
// second verification, property P10). Failures are never cached, so
// a signature published later is found on the next call.
type Verifier struct {
	trust   *trustSource
	sct     bool
	remote  []remote.Option
	log     *slog.Logger
	timeout time.Duration

	svOnce sync.Once
	sv     *sgverify.Verifier
	svErr  error

	group singleflight.Group
	mu    sync.RWMutex
	cache map[string]verified

	verifications, hits atomic.Int64
}

// Option configures a Verifier.
type Option func(*Verifier) error

// WithTrustedMaterial verifies against tm instead of Sigstore's public-good
// root (tests, private Sigstore deployments). TUF is then never contacted.
func WithTrustedMaterial(tm root.TrustedMaterial) Option {
	return func(v *Verifier) error {
		if tm == nil {
			return fmt.Errorf("trusted material is nil")
		}
		v.trust.explicit = tm
		return nil
	}
}

// WithTrustedRootJSON verifies against a trusted_root.json document.
func WithTrustedRootJSON(data []byte) Option {
	return func(v *Verifier) error {
		tr, err := root.NewTrustedRootFromJSON(data)
		if err != nil {
			return fmt.Errorf("trusted root: %w", err)
		}
		v.trust.explicit = tr
		return nil
	}
}

// WithTUFCacheDir keeps Sigstore's TUF metadata in dir between processes.
// Without it the metadata is held in memory only and nothing is written.
func WithTUFCacheDir(dir string) Option {
	return func(v *Verifier) error { v.trust.tufCacheDir = dir; return nil }
}

// WithTUFMirror fetches the TUF repository from url instead of Sigstore's CDN.
func WithTUFMirror(url string) Option {
	return func(v *Verifier) error { v.trust.tufMirror = url; return nil }
}

// WithTUFRoot trusts rootJSON (a TUF root.json) as the anchor of the TUF
// repository, for a private Sigstore deployment's mirror. Default: the
// public-good root shipped with sigstore-go.
func WithTUFRoot(rootJSON []byte) Option {
	return func(v *Verifier) error {
		if len(rootJSON) == 0 {
			return fmt.Errorf("TUF root is empty")
		}
		v.trust.tufRoot = append([]byte(nil), rootJSON...)
		return nil
	}
}

// WithRemoteOptions adds go-containerregistry options (transport, auth,
// retry) to every registry call; later options win.
func WithRemoteOptions(opts ...remote.Option) Option {
	return func(v *Verifier) error { v.remote = append(v.remote, opts...); return nil }
}

// WithLogger sets where checks are logged (at debug level). Default slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(v *Verifier) error {
		if l != nil {
			v.log = l
		}
		return nil
	}
}

// WithTimeout bounds one verification (registry round trips and crypto).
// Default two minutes.
func WithTimeout(d time.Duration) Option {
	return func(v *Verifier) error {
		if d <= 0 {
			return fmt.Errorf("timeout must be positive")
		}
		v.timeout = d
		return nil
	}
}

// InsecureWithoutSCT stops requiring a certificate-transparency proof (SCT)
// in the signing certificate. Only for tests and private deployments whose
// CA has no CT log: production verification requires it (docs/design.md, Image verification).
func InsecureWithoutSCT() Option {
	return func(v *Verifier) error { v.sct = false; return nil }
}

// New returns a Verifier. By default it trusts Sigstore's public-good
// instance, fetching its trusted root through TUF on first use (metadata
// kept in memory unless WithTUFCacheDir); when TUF cannot be reached it
// uses the cached metadata if there is a cache, else the embedded
// snapshot. It requires an SCT, a transparency-log entry and an observer
// timestamp for every signature.
func New(opts ...Option) (*Verifier, error) {
	v := &Verifier{
		trust:   &trustSource{},
		sct:     true,
		log:     slog.Default(),
		timeout: 2 * time.Minute,
		cache:   map[string]verified{},
		remote: []remote.Option{
			remote.WithAuthFromKeychain(authn.DefaultKeychain),
			remote.WithUserAgent("perry-container"),
		},
	}
	for _, o := range opts {
		if err := o(v); err != nil {
			return nil, core.Errorf(core.KindInvalidConfiguration, "image verifier: %v", err)
		}
	}
	v.trust.log = v.log
	return v, nil
}

// EnvTUFCacheDir names the environment variable Default reads for the TUF
// cache directory.
const EnvTUFCacheDir = "PERRY_CONTAINER_TUF_CACHE"

var defaultVerifier = sync.OnceValues(func() (*Verifier, error) {
	return New(WithTUFCacheDir(os.Getenv(EnvTUFCacheDir)))
})

// Default returns the process-wide Verifier (public-good Sigstore, TUF cache
// in $PERRY_CONTAINER_TUF_CACHE when set). Sharing one Verifier is what
// makes the cache process-lifetime.
func Default() (*Verifier, error) { return defaultVerifier() }

// Stats reports the work done so far.
func (v *Verifier) Stats() Stats {
	return Stats{Verifications: v.verifications.Load(), CacheHits: v.hits.Load()}
}

// Verify resolves ref to a digest and checks that a signature of that
// digest, made by a certificate satisfying p, exists in ref's repository
// under either layout. It returns the digest-pinned reference to run.
//
// A rejection is a *core.Error of kind VerificationFailed (403) whose
// message and details carry the reference and the reason; an invalid
// policy is InvalidArgument; the caller's cancellation is Cancelled or
// Timeout. Concurrent calls for one digest and policy share a single
// verification; a later call is answered from the cache without network
// access when ref is already a digest (a tag is always re-resolved, since
// tags move).
func (v *Verifier) Verify(ctx context.Context, ref string, p Policy) (Result, error) {
	start := time.Now()
	res, digest, outcome, err := v.verify(ctx, ref, p)
	attrs := []slog.Attr{
		slog.String("reference", ref), slog.String("digest", digest),
		slog.String("outcome", outcome), slog.String("policy", p.String()),
		slog.Duration("elapsed", time.Since(start)),
	}
	if err != nil {
		e := core.AsError(err)
		reason, _ := e.Details["reason"].(string)
		if reason == "" {
			reason = e.Message
		}
		attrs = append(attrs, slog.String("reason", reason))
	} else {
		attrs = append(attrs, slog.String("layout", res.Layout), slog.String("identity", res.Identity))
	}
	v.log.LogAttrs(ctx, slog.LevelDebug, "perry-container: image verification", attrs...)
	return res, err
}

// verify does the work of Verify; it also returns the digest (when known)
// and the outcome, for the log.
func (v *Verifier) verify(ctx context.Context, ref string, p Policy) (res Result, digest, outcome string, err error) {
	if err := p.Validate(); err != nil {
		return Result{}, "", "invalid-policy", core.InvalidArgument("policy", "%v", err)
	}
	// Weak validation, as docker: a missing tag means :latest, a missing
	// registry Docker Hub.
	parsed, err := name.ParseReference(ref)
	if err != nil {
		return Result{}, "", "rejected", rejection(ref, "", fmt.Sprintf("invalid image reference: %v", err))
	}
	repo := parsed.Context()

	resolved := false
	if d, ok := parsed.(name.Digest); ok {
		digest = d.DigestStr()
	} else {
		// A tag is resolved before the cache is consulted: the cache is
		// keyed by what was verified, and a tag may now point elsewhere.
		rctx, cancel := context.WithTimeout(ctx, v.timeout)
		desc, err := remote.Head(parsed, v.remoteOpts(rctx)...)
		cancel()
		if err != nil {
			if cerr := ctx.Err(); cerr != nil {
				return Result{}, "", "cancelled", core.AsError(cerr)
			}
			return Result{}, "", "rejected", rejection(ref, "", registryReason("tag "+parsed.Identifier(), err))
		}
		digest, resolved = desc.Digest.String(), true
	}
	if !validDigest(digest) {
		return Result{}, digest, "rejected", rejection(ref, digest, fmt.Sprintf("digest %q is not sha256:<64 hex>", digest))
	}
	result := func(got verified) Result {
		return Result{
			Reference: ref, Digest: digest, Pinned: repo.Digest(digest).String(),
			Identity: got.identity, Issuer: got.issuer, Layout: got.layout,
		}
	}

	key := p.cacheKey(digest)
	if got, ok := v.lookup(key); ok {
		v.hits.Add(1)
		return result(got), digest, "cached", nil
	}

	// Flights are per repository too: the signatures are looked up in the
	// caller's repository, and another repository's missing signature must
	// not become this caller's rejection.
	ch := v.group.DoChan(repo.Name()+"\x00"+key, func() (any, error) {
		if got, ok := v.lookup(key); ok { // a flight that just ended stored it
			v.hits.Add(1)
			return got, nil
		}
		v.verifications.Add(1)
		// The shared work outlives any one caller's cancellation: another
		// caller may still be waiting for it. It is bounded by v.timeout.
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), v.timeout)
		defer cancel()
		got, reason := v.verifyDigest(wctx, repo.Digest(digest), !resolved, p)
		if reason != "" {
			return nil, rejection(ref, digest, reason)
		}
		v.mu.Lock()
		v.cache[key] = got
		v.mu.Unlock()
		return got, nil
	})
	select {
	case <-ctx.Done():
		return Result{}, digest, "cancelled", core.AsError(ctx.Err())
	case r := <-ch:
		if r.Err != nil {
			// A shared flight's error names the reference of the caller
			// that started it; name this caller's.
			e := core.AsError(r.Err)
			reason, _ := e.Details["reason"].(string)
			return Result{}, digest, "rejected", rejection(ref, digest, reason)
		}
		return result(r.Val.(verified)), digest, "verified", nil
	}
}

func (v *Verifier) lookup(key string) (verified, bool) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	got, ok := v.cache[key]
	return got, ok
}

func (v *Verifier) remoteOpts(ctx context.Context) []remote.Option {
	return append(append([]remote.Option(nil), v.remote...), remote.WithContext(ctx))
}

// sigstoreVerifier builds sigstore-go's verifier once the trusted material
// is known.
func (v *Verifier) sigstoreVerifier(ctx context.Context) (*sgverify.Verifier, error) {
	tm, err := v.trust.get(ctx)
	if err != nil {
		return nil, err
	}
	v.svOnce.Do(func() {
		opts := []sgverify.VerifierOption{
			sgverify.WithTransparencyLog(1),
			sgverify.WithObserverTimestamps(1),
			// Only the predicate type is read; don't materialize predicates.
			sgverify.WithoutStatementPredicate(),
		}
		if v.sct {
			opts = append(opts, sgverify.WithSignedCertificateTimestamps(1))
		}
		v.sv, v.svErr = sgverify.NewVerifier(tm, opts...)
	})
	return v.sv, v.svErr
}

// rejection is the VerificationFailed error of a reference.
func rejection(ref, digest, reason string) *core.Error {
	e := core.Errorf(core.KindVerificationFailed, "image %q failed verification: %s", ref, reason).
		With("reference", ref).With("reason", reason)
	if digest != "" {
		e = e.With("digest", digest)
	}
	return e
}

func validDigest(d string) bool {
	hex, ok := strings.CutPrefix(d, "sha256:")
	if !ok || len(hex) != 64 {
		return false
	}
	for _, c := range hex {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}
