package verify_test

import (
	"context"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"pgregory.net/rapid"

	"github.com/perryts/perry-container/capability/internal/sigtest"
	"github.com/perryts/perry-container/capability/verify"
	"github.com/perryts/perry-container/core"
)

// onlyHost keeps the tests offline: a reference that names any registry but
// the test's own (arbitrary strings parse as Docker Hub references) fails at
// once instead of reaching the network.
type onlyHost struct{ host string }

func (o onlyHost) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.URL.Host != o.host {
		return nil, fmt.Errorf("offline test: no route to %s", r.URL.Host)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// Feature: perry-container, Property 10: Image Verification Caching is Idempotent
//
// For any image reference, every call after the first returns the same
// result (the same Result, or the same VerificationFailed error), and a
// digest that verified once is never verified again: the cache answers.
func TestPropertyVerificationCachingIsIdempotent(t *testing.T) {
	e := newEnv(t, true)
	v, err := verify.New(
		verify.WithTrustedRootJSON(e.ss.TrustedRootJSON(t)),
		verify.InsecureWithoutSCT(),
		verify.WithRemoteOptions(fastFail, remote.WithTransport(onlyHost{e.reg.Host})),
	)
	if err != nil {
		t.Fatal(err)
	}

	classic := sigtest.PushRandom(t, e.repo, "classic")
	e.signClassic(t, classic, sigtest.Identity, sigtest.Issuer)
	referrer := sigtest.PushRandom(t, e.repo, "referrer")
	e.signReferrer(t, referrer, sigtest.Identity, sigtest.Issuer)
	unsigned := sigtest.PushRandom(t, e.repo, "unsigned")
	wrongSigner := sigtest.PushRandom(t, e.repo, "wrong")
	e.signClassic(t, wrongSigner, "https://example.com/someone-else", sigtest.Issuer)
	copied := sigtest.PushRandom(t, e.repo, "copied")
	sigtest.CopyClassic(t, e.repo, classic, copied)

	known := []string{}
	for _, tag := range []string{"classic", "referrer", "unsigned", "wrong", "copied", "missing"} {
		known = append(known, e.repo.Tag(tag).String())
	}
	for _, d := range []string{classic, referrer, unsigned, wrongSigner, copied, "sha256:" + strings.Repeat("0", 64)} {
		known = append(known, e.repo.Digest(d).String())
	}
	verifiedDigests := map[string]bool{}

	rapid.Check(t, func(rt *rapid.T) {
		ref := rapid.OneOf(
			rapid.SampledFrom(known),
			rapid.String(),
			rapid.StringMatching(`[a-z0-9]{1,12}(/[a-z0-9._-]{1,12})?(:[a-zA-Z0-9._-]{1,8})?`),
			rapid.StringMatching(e.reg.Host+`/perry/tool(:[a-z]{1,8}|@sha256:[0-9a-f]{64})`),
		).Draw(rt, "ref")
		repeats := rapid.IntRange(2, 4).Draw(rt, "repeats")
		ctx := context.Background()

		before := v.Stats()
		first, firstErr := v.Verify(ctx, ref, policy)
		after := v.Stats()
		if firstErr == nil && verifiedDigests[first.Digest] && after.Verifications != before.Verifications {
			rt.Fatalf("%s: digest %s verified again although it was cached", ref, first.Digest)
		}
		for i := 1; i < repeats; i++ {
			got, err := v.Verify(ctx, ref, policy)
			if firstErr == nil {
				if err != nil || !reflect.DeepEqual(got, first) {
					rt.Fatalf("%s call %d = %+v, %v; first call gave %+v", ref, i+1, got, err, first)
				}
				continue
			}
			if err == nil {
				rt.Fatalf("%s call %d succeeded; first call failed with %v", ref, i+1, firstErr)
			}
			a, b := core.AsError(firstErr), core.AsError(err)
			if a.Kind != b.Kind || a.Message != b.Message || a.Kind != core.KindVerificationFailed {
				rt.Fatalf("%s call %d = %s %q; first call gave %s %q", ref, i+1, b.Kind, b.Message, a.Kind, a.Message)
			}
		}
		if firstErr == nil {
			verifiedDigests[first.Digest] = true
			if s := v.Stats(); s.Verifications != after.Verifications {
				rt.Fatalf("%s: repeated calls verified %d more times; the cache must answer", ref, s.Verifications-after.Verifications)
			}
		}
	})
	// The signed digests (and only they) verified, once each.
	if len(verifiedDigests) > 2 || (len(verifiedDigests) > 0 && !verifiedDigests[classic] && !verifiedDigests[referrer]) {
		t.Fatalf("unexpected verified digests: %v", verifiedDigests)
	}
}
