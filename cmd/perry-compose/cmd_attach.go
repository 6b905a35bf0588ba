package main

import (
	"context"
	"os"
	"strconv"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

func (a *app) attachCmd() *cobra.Command {
	var (
		index             int
		noStdin, sigProxy bool
		detachKeys        string
	)
	cmd := &cobra.Command{
		Use:   "attach [flags] SERVICE",
		Short: "Attach local standard input, output, and error streams to a service's running container",
		Long: `Attach this terminal to the main process of a service's running container
(--index for another replica): its output, and stdin when the service keeps
stdin open (stdin_open) unless --no-stdin. The exit code is the process's.
With a TTY (tty: true) the detach keys (ctrl-p,ctrl-q) leave it running;
without one, a first Ctrl-C is sent to the process (--sig-proxy) and a
second detaches.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			if _, err := backend.ParseDetachKeys(detachKeys); err != nil {
				return usageErr(cmd, "invalid --detach-keys: %v", core.AsError(err).Message)
			}
			s, err := a.open(ctx, args, true, "")
			if err != nil {
				return err
			}
			defer s.r.Close()
			at, ok := s.b.(backend.Attacher)
			it, iok := s.b.(backend.Interactor)
			if !ok || !iok {
				return backend.Unsupported(s.b, "attach")
			}
			id, err := execContainer(ctx, s.e, args[0], index)
			if err != nil {
				return err
			}
			// The container's TTY is the service's: up created it so.
			cfg := s.p.Services[args[0]]
			tty := cfg.Tty
			if sigProxy && !tty {
				a.proxySignals(ctx, s.b, id)
			}
			f := attachFlags{interactive: !noStdin && cfg.StdinOpen, detachKeys: detachKeys}
			return a.attachSession(ctx, it, tty, &f, func(ctx context.Context, iio backend.InteractiveIO) (int, error) {
				return at.Attach(ctx, id, iio)
			})
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&index, "index", 0, "Index of the container if the service has multiple replicas (default 1)")
	fl.BoolVar(&noStdin, "no-stdin", false, "Do not attach STDIN")
	fl.BoolVar(&sigProxy, "sig-proxy", true, "Proxy all received signals to the process")
	fl.StringVar(&detachKeys, "detach-keys", "", `Override the key sequence for detaching from a container (default "`+backend.DefaultDetachKeys+`")`)
	return cmd
}

// proxySignals sends the first signal perry-compose gets to the attached
// container's process (docker attach --sig-proxy), as the process's own
// Ctrl-C; a later one does what it does otherwise (ends the attachment).
func (a *app) proxySignals(ctx context.Context, b backend.Backend, id string) {
	a.sigMu.Lock()
	prev := a.sigHandler
	a.sigMu.Unlock()
	sent := false
	a.setSignalHandler(func(sig os.Signal) {
		s, ok := sig.(syscall.Signal)
		if sent || !ok {
			prev(sig)
			return
		}
		sent = true
		if err := b.Kill(context.WithoutCancel(ctx), id, strconv.Itoa(int(s))); err != nil {
			prev(sig)
		}
	})
}
