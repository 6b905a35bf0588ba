package deps

import (
	_ "github.com/compose-spec/compose-go/v2/cli"
	_ "github.com/compose-spec/compose-go/v2/loader"
	_ "github.com/compose-spec/compose-go/v2/types"
	_ "github.com/compose-spec/compose-go/v2/template"
	_ "github.com/compose-spec/compose-go/v2/dotenv"
	_ "github.com/moby/moby/client"
	_ "github.com/puzpuzpuz/xsync/v3"
	_ "pgregory.net/rapid"
	_ "github.com/spf13/cobra"
	_ "github.com/google/go-containerregistry/pkg/registry"
	_ "github.com/google/go-containerregistry/pkg/v1/remote"
	_ "github.com/google/go-containerregistry/pkg/crane"
	_ "golang.org/x/sync/errgroup"
	_ "gopkg.in/yaml.v3"
	_ "go.yaml.in/yaml/v4"
)
