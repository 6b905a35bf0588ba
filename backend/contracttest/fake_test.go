package contracttest_test

import (
	"testing"

	"github.com/perryts/perry-container/backend/contracttest"
	"github.com/perryts/perry-container/backend/fake"
)

// TestFake holds the in-memory fake to the same contract as the real
// engines, so tests written against the fake mean something.
func TestFake(t *testing.T) {
	contracttest.Run(t, fake.New(contracttest.DefaultImage), contracttest.Options{})
}
