package main

import (
	"context"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/detect"
	"github.com/perryts/perry-container/core"
)

// detectBackend resolves the process-global backend: a success is kept for
// the process, concurrent callers share one detection, and a failure is
// detected again by the next call.
func detectBackend(ctx context.Context) (backend.Backend, error) {
	return detect.Default().Backend(ctx)
}

// detectCandidates probes every candidate of this platform. A report in which
// nothing is available is still a report: detectBackend() lists the
// candidates and why each is unavailable rather than failing.
func detectCandidates(ctx context.Context) ([]core.BackendInfo, error) {
	rep, err := detect.Default().ProbeAll(ctx)
	if len(rep.Candidates) > 0 && (err == nil || core.KindOf(err) == core.KindNoBackendFound) {
		return rep.Candidates, nil
	}
	if err != nil {
		return nil, err
	}
	return []core.BackendInfo{}, nil
}
