package main

import (
	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/compose/engine"
)

func (a *app) cpCmd() *cobra.Command {
	var (
		index               int
		archive, followLink bool
	)
	cmd := &cobra.Command{
		Use: `cp [flags] SERVICE:SRC_PATH DEST_PATH
  perry-compose cp [flags] SRC_PATH SERVICE:DEST_PATH`,
		Short: "Copy files/folders between a service container and the local filesystem",
		Long: `Copy a file or directory out of a service's container (its first, or
--index) to a local path, or from a local path into the service's
containers (all of them, or --index). As docker cp: to an existing
directory the source goes inside it, else it is created under the
destination's name.`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageErr(cmd, "%q requires exactly 2 arguments", cmd.CommandPath())
			}
			if args[0] == "" {
				return usageErr(cmd, "source can not be empty")
			}
			if args[1] == "" {
				return usageErr(cmd, "destination can not be empty")
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if index < 0 {
				return usageErr(cmd, "invalid --index %d: replicas are numbered from 1", index)
			}
			var services []string
			for _, arg := range args {
				if svc, _ := engine.SplitCopyArg(arg); svc != "" {
					services = append(services, svc)
				}
			}
			s, err := a.open(cmd.Context(), services, true, "Copying")
			if err != nil {
				return err
			}
			defer s.r.Close()
			return s.e.Copy(cmd.Context(), args[0], args[1], engine.CopyOptions{Index: index, Archive: archive, FollowLink: followLink})
		},
	}
	cmd.Flags().IntVar(&index, "index", 0, "Index of the container if the service has multiple replicas")
	cmd.Flags().BoolVarP(&archive, "archive", "a", false, "Archive mode (copy all uid/gid information)")
	cmd.Flags().BoolVarP(&followLink, "follow-link", "L", false, "Always follow symbol link in SRC_PATH")
	return cmd
}
