package main

import (
	"context"
	"strings"
	"sync"

	"github.com/moby/moby/client"
)

// clean force-removes every container and network of the suite: labelled
// perry.test=1 and named with the perrybench prefix. Nothing else is
// touched. It returns how many containers and networks it removed.
func clean(ctx context.Context, c *client.Client) (int, int, error) {
	return cleanPrefix(ctx, c, prefix)
}

// cleanPrefix is clean for the names starting with pfx (which starts with
// the perrybench prefix): the profiler cleans only its own projects.
func cleanPrefix(ctx context.Context, c *client.Client, pfx string) (int, int, error) {
	f := make(client.Filters).Add("label", testLabel+"=1").Add("name", pfx)
	cs, err := c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return 0, 0, err
	}
	var wg sync.WaitGroup
	nc := 0
	for _, ct := range cs.Items {
		if len(ct.Names) == 0 || !strings.HasPrefix(strings.TrimPrefix(ct.Names[0], "/"), pfx) {
			continue
		}
		nc++
		wg.Add(1)
		go func(id string) {
			defer wg.Done()
			_, _ = c.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		}(ct.ID)
	}
	wg.Wait()
	ns, err := c.NetworkList(ctx, client.NetworkListOptions{Filters: f})
	if err != nil {
		return nc, 0, err
	}
	nn := 0
	for _, n := range ns.Items {
		if strings.HasPrefix(n.Name, pfx) {
			if _, err := c.NetworkRemove(ctx, n.ID, client.NetworkRemoveOptions{}); err == nil {
				nn++
			}
		}
	}
	return nc, nn, nil
}

// leftovers counts the containers of one project (any state).
func leftovers(ctx context.Context, c *client.Client, project string) (int, error) {
	f := make(client.Filters).Add("label", "com.docker.compose.project="+project)
	cs, err := c.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return 0, err
	}
	return len(cs.Items), nil
}
