//go:build !unix

package main

import "github.com/perryts/perry-container/backend"

// watchResize: without SIGWINCH the size sent at the start stays.
func watchResize(int, func(backend.TerminalSize)) (stop func()) { return func() {} }
