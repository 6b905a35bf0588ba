package verify

import (
	"fmt"
	"regexp"

	sgverify "github.com/sigstore/sigstore-go/pkg/verify"
)

// Chainguard's public images are signed keyless by their release workflow
// on GitHub Actions (docs/design.md, Image verification).
const (
	ChainguardIdentity = "https://github.com/chainguard-images/images/.github/workflows/release.yaml@refs/heads/main"
	ChainguardIssuer   = "https://token.actions.githubusercontent.com"
)

// Policy says who must have signed an image: the signing certificate's
// identity (its subject alternative name) and the OIDC issuer that vouched
// for it. Issuer is always matched exactly. Identity is matched exactly
// unless IdentityRegex is set (Chainguard private registries sign with
// per-customer identities); the regex must match the whole identity, so
// "https://x/.*" cannot be satisfied by "https://evil/?https://x/".
type Policy struct {
	Identity      string `json:"identity,omitempty"`
	IdentityRegex string `json:"identityRegex,omitempty"`
	Issuer        string `json:"issuer"`
}

// ChainguardPolicy is the policy of Chainguard's public images.
func ChainguardPolicy() Policy {
	return Policy{Identity: ChainguardIdentity, Issuer: ChainguardIssuer}
}

// String is the policy as it appears in logs, errors and the cache key.
func (p Policy) String() string {
	if p.IdentityRegex != "" {
		return fmt.Sprintf("identity~/%s/ issuer=%s", p.IdentityRegex, p.Issuer)
	}
	return fmt.Sprintf("identity=%s issuer=%s", p.Identity, p.Issuer)
}

// Validate reports a policy that could not constrain anything: an empty
// issuer or identity would make sigstore-go accept any signer.
func (p Policy) Validate() error {
	switch {
	case p.Issuer == "":
		return fmt.Errorf("policy has no issuer")
	case p.Identity == "" && p.IdentityRegex == "":
		return fmt.Errorf("policy has neither identity nor identityRegex")
	case p.Identity != "" && p.IdentityRegex != "":
		return fmt.Errorf("policy has both identity and identityRegex")
	}
	if p.IdentityRegex != "" {
		if _, err := regexp.Compile(p.IdentityRegex); err != nil {
			return fmt.Errorf("policy identityRegex: %v", err)
		}
	}
	return nil
}

// certificateIdentity turns the policy into sigstore-go's matcher. The regex
// is anchored here because sigstore-go matches regexes unanchored.
func (p Policy) certificateIdentity() (sgverify.CertificateIdentity, error) {
	re := ""
	if p.IdentityRegex != "" {
		re = `^(?:` + p.IdentityRegex + `)$`
	}
	return sgverify.NewShortCertificateIdentity(p.Issuer, "", p.Identity, re)
}

// cacheKey identifies one verification: the same digest checked against a
// different signer is a different question.
func (p Policy) cacheKey(digest string) string {
	id := "=" + p.Identity
	if p.IdentityRegex != "" {
		id = "~" + p.IdentityRegex
	}
	return digest + "\x00" + p.Issuer + "\x00" + id
}
