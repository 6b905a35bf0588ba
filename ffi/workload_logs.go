package main

import "context"

// graphLogsFollow follows the logs of a graph's node (of every node when
// node is NULL) until their containers stop or the call is cancelled; a
// line's service is its node id. Read-only: it holds no lock of the handle.
func (c *hostCtx) graphLogsFollow(ctx context.Context, h int64, node, opts arg, emit func(LogLine) error) error {
	name, tail, err := graphLogsArgs(node, opts)
	if err != nil {
		return err
	}
	_, err = c.readGraph(h, func(g *graphRun) (any, error) {
		return nil, g.handle().FollowLogs(ctx, name, tail, func(node, stream, line string) {
			// Once the call ended emit fails at once; the engine's own
			// follow stops with the same context.
			_ = emit(LogLine{Service: node, Stream: stream, Line: line})
		})
	})
	return err
}
