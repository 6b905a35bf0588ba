package verify

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sigstore/sigstore-go/pkg/root"
	"github.com/sigstore/sigstore-go/pkg/tuf"
	"github.com/theupdateframework/go-tuf/v2/metadata/fetcher"
)

// embeddedTrustedRoot is Sigstore's public-good trusted_root.json (Fulcio
// CAs, Rekor and CT log keys, the timestamp authority) as distributed by
// Sigstore's TUF repository. It is a byte-for-byte copy of
// github.com/sigstore/sigstore@v1.10.8/pkg/tuf/repository/targets/trusted_root.json
// (identical to sigstore-go v1.3.0's examples/trusted-root-public-good.json),
// sha256 4364d7724c04cc912ce2a6c45ed2610e8d8d1c4dc857fb500292738d4d9c8d2c.
// It is only the fallback: a snapshot cannot learn about keys Sigstore adds
// later (for instance Rekor v2 logs), so TUF is always tried first.
//
//go:embed trusted_root.json
var embeddedTrustedRoot []byte

// EmbeddedTrustedRootJSON returns a copy of the embedded fallback root.
func EmbeddedTrustedRootJSON() []byte { return append([]byte(nil), embeddedTrustedRoot...) }

// tufTimeout bounds each TUF HTTP request: go-tuf's default client has no
// timeout and takes no context, and an unreachable mirror must not hang the
// first capability of an offline machine.
const tufTimeout = 15 * time.Second

// trustSource yields the trusted material, resolving it once: either given
// explicitly, or fetched from TUF with the embedded root as fallback.
type trustSource struct {
	explicit root.TrustedMaterial

	tufMirror   string // "" = Sigstore's public-good CDN
	tufRoot     []byte // TUF trust anchor; nil = Sigstore's (embedded in sigstore-go)
	tufCacheDir string // "" = keep TUF metadata in memory only
	log         *slog.Logger

	once     sync.Once
	material root.TrustedMaterial
	origin   string // "tuf", "tuf-cache" or "embedded"
	err      error
}

func (t *trustSource) get(ctx context.Context) (root.TrustedMaterial, error) {
	if t.explicit != nil {
		return t.explicit, nil
	}
	t.once.Do(func() { t.material, t.origin, t.err = t.resolve(ctx) })
	return t.material, t.err
}

func (t *trustSource) resolve(ctx context.Context) (root.TrustedMaterial, string, error) {
	tr, err := t.fetchTUF(false)
	origin := "tuf"
	if err != nil && t.tufCacheDir != "" {
		// Offline with a cache: metadata fetched earlier, still unexpired,
		// is fresher than the embedded snapshot.
		var cerr error
		if tr, cerr = t.fetchTUF(true); cerr == nil {
			origin = "tuf-cache"
		}
	}
	if tr != nil {
		t.log.LogAttrs(ctx, slog.LevelDebug, "perry-container: sigstore trusted root from TUF",
			slog.String("origin", origin), slog.String("mirror", t.mirror()), slog.String("cacheDir", t.tufCacheDir))
		return tr, origin, nil
	}
	emb, eerr := root.NewTrustedRootFromJSON(embeddedTrustedRoot)
	if eerr != nil {
		// Only a corrupted build gets here.
		return nil, "", fmt.Errorf("TUF failed (%v) and the embedded trusted root is invalid: %v", err, eerr)
	}
	t.log.LogAttrs(ctx, slog.LevelDebug, "perry-container: sigstore trusted root from the embedded snapshot",
		slog.String("mirror", t.mirror()), slog.String("tufError", err.Error()))
	return emb, "embedded", nil
}

func (t *trustSource) mirror() string {
	if t.tufMirror != "" {
		return t.tufMirror
	}
	return tuf.DefaultMirror
}

func (t *trustSource) fetchTUF(forceCache bool) (*root.TrustedRoot, error) {
	// Not tuf.DefaultOptions: it would cache under $HOME/.sigstore, and
	// nothing is written to the host's home unasked (docs/design.md, Image verification).
	f := fetcher.NewDefaultFetcher()
	f.SetHTTPClient(&http.Client{Timeout: tufTimeout})
	anchor := t.tufRoot
	if anchor == nil {
		anchor = tuf.DefaultRoot()
	}
	opts := &tuf.Options{
		Root:              anchor,
		RepositoryBaseURL: t.mirror(),
		Fetcher:           f,
		ForceCache:        forceCache,
	}
	if t.tufCacheDir != "" {
		opts.CachePath = t.tufCacheDir
	} else {
		opts.DisableLocalCache = true
	}
	return root.FetchTrustedRootWithOptions(opts)
}
