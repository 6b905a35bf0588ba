package engine

import "testing"

// A service's develop section configures `watch` (compose/watch), which
// perry-compose implements: an up takes it without a warning.
func TestDevelopIsNotWarnedAbout(t *testing.T) {
	e, log := newEngine(t, newFake(), load(t, `
services:
  web:
    image: busybox
    command: [sleep, "1000"]
    develop:
      watch:
        - {action: sync, path: ./src, target: /app}
`))
	if err := e.Up(ctxT(t), UpOptions{}); err != nil {
		t.Fatal(err)
	}
	if w := warnings(log); len(w) != 0 {
		t.Fatalf("warnings %q", w)
	}
}
