package main

import (
	"io"
	"os"
	"testing"

	"github.com/sirupsen/logrus"
)

// The compose loader's warnings (through logrus's global logger) must not
// reach the host's stderr unless PERRY_CONTAINER_LOG=stderr.
func TestLoaderWarningsDoNotReachTheHostsStderr(t *testing.T) {
	if os.Getenv(EnvLog) == "stderr" {
		t.Skipf("%s=stderr is set", EnvLog)
	}
	if out := logrus.StandardLogger().Out; out != io.Discard {
		t.Fatalf("compose-go's warnings go to %T, not nowhere", out)
	}
}
