package main

import (
	"context"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

func detectBackend(ctx context.Context) (backend.Backend, error) {
	return nil, core.Errorf(core.KindNoBackendFound, "runtime detection is not available in this build; set PERRY_CONTAINER_BACKEND=fake")
}

func detectCandidates(ctx context.Context) ([]core.BackendInfo, error) {
	_, err := detectBackend(ctx)
	return nil, err
}
