package main

import (
	"github.com/spf13/cobra"
)

func (a *app) pauseCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "pause [SERVICE...]",
		Short: "Pause services",
		Long: `Pause the running containers of services (all when none is named): their
processes are frozen until unpause; ps shows them as paused.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context(), args, true, "Pausing")
			if err != nil {
				return err
			}
			defer s.r.Close()
			return s.e.Pause(cmd.Context(), args)
		},
	}
}

func (a *app) unpauseCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "unpause [SERVICE...]",
		Short: "Unpause services",
		Long:  `Resume the paused containers of services (all when none is named).`,
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := a.open(cmd.Context(), args, true, "Unpausing")
			if err != nil {
				return err
			}
			defer s.r.Close()
			return s.e.Unpause(cmd.Context(), args)
		},
	}
}
