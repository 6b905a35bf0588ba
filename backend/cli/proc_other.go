//go:build !unix

package cli

import "os/exec"

// killProcessGroup keeps exec's default: the CLI alone is killed.
func killProcessGroup(*exec.Cmd) {}

// exitCode is the CLI's exit status (1 when it did not exit normally).
func exitCode(err *exec.ExitError) int {
	if c := err.ExitCode(); c >= 0 {
		return c
	}
	return 1
}
