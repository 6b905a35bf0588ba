package detect

import (
	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/api"
	"github.com/perryts/perry-container/backend/cli"
	"github.com/perryts/perry-container/backend/fake"
	"github.com/perryts/perry-container/core"
)

// DefaultFactory builds the backend of a selection:
//
//	fake                          → fake.New()
//	strategy api                  → api.New(Host, Driver)
//	apple/container (cli)         → cli.Apple(Bin)
//	lima (cli)                    → cli.Lima(Bin, Instance)
//	any other runtime (cli)       → cli.Docker(Driver, Bin)
//
// It does no I/O: detection already proved the runtime answers.
func DefaultFactory(sel Selection) (backend.Backend, error) {
	switch {
	case sel.Driver == Fake:
		return fake.New(), nil
	case sel.Strategy == StrategyAPI:
		b, err := api.New(sel.Host, sel.Driver)
		if err != nil {
			return nil, err // not a typed-nil *api.Backend inside the interface
		}
		return b, nil
	case sel.Bin == "":
		return nil, core.Errorf(core.KindBackendNotAvailable, "%s: no CLI binary to run", sel.Driver)
	case sel.Driver == AppleContainer:
		return cli.Apple(sel.Bin), nil
	case sel.Driver == Lima:
		return cli.Lima(sel.Bin, sel.Instance), nil
	default:
		return cli.Docker(sel.Driver, sel.Bin), nil
	}
}
