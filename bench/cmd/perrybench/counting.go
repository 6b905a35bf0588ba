package main

import (
	"context"
	"io"
	"sort"
	"sync"
	"time"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// counting wraps a backend and records every call: how many per method,
// their total and their time line (start, end), so the profile can say how
// many engine calls an operation costs and where the critical path waits.
type counting struct {
	backend.Backend
	t0    time.Time
	mu    sync.Mutex
	calls []call
}

type call struct {
	Method     string        `json:"method"`
	Arg        string        `json:"arg,omitempty"`
	ID         string        `json:"id,omitempty"` // Create: the new container's id
	Start, End time.Duration `json:"-"`
	StartMs    float64       `json:"startMs"`
	EndMs      float64       `json:"endMs"`
}

func newCounting(b backend.Backend) *counting { return &counting{Backend: b, t0: time.Now()} }

func (c *counting) rec(method, arg string) func() {
	s := time.Since(c.t0)
	return func() {
		e := time.Since(c.t0)
		c.mu.Lock()
		c.calls = append(c.calls, call{Method: method, Arg: arg, Start: s, End: e, StartMs: ms(s), EndMs: ms(e)})
		c.mu.Unlock()
	}
}

// counts returns calls per method and the time spent in them, sorted by count.
type methodCount struct {
	Method string
	N      int
	Total  time.Duration
}

func (c *counting) counts() []methodCount {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := map[string]*methodCount{}
	for _, x := range c.calls {
		mc := m[x.Method]
		if mc == nil {
			mc = &methodCount{Method: x.Method}
			m[x.Method] = mc
		}
		mc.N++
		mc.Total += x.End - x.Start
	}
	var out []methodCount
	for _, v := range m {
		out = append(out, *v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Method < out[j].Method
	})
	return out
}

func (c *counting) reset() {
	c.mu.Lock()
	c.calls, c.t0 = nil, time.Now()
	c.mu.Unlock()
}

func (c *counting) snapshot() []call {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]call(nil), c.calls...)
}

func (c *counting) Supports(ctx context.Context, feature string) bool {
	defer c.rec("Supports", feature)()
	return backend.Supports(ctx, c.Backend, feature)
}
func (c *counting) Check(ctx context.Context) error {
	defer c.rec("Check", "")()
	return c.Backend.Check(ctx)
}
func (c *counting) Info(ctx context.Context) (core.BackendInfo, error) {
	defer c.rec("Info", "")()
	return c.Backend.Info(ctx)
}
func (c *counting) Run(ctx context.Context, s *core.ContainerSpec) (core.ContainerHandle, error) {
	defer c.rec("Run", s.Name)()
	return c.Backend.Run(ctx, s)
}
func (c *counting) Create(ctx context.Context, s *core.ContainerSpec) (core.ContainerHandle, error) {
	st := time.Since(c.t0)
	h, err := c.Backend.Create(ctx, s)
	e := time.Since(c.t0)
	c.mu.Lock()
	c.calls = append(c.calls, call{Method: "Create", Arg: s.Name, ID: h.ID, Start: st, End: e, StartMs: ms(st), EndMs: ms(e)})
	c.mu.Unlock()
	return h, err
}
func (c *counting) Start(ctx context.Context, id string) error {
	defer c.rec("Start", id)()
	return c.Backend.Start(ctx, id)
}
func (c *counting) Stop(ctx context.Context, id string, t *int) error {
	defer c.rec("Stop", id)()
	return c.Backend.Stop(ctx, id, t)
}
func (c *counting) Remove(ctx context.Context, id string, force bool) error {
	defer c.rec("Remove", id)()
	return c.Backend.Remove(ctx, id, force)
}
func (c *counting) Rename(ctx context.Context, id, n string) error {
	defer c.rec("Rename", id)()
	return c.Backend.Rename(ctx, id, n)
}
func (c *counting) List(ctx context.Context, o backend.ListOptions) ([]core.ContainerInfo, error) {
	defer c.rec("List", "")()
	return c.Backend.List(ctx, o)
}
func (c *counting) Inspect(ctx context.Context, id string) (core.ContainerInfo, error) {
	defer c.rec("Inspect", id)()
	return c.Backend.Inspect(ctx, id)
}
func (c *counting) Logs(ctx context.Context, id string, o backend.LogsOptions) (core.ContainerLogs, error) {
	defer c.rec("Logs", id)()
	return c.Backend.Logs(ctx, id, o)
}
func (c *counting) FollowLogs(ctx context.Context, id string, o backend.LogsOptions, out, errw io.Writer) error {
	defer c.rec("FollowLogs", id)()
	return c.Backend.FollowLogs(ctx, id, o, out, errw)
}
func (c *counting) Exec(ctx context.Context, id string, o backend.ExecOptions) (core.ContainerLogs, error) {
	defer c.rec("Exec", id)()
	return c.Backend.Exec(ctx, id, o)
}
func (c *counting) Wait(ctx context.Context, id string) (int, error) {
	defer c.rec("Wait", id)()
	return c.Backend.Wait(ctx, id)
}
func (c *counting) ListImages(ctx context.Context) ([]core.ImageInfo, error) {
	defer c.rec("ListImages", "")()
	return c.Backend.ListImages(ctx)
}
func (c *counting) InspectImage(ctx context.Context, ref string) (core.ImageInfo, error) {
	defer c.rec("InspectImage", ref)()
	return c.Backend.InspectImage(ctx, ref)
}
func (c *counting) CreateNetwork(ctx context.Context, n string, cfg core.NetworkConfig) error {
	defer c.rec("CreateNetwork", n)()
	return c.Backend.CreateNetwork(ctx, n, cfg)
}
func (c *counting) InspectNetwork(ctx context.Context, n string) (core.NetworkInfo, error) {
	defer c.rec("InspectNetwork", n)()
	return c.Backend.InspectNetwork(ctx, n)
}
func (c *counting) ListNetworks(ctx context.Context, l map[string]string) ([]core.NetworkInfo, error) {
	defer c.rec("ListNetworks", "")()
	return c.Backend.ListNetworks(ctx, l)
}
func (c *counting) RemoveNetwork(ctx context.Context, n string) error {
	defer c.rec("RemoveNetwork", n)()
	return c.Backend.RemoveNetwork(ctx, n)
}
func (c *counting) CreateVolume(ctx context.Context, n string, cfg core.VolumeConfig) error {
	defer c.rec("CreateVolume", n)()
	return c.Backend.CreateVolume(ctx, n, cfg)
}
func (c *counting) InspectVolume(ctx context.Context, n string) (core.VolumeInfo, error) {
	defer c.rec("InspectVolume", n)()
	return c.Backend.InspectVolume(ctx, n)
}
func (c *counting) ListVolumes(ctx context.Context, l map[string]string) ([]core.VolumeInfo, error) {
	defer c.rec("ListVolumes", "")()
	return c.Backend.ListVolumes(ctx, l)
}
func (c *counting) RemoveVolume(ctx context.Context, n string, force bool) error {
	defer c.rec("RemoveVolume", n)()
	return c.Backend.RemoveVolume(ctx, n, force)
}
