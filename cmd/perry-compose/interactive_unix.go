//go:build unix

package main

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/perryts/perry-container/backend"
)

// watchResize calls sized with the terminal's size every time it changes
// (SIGWINCH) until stop is called.
func watchResize(fd int, sized func(backend.TerminalSize)) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-done:
				return
			case <-ch:
				if w, h, err := term.GetSize(fd); err == nil {
					sized(backend.TerminalSize{Width: uint(w), Height: uint(h)})
				}
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
		<-finished
	}
}
