package main

import (
	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/compose/engine"
)

func (a *app) commitCmd() *cobra.Command {
	var (
		opts  engine.CommitOptions
		pause bool
	)
	cmd := &cobra.Command{
		Use:   "commit [flags] SERVICE [REPOSITORY[:TAG]]",
		Short: "Create a new image from a service container's changes",
		Long: `Create an image of a service's running container (its first, or --index):
its filesystem with the changes made in it, not its volumes. Without
REPOSITORY[:TAG] the image is known by its id only. The container is
paused while its files are read, unless --pause=false.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Index < 0 {
				return usageErr(cmd, "invalid --index %d: replicas are numbered from 1", opts.Index)
			}
			if len(args) > 1 {
				opts.Reference = args[1]
			}
			opts.NoPause, opts.DryRun = !pause, dryRun(cmd)
			s, err := a.open(cmd.Context(), args[:1], true, "Committing")
			if err != nil {
				return err
			}
			defer s.r.Close()
			_, err = s.e.Commit(cmd.Context(), args[0], opts)
			return err
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&opts.Index, "index", 0, "Index of the container if the service has multiple replicas")
	fl.BoolVarP(&pause, "pause", "p", true, "Pause container during commit")
	fl.StringVarP(&opts.Message, "message", "m", "", "Commit message")
	fl.StringVarP(&opts.Author, "author", "a", "", `Author (e.g., "John Hannibal Smith <hannibal@a-team.com>")`)
	fl.StringArrayVarP(&opts.Changes, "change", "c", nil, "Apply Dockerfile instruction to the created image (repeatable)")
	return cmd
}
