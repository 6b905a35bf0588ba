package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/perryts/perry-container/compose/engine"
	"github.com/perryts/perry-container/core"
)

func (a *app) portCmd() *cobra.Command {
	var (
		protocol string
		index    int
	)
	cmd := &cobra.Command{
		Use:   "port [flags] SERVICE PRIVATE_PORT",
		Short: "Print the public port for a port binding",
		Long: `Print the host address and port a container port of a running service
is published on, as "ip:port" (an IPv6 address in brackets).`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			service := args[0]
			n, proto, err := core.ParseContainerPort(args[1] + "/" + protocol)
			if err != nil {
				return usageErr(cmd, "invalid port %q or --protocol %q: want a port number and tcp, udp or sctp", args[1], protocol)
			}
			if index < 1 {
				return usageErr(cmd, "invalid --index %d: replicas are numbered from 1", index)
			}
			ctx := cmd.Context()
			s, err := a.open(ctx, []string{service}, true, "")
			if err != nil {
				return err
			}
			defer s.r.Close()
			cs, err := s.e.Ps(ctx, engine.PsOptions{Services: []string{service}})
			if err != nil {
				return err
			}
			for _, c := range cs {
				if c.Service != service || c.Number != index {
					continue
				}
				addr, ok := core.Published(c.Ports, n, proto)
				if !ok {
					return core.Errorf(core.KindNotFound, "no port %d/%s for container %s (ports: %s)", n, proto, c.Name, strings.Join(c.Ports, ", ")).
						With("service", service)
				}
				fmt.Fprintln(a.stdout, addr)
				return nil
			}
			return core.Errorf(core.KindNotFound, "service %q has no running container number %d", service, index).
				With("service", service)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&protocol, "protocol", "tcp", "tcp, udp or sctp")
	fl.IntVar(&index, "index", 1, "Index of the container if the service has multiple replicas")
	return cmd
}
