package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// newClient is a moby client over the local engine, API version negotiated
// once (so the raw path pays no ping per operation).
func newClient(ctx context.Context) (*client.Client, error) {
	c, err := client.New(client.FromEnv)
	if err != nil {
		return nil, err
	}
	if _, err := c.Ping(ctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// raw is the engine's own limit for a stack: direct API calls only, the
// network first, then create+start of every service of a level in
// parallel, level after level (the longest chain is the critical path).
// Down is stop+remove per container, dependents' level first, then the
// network. parallel > 0 bounds the calls in flight, as --parallel does.
type raw struct {
	c        *client.Client
	st       stack
	project  string
	parallel int
}

func (r raw) netName() string { return r.project + "_default" }

func (r raw) labels(service string) map[string]string {
	return map[string]string{testLabel: "1", "com.docker.compose.project": r.project,
		"com.docker.compose.service": service, "com.docker.compose.container-number": "1",
		"com.docker.compose.oneoff": "False"}
}

// each runs fn for every service of a level, at most r.parallel at once.
func (r raw) each(level []svc, fn func(svc) error) error {
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	var sem chan struct{}
	if r.parallel > 0 {
		sem = make(chan struct{}, r.parallel)
	}
	for _, s := range level {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if sem != nil {
				sem <- struct{}{}
				defer func() { <-sem }()
			}
			if err := fn(s); err != nil {
				mu.Lock()
				if first == nil {
					first = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

func (r raw) up(ctx context.Context) error {
	if _, err := r.c.NetworkCreate(ctx, r.netName(), client.NetworkCreateOptions{Driver: "bridge",
		Labels: map[string]string{testLabel: "1", "com.docker.compose.project": r.project, "com.docker.compose.network": "default"}}); err != nil {
		return fmt.Errorf("raw network create: %w", err)
	}
	for _, level := range r.st.levels() {
		if err := r.each(level, func(s svc) error {
			res, err := r.c.ContainerCreate(ctx, client.ContainerCreateOptions{
				Name: fmt.Sprintf("%s-%s-1", r.project, s.name),
				Config: &container.Config{Image: image, Cmd: []string{"sh", "-c", idleCmd},
					Labels: r.labels(s.name)},
				HostConfig: &container.HostConfig{NetworkMode: container.NetworkMode(r.netName())},
				NetworkingConfig: &network.NetworkingConfig{EndpointsConfig: map[string]*network.EndpointSettings{
					r.netName(): {Aliases: []string{s.name}}}},
			})
			if err != nil {
				return fmt.Errorf("raw create %s: %w", s.name, err)
			}
			if _, err := r.c.ContainerStart(ctx, res.ID, client.ContainerStartOptions{}); err != nil {
				return fmt.Errorf("raw start %s: %w", s.name, err)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	return nil
}

func (r raw) down(ctx context.Context) error {
	lv := r.st.levels()
	for i := len(lv) - 1; i >= 0; i-- {
		if err := r.each(lv[i], func(s svc) error {
			name := fmt.Sprintf("%s-%s-1", r.project, s.name)
			t := 10
			if _, err := r.c.ContainerStop(ctx, name, client.ContainerStopOptions{Timeout: &t}); err != nil {
				return fmt.Errorf("raw stop %s: %w", s.name, err)
			}
			if _, err := r.c.ContainerRemove(ctx, name, client.ContainerRemoveOptions{}); err != nil {
				return fmt.Errorf("raw remove %s: %w", s.name, err)
			}
			return nil
		}); err != nil {
			return err
		}
	}
	if _, err := r.c.NetworkRemove(ctx, r.netName(), client.NetworkRemoveOptions{}); err != nil {
		return fmt.Errorf("raw network remove: %w", err)
	}
	return nil
}
