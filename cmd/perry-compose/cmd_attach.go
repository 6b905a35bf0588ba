package main

import (
	"context"
	"os"
	"strconv"
	"syscall"
	"time"

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
			// The container's TTY and stdin are the service's: up created
			// it so.
			cfg := s.p.Services[args[0]]
			tty := cfg.Tty
			proxy := sigProxy && !tty // with a TTY, Ctrl-C travels as a key
			if proxy {
				a.proxySignals(ctx, s.b, id, it.OwnsTerminal())
			}
			f := attachFlags{interactive: !noStdin && cfg.StdinOpen, detachKeys: detachKeys}
			return a.attachSession(ctx, it, tty, &f, func(ctx context.Context, iio backend.InteractiveIO) (int, error) {
				iio.SignalsToProcess = proxy && it.OwnsTerminal()
				return at.Attach(ctx, id, iio)
			})
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&index, "index", 0, "Index of the container if the service has multiple replicas (default 1)")
	fl.BoolVar(&noStdin, "no-stdin", false, "Do not attach STDIN")
	fl.BoolVar(&sigProxy, "sig-proxy", true, "Send the first Ctrl-C (or SIGTERM) to the process, without a TTY; a second ends the attachment")
	fl.StringVar(&detachKeys, "detach-keys", "", `Override the key sequence for detaching from a container (default "`+backend.DefaultDetachKeys+`")`)
	return cmd
}

// proxySignals gives the first signal perry-compose gets to the attached
// container's process (docker attach --sig-proxy), as the process's own
// Ctrl-C; a later one does what it does otherwise (ends the attachment).
// A runtime CLI that owns the terminal gets a terminal's Ctrl-C itself, in
// perry-compose's process group, and passes it on (cliForwards): then the
// first is left to it. Otherwise it is sent with a kill, off the signal
// loop and bounded, so that a second Ctrl-C is handled even if the
// runtime does not answer.
func (a *app) proxySignals(ctx context.Context, b backend.Backend, id string, cliForwards bool) {
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
		if cliForwards {
			return
		}
		go func() {
			kctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			defer cancel()
			if err := b.Kill(kctx, id, strconv.Itoa(int(s))); err != nil {
				prev(sig)
			}
		}()
	})
}
