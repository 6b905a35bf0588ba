package engine

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/perryts/perry-container/core"
)

// serviceHash is the config-hash label: a SHA-256 of the service's JSON
// form without the fields that never require a new container (how the
// image is obtained, how many replicas run, what the service waits for),
// as docker compose's ServiceHash does. compose-go has no helper for it.
// The value is ours alone: other tools hash differently (compose-anchors c).
func serviceHash(cfg types.ServiceConfig) (string, error) {
	cfg.Build = nil
	cfg.PullPolicy = ""
	cfg.Scale = nil
	if cfg.Deploy != nil {
		d := *cfg.Deploy // copy: the project is shared and must not change
		d.Replicas = nil
		cfg.Deploy = &d
	}
	cfg.DependsOn = nil
	cfg.Profiles = nil
	b, err := json.Marshal(cfg)
	if err != nil {
		return "", core.Errorf(core.KindInternal, "hashing service %q: %w", cfg.Name, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
