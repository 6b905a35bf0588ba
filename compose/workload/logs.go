package workload

import (
	"context"

	"github.com/perryts/perry-container/compose/engine"
)

// FollowLogs streams the output of a node's container (of every node's
// when node is "") to sink, line by line with its node id and stream
// ("stdout" | "stderr"), until the containers stop or ctx ends: the
// compose engine's followed logs of the graph's project. Lines of one node
// and stream arrive in order; calls to sink are serialised. tail starts
// each container with its last n lines (nil: all).
func (h *Handle) FollowLogs(ctx context.Context, node string, tail *int, sink func(node, stream, line string)) error {
	opts := engine.LogsOptions{Tail: tail, Follow: true}
	if node != "" {
		if err := h.node(node); err != nil {
			return err
		}
		opts.Services = []string{node}
	}
	return h.engine.Logs(ctx, opts, func(service, _, stream, line string) { sink(service, stream, line) })
}
