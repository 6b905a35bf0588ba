package api

import "github.com/moby/moby/client"

// Client is the moby client New built, for packages that speak parts of the
// Engine API the Backend interface does not cover (the Swarm target in
// backend/swarm), so there is one way to construct and configure it.
func (b *Backend) Client() *client.Client { return b.cli }

// EngineError converts an error of the moby client into a *core.Error the
// way the backend's own calls do: kind and id name the object the call was
// about, so the engine's 404 becomes core.NotFound(kind, id).
func (b *Backend) EngineError(err error, kind, id string) error { return b.engineError(err, kind, id) }
