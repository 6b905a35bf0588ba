package main

import (
	"io"
	"os"

	"github.com/sirupsen/logrus"
)

// EnvLog is the environment variable that lets the library's diagnostics
// (compose-go's loader warnings, e.g. "the attribute `version` is
// obsolete") reach the host process's stderr.
const EnvLog = "PERRY_CONTAINER_LOG"

// A library does not write into its host's stderr uninvited: compose-go
// warns through logrus's global logger, so that logger is silenced unless
// PERRY_CONTAINER_LOG=stderr. (perry-compose, a program of its own, keeps
// them, as docker compose prints them.)
func init() {
	if os.Getenv(EnvLog) != "stderr" {
		logrus.SetOutput(io.Discard)
	}
}
