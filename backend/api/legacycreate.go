package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"path"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/client"
)

// containerCreate sends the plan's create request: through the client, or
// by hand when the plan carries a MAC address for an engine before API
// 1.44 (see createPlan.legacyMAC).
func (b *Backend) containerCreate(ctx context.Context, plan *createPlan) (client.ContainerCreateResult, error) {
	if plan.legacyMAC == "" {
		return b.cli.ContainerCreate(ctx, plan.opts)
	}
	return b.legacyCreate(ctx, plan.opts, plan.legacyMAC)
}

// legacyCreateRequest is the create request of API versions before 1.44,
// whose Config (inline at the top of the body, as container.CreateRequest
// has it) still has MacAddress.
type legacyCreateRequest struct {
	*container.Config
	MacAddress       string                    `json:",omitempty"`
	HostConfig       *container.HostConfig     `json:",omitempty"`
	NetworkingConfig *network.NetworkingConfig `json:",omitempty"`
}

// legacyCreate is POST /containers/create with Config.MacAddress, over the
// client's own connection to the engine (its Dialer: unix socket, TCP or
// TLS alike). The client, which negotiated the version, adds nothing else
// a create needs; the engine normalizes capability names itself.
func (b *Backend) legacyCreate(ctx context.Context, opts client.ContainerCreateOptions, mac string) (client.ContainerCreateResult, error) {
	body, err := json.Marshal(legacyCreateRequest{
		Config:           opts.Config,
		MacAddress:       mac,
		HostConfig:       opts.HostConfig,
		NetworkingConfig: opts.NetworkingConfig,
	})
	if err != nil {
		return client.ContainerCreateResult{}, err
	}
	q := url.Values{}
	if opts.Name != "" {
		q.Set("name", opts.Name)
	}
	if p := opts.Platform; p != nil && p.OS != "" {
		q.Set("platform", path.Join(p.OS, p.Architecture, p.Variant))
	}
	base := ""
	if u, err := client.ParseHostURL(b.host); err == nil {
		base = u.Path // a DOCKER_HOST may carry a path prefix
	}
	u := url.URL{Scheme: "http", Host: "docker", Path: path.Join("/", base, "v"+b.cli.ClientVersion(), "containers", "create"), RawQuery: q.Encode()}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return client.ContainerCreateResult{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	dial := b.cli.Dialer()
	hc := &http.Client{Transport: &http.Transport{
		DialContext:       func(ctx context.Context, _, _ string) (net.Conn, error) { return dial(ctx) },
		DisableKeepAlives: true, // one request: nothing is left open
	}}
	resp, err := hc.Do(req)
	if err != nil {
		return client.ContainerCreateResult{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return client.ContainerCreateResult{}, err
	}
	if resp.StatusCode >= http.StatusBadRequest {
		return client.ContainerCreateResult{}, legacyError(resp.StatusCode, data)
	}
	var out container.CreateResponse
	if err := json.Unmarshal(data, &out); err != nil {
		return client.ContainerCreateResult{}, fmt.Errorf("reading the engine's create response: %w", err)
	}
	return client.ContainerCreateResult{ID: out.ID, Warnings: out.Warnings}, nil
}

// engineHTTPError is an engine's error answer as the client reports one:
// its message, and the errdefs class of its status (so cerrdefs.IsConflict
// and the like, which engineError relies on, hold for it).
type engineHTTPError struct {
	msg   string
	class error
}

func (e *engineHTTPError) Error() string        { return "Error response from daemon: " + e.msg }
func (e *engineHTTPError) Is(target error) bool { return errors.Is(e.class, target) }

func legacyError(status int, body []byte) error {
	var r struct{ Message string }
	msg := string(bytes.TrimSpace(body))
	if json.Unmarshal(body, &r) == nil && r.Message != "" {
		msg = r.Message
	}
	if msg == "" {
		msg = http.StatusText(status)
	}
	var class error = cerrdefs.ErrUnknown
	switch {
	case status == http.StatusNotFound:
		class = cerrdefs.ErrNotFound
	case status == http.StatusConflict:
		class = cerrdefs.ErrConflict
	case status == http.StatusUnauthorized:
		class = cerrdefs.ErrUnauthenticated
	case status == http.StatusForbidden:
		class = cerrdefs.ErrPermissionDenied
	case status >= http.StatusBadRequest && status < http.StatusInternalServerError:
		class = cerrdefs.ErrInvalidArgument
	case status == http.StatusNotImplemented:
		class = cerrdefs.ErrNotImplemented
	case status == http.StatusServiceUnavailable:
		class = cerrdefs.ErrUnavailable
	case status >= http.StatusInternalServerError:
		class = cerrdefs.ErrInternal
	}
	return &engineHTTPError{msg: msg, class: class}
}
