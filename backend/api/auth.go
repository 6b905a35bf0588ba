package api

import (
	"encoding/base64"
	"encoding/json"
	"os"

	"github.com/distribution/reference"
	"github.com/docker/cli/cli/config"
	"github.com/moby/moby/api/types/registry"
)

// indexServer is the key under which the docker CLI stores Docker Hub's
// credentials.
const indexServer = "https://index.docker.io/v1/"

// registryAuth is the X-Registry-Auth value for ref's registry: the
// credentials `docker login` stored for it (in the config file or a
// credential helper it names), base64url-encoded JSON as the engine takes
// them; an empty login when there are none, which registries without
// authentication accept.
func registryAuth(ref reference.Named) string {
	host := reference.Domain(ref)
	if host == "docker.io" {
		host = indexServer
	}
	// DOCKER_CONFIG is read on every call: config.Dir keeps the first
	// answer for the life of the process, and a host may set it later.
	dir := os.Getenv(config.EnvOverrideConfigDir)
	if dir == "" {
		dir = config.Dir()
	}
	var auth registry.AuthConfig
	if cf, err := config.Load(dir); err == nil {
		if ac, err := cf.GetAuthConfig(host); err == nil {
			auth = registry.AuthConfig{Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
				ServerAddress: ac.ServerAddress, IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken}
		}
	}
	data, _ := json.Marshal(auth) // a struct of strings always encodes
	return base64.URLEncoding.EncodeToString(data)
}
