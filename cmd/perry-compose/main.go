// Command perry-compose is a compose CLI for any container runtime, built
// on perry-container's compose engine. Its commands, flags, names, labels,
// JSON formats and exit codes are docker compose's, so that users and
// scripts can switch without relearning.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

func main() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	a := newApp(os.Stdin, os.Stdout, os.Stderr)
	a.signals = sigs
	os.Exit(a.run(context.Background(), os.Args[1:]))
}
