//go:build unix

package cli

import (
	"os/exec"
	"syscall"
)

// killProcessGroup runs the CLI in its own process group and kills the whole
// group when the context ends, so helpers it spawned (ssh for lima, the
// runtime's plugins) do not outlive it.
func killProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil {
			return cmd.Process.Kill()
		}
		return nil
	}
}

// exitCode is the CLI's exit status, 128+N when signal N killed it (as a
// shell reports it).
func exitCode(err *exec.ExitError) int {
	if ws, ok := err.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return err.ExitCode()
}
