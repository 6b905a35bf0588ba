package api

import (
	"context"
	"fmt"
	"sort"

	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/volume"
	"github.com/moby/moby/client"
	"github.com/moby/moby/client/pkg/versions"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/core"
)

// CreateNetwork creates a network. Engines before API 1.44 allow two
// networks of one name unless asked not to, and the client no longer can ask;
// so an existing network of that name is looked for first (a race with a
// concurrent creator remains possible on those engines).
func (b *Backend) CreateNetwork(ctx context.Context, name string, cfg core.NetworkConfig) error {
	if err := core.ValidateNetwork(name, cfg); err != nil {
		return err
	}
	version, err := b.apiVersion(ctx)
	if err != nil {
		return err
	}
	opts, err := b.networkCreateOptions(cfg, version)
	if err != nil {
		return err
	}
	existing, err := b.cli.NetworkList(ctx, client.NetworkListOptions{Filters: client.Filters{}.Add("name", name)})
	if err != nil {
		return b.engineError(err, "", "")
	}
	for _, n := range existing.Items {
		if n.Name == name { // the name filter matches substrings
			return (&core.Error{Kind: core.KindBackendError, Message: fmt.Sprintf("network with name %s already exists", name)}).With("conflict", name).With("backend", b.name)
		}
	}
	_, err = b.cli.NetworkCreate(ctx, name, opts)
	for try := 0; try < backend.CreateRetries && backend.InterfacesChanged(err); try++ {
		_, err = b.cli.NetworkCreate(ctx, name, opts)
	}
	return b.engineError(err, "network", name)
}

// networkCreateOptions is the create request for cfg, which ValidateNetwork
// has checked, to an engine of API version apiVersion ("" when unknown).
func (b *Backend) networkCreateOptions(cfg core.NetworkConfig, apiVersion string) (client.NetworkCreateOptions, error) {
	opts := client.NetworkCreateOptions{
		Driver:     cfg.Driver,
		Internal:   cfg.Internal,
		Attachable: cfg.Attachable,
		Options:    cloneMap(cfg.Options),
		Labels:     cloneMap(cfg.Labels),
	}
	if cfg.EnableIPv6 {
		t := true
		opts.EnableIPv6 = &t
	}
	if send, err := b.takesEnableIPv4(cfg, apiVersion); err != nil {
		return opts, err
	} else if send {
		v := *cfg.EnableIPv4
		opts.EnableIPv4 = &v
	}
	ipam := cfg.IPAM
	if ipam == nil || (ipam.DefaultDriver() && len(ipam.Options) == 0 && len(ipam.Config) == 0) {
		return opts, nil
	}
	if err := b.podmanIPAM(ipam); err != nil {
		return opts, err
	}
	opts.IPAM = &network.IPAM{Driver: ipam.Driver, Options: cloneMap(ipam.Options)}
	if opts.IPAM.Driver == "" {
		opts.IPAM.Driver = "default"
	}
	for i, pool := range ipam.Config {
		c, err := pool.Parse(fmt.Sprintf("network.ipam.config[%d].", i))
		if err != nil {
			return opts, err
		}
		opts.IPAM.Config = append(opts.IPAM.Config, network.IPAMConfig{Subnet: c.Subnet, Gateway: c.Gateway, IPRange: c.IPRange, AuxAddress: c.AuxAddresses})
	}
	return opts, nil
}

// takesEnableIPv4 reports whether the create request carries enable_ipv4,
// and refuses an IPv6-only network (enable_ipv4: false) where the network
// would be created with IPv4 without a word: engines before API 1.48
// ignore the field (docker compose sends it all the same), and podman has
// no switch for it. true, the default, is sent only where it is read.
func (b *Backend) takesEnableIPv4(cfg core.NetworkConfig, apiVersion string) (bool, error) {
	if cfg.EnableIPv4 == nil {
		return false, nil
	}
	refuse := func(why string, args ...any) error {
		return core.Errorf(core.KindInvalidArgument, "field network.enable_ipv4 (false) "+why, args...).
			With("field", "network.enable_ipv4").With("backend", b.name)
	}
	switch {
	case b.podman():
		if cfg.IPv4Disabled() {
			return false, refuse("is not supported by %s: its network create has no IPv4 switch", b.name)
		}
		return false, nil
	case apiVersion != "" && versions.LessThan(apiVersion, "1.48"):
		if cfg.IPv4Disabled() {
			return false, refuse("needs Engine API 1.48 (Docker 28) or later; this engine's API version %s would create the network with IPv4", apiVersion)
		}
		return false, nil
	}
	return true, nil
}

// podmanIPAM refuses what podman's Docker-compatible API would drop without
// a word: it applies each pool's subnet, gateway and ip_range, and ignores
// the IPAM driver, its options and aux addresses.
func (b *Backend) podmanIPAM(ipam *core.IPAM) error {
	if !b.podman() {
		return nil
	}
	refuse := func(field string) error { return b.podmanRefuses("network."+field, "", "") }
	if !ipam.DefaultDriver() {
		return refuse("ipam.driver")
	}
	if len(ipam.Options) > 0 {
		return refuse("ipam.options")
	}
	for i, pool := range ipam.Config {
		if len(pool.AuxAddresses) > 0 {
			return refuse(fmt.Sprintf("ipam.config[%d].aux_addresses", i))
		}
	}
	return nil
}

func (b *Backend) InspectNetwork(ctx context.Context, name string) (core.NetworkInfo, error) {
	if err := requireID("network", name); err != nil {
		return core.NetworkInfo{}, err
	}
	res, err := b.cli.NetworkInspect(ctx, name, client.NetworkInspectOptions{})
	if err != nil {
		return core.NetworkInfo{}, b.engineError(err, "network", name)
	}
	return networkInfo(res.Network.Network), nil
}

func networkInfo(n network.Network) core.NetworkInfo {
	return core.NetworkInfo{ID: n.ID, Name: n.Name, Driver: n.Driver, Labels: cloneMap(n.Labels)}
}

func (b *Backend) ListNetworks(ctx context.Context, labels map[string]string) ([]core.NetworkInfo, error) {
	res, err := b.cli.NetworkList(ctx, client.NetworkListOptions{Filters: labelFilters(labels)})
	if err != nil {
		return nil, b.engineError(err, "", "")
	}
	out := make([]core.NetworkInfo, 0, len(res.Items))
	for _, n := range res.Items {
		out = append(out, networkInfo(n.Network))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (b *Backend) RemoveNetwork(ctx context.Context, name string) error {
	if err := requireID("network", name); err != nil {
		return err
	}
	_, err := b.cli.NetworkRemove(ctx, name, client.NetworkRemoveOptions{})
	return b.engineError(err, "network", name)
}

// CreateVolume creates a volume; like the engine, creating one that exists
// is not an error.
func (b *Backend) CreateVolume(ctx context.Context, name string, cfg core.VolumeConfig) error {
	if err := core.ValidateVolume(name, cfg); err != nil {
		return err
	}
	_, err := b.cli.VolumeCreate(ctx, client.VolumeCreateOptions{
		Name:       name,
		Driver:     cfg.Driver,
		DriverOpts: cloneMap(cfg.Options),
		Labels:     cloneMap(cfg.Labels),
	})
	return b.engineError(err, "volume", name)
}

func (b *Backend) InspectVolume(ctx context.Context, name string) (core.VolumeInfo, error) {
	if err := requireID("volume", name); err != nil {
		return core.VolumeInfo{}, err
	}
	res, err := b.cli.VolumeInspect(ctx, name, client.VolumeInspectOptions{})
	if err != nil {
		return core.VolumeInfo{}, b.engineError(err, "volume", name)
	}
	return volumeInfo(res.Volume), nil
}

func volumeInfo(v volume.Volume) core.VolumeInfo {
	return core.VolumeInfo{Name: v.Name, Driver: v.Driver, Mountpoint: v.Mountpoint, Labels: cloneMap(v.Labels)}
}

func (b *Backend) ListVolumes(ctx context.Context, labels map[string]string) ([]core.VolumeInfo, error) {
	res, err := b.cli.VolumeList(ctx, client.VolumeListOptions{Filters: labelFilters(labels)})
	if err != nil {
		return nil, b.engineError(err, "", "")
	}
	out := make([]core.VolumeInfo, 0, len(res.Items))
	for _, v := range res.Items {
		out = append(out, volumeInfo(v))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

func (b *Backend) RemoveVolume(ctx context.Context, name string, force bool) error {
	if err := requireID("volume", name); err != nil {
		return err
	}
	_, err := b.cli.VolumeRemove(ctx, name, client.VolumeRemoveOptions{Force: force})
	return b.engineError(err, "volume", name)
}
