package api

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	units "github.com/docker/go-units"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/client"
	"golang.org/x/sync/errgroup"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

var _ backend.StatsReader = (*Backend)(nil)

// Stats samples each container once, in parallel: the engine takes two
// readings a second apart so that the CPU share can be computed, as
// `docker stats --no-stream` asks it to.
func (b *Backend) Stats(ctx context.Context, ids []string) ([]backend.ContainerStats, error) {
	for _, id := range ids {
		if err := requireID("container", id); err != nil {
			return nil, err
		}
	}
	out := make([]backend.ContainerStats, len(ids))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, id := range ids {
		g.Go(func() error {
			res, err := b.cli.ContainerStats(gctx, id, client.ContainerStatsOptions{IncludePreviousSample: true})
			if err != nil {
				return b.engineError(err, "container", id)
			}
			defer res.Body.Close()
			var v container.StatsResponse
			if err := json.NewDecoder(res.Body).Decode(&v); err != nil {
				return core.Errorf(core.KindBackendError, "stats of container %s: %v", id, err).With("backend", b.name)
			}
			out[i] = statsOf(v)
			if out[i].ID == "" {
				out[i].ID = id
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// statsOf computes and writes a reading as the docker CLI does: the CPU
// share of the interval across the online CPUs, memory without the
// inactive page cache, sizes in binary units for memory and decimal ones
// (three digits) for network and block I/O.
func statsOf(v container.StatsResponse) backend.ContainerStats {
	cpu := 0.0
	cpuDelta := float64(v.CPUStats.CPUUsage.TotalUsage) - float64(v.PreCPUStats.CPUUsage.TotalUsage)
	sysDelta := float64(v.CPUStats.SystemUsage) - float64(v.PreCPUStats.SystemUsage)
	online := float64(v.CPUStats.OnlineCPUs)
	if online == 0 {
		online = float64(len(v.CPUStats.CPUUsage.PercpuUsage))
	}
	if sysDelta > 0 && cpuDelta > 0 {
		cpu = cpuDelta / sysDelta * online * 100
	}
	mem := float64(v.MemoryStats.Usage)
	if c, ok := v.MemoryStats.Stats["total_inactive_file"]; ok && c < v.MemoryStats.Usage { // cgroup v1
		mem = float64(v.MemoryStats.Usage - c)
	} else if c := v.MemoryStats.Stats["inactive_file"]; c < v.MemoryStats.Usage { // cgroup v2
		mem = float64(v.MemoryStats.Usage - c)
	}
	limit := float64(v.MemoryStats.Limit)
	memPerc := 0.0
	if limit != 0 {
		memPerc = mem / limit * 100
	}
	var rx, tx float64
	for _, n := range v.Networks {
		rx += float64(n.RxBytes)
		tx += float64(n.TxBytes)
	}
	var read, write float64
	for _, e := range v.BlkioStats.IoServiceBytesRecursive {
		switch strings.ToLower(e.Op) {
		case "read":
			read += float64(e.Value)
		case "write":
			write += float64(e.Value)
		}
	}
	pct := func(f float64) string { return strconv.FormatFloat(f, 'f', 2, 64) + "%" }
	io := func(a, b float64) string {
		return units.HumanSizeWithPrecision(a, 3) + " / " + units.HumanSizeWithPrecision(b, 3)
	}
	return backend.ContainerStats{
		ID:       v.ID,
		Name:     strings.TrimPrefix(v.Name, "/"),
		CPUPerc:  pct(cpu),
		MemUsage: units.BytesSize(mem) + " / " + units.BytesSize(limit),
		MemPerc:  pct(memPerc),
		NetIO:    io(rx, tx),
		BlockIO:  io(read, write),
		PIDs:     strconv.FormatUint(v.PidsStats.Current, 10),
	}
}
