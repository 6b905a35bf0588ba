//go:build windows

package detect

import (
	"context"
	"net"

	"github.com/Microsoft/go-winio"
)

// dialPipe opens a Windows named pipe (Docker Desktop's and podman machine's
// API endpoints on Windows).
func dialPipe(ctx context.Context, addr string) (net.Conn, error) {
	return winio.DialPipeContext(ctx, addr)
}
