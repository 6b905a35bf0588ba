package api

import (
	"archive/tar"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/distribution/reference"
	"github.com/moby/moby/api/types/image"
	"github.com/moby/moby/api/types/jsonstream"
	"github.com/moby/moby/client"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	"github.com/perryts/perry-container/backend"
	"github.com/perryts/perry-container/backend/imageref"
	"github.com/perryts/perry-container/core"
)

// Build builds image from spec with the engine's classic builder (the /build
// endpoint, which Docker and the podman service both serve). A local context
// directory is streamed as a tar, honouring .dockerignore; a URL context
// (git or http) is fetched by the engine. The build's own error message is
// the returned error's message; the last lines of its output are the
// "output" detail.
func (b *Backend) Build(ctx context.Context, spec core.BuildSpec, img string) error {
	if err := core.ValidateBuild(spec, img); err != nil {
		return err
	}
	if _, err := reference.ParseNormalizedNamed(img); err != nil {
		return core.InvalidArgument("image", "%q: %v", img, err)
	}
	tags := []string{img}
	for i, t := range spec.Tags {
		if _, err := reference.ParseNormalizedNamed(t); err != nil {
			return core.InvalidArgument(fmt.Sprintf("build.tags[%d]", i), "%q: %v", t, err)
		}
		tags = append(tags, t)
	}
	opts := client.ImageBuildOptions{
		Tags:        tags,
		ExtraHosts:  slices.Clone(spec.ExtraHosts),
		ShmSize:     spec.ShmSize,
		Remove:      true,
		ForceRemove: true, // a failed build leaves no intermediate container behind
		NoCache:     spec.NoCache,
		PullParent:  spec.Pull,
		Target:      spec.Target,
		Labels:      cloneMap(spec.Labels),
		NetworkMode: spec.Network,
	}
	if len(spec.Args) > 0 {
		opts.BuildArgs = make(map[string]*string, len(spec.Args))
		for k, v := range spec.Args {
			opts.BuildArgs[k] = &v
		}
	}
	if spec.Platform != "" {
		p, err := parsePlatform(spec.Platform)
		if err != nil {
			return core.InvalidArgument("build.platform", "%q: %v", spec.Platform, err)
		}
		opts.Platforms = []ocispec.Platform{*p}
	}

	var body io.Reader
	if isRemoteContext(spec.Context) {
		if spec.DockerfileInline != "" {
			return core.InvalidArgument("build.dockerfile_inline", "needs a local build context, not %s", spec.Context)
		}
		opts.RemoteContext = spec.Context
		opts.Dockerfile = spec.Dockerfile
	} else {
		tarball, dockerfile, err := contextTar(spec.Context, spec.Dockerfile, spec.DockerfileInline)
		if err != nil {
			return err
		}
		defer tarball.Close()
		body, opts.Dockerfile = tarball, dockerfile
	}

	res, err := b.cli.ImageBuild(ctx, body, opts)
	if err != nil {
		return b.engineError(err, "", "")
	}
	defer res.Body.Close()
	return b.readStream(ctx, res.Body, "build of "+img)
}

// readStream consumes a JSON message stream (build or pull) and returns the
// first error message in it. It keeps the last lines of output for context.
func (b *Backend) readStream(ctx context.Context, r io.Reader, what string) error {
	const keep = 20
	var tail []string
	dec := json.NewDecoder(r)
	for {
		var m jsonstream.Message
		if err := dec.Decode(&m); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			if ctx.Err() != nil {
				return core.AsError(ctx.Err())
			}
			return (&core.Error{Kind: core.KindBackendError, Message: fmt.Sprintf("%s: reading the engine's progress stream: %v", what, err), Err: err}).With("backend", b.name)
		}
		if m.Error != nil {
			e := &core.Error{Kind: core.KindBackendError, Message: strings.TrimSpace(m.Error.Message)}
			e = e.With("backend", b.name).With("output", strings.Join(tail, ""))
			if m.Error.Code != 0 {
				// A build step's exit code (the classic builder's RUN),
				// which docker compose exits with.
				e = e.With(backend.DetailStepExitCode, m.Error.Code)
			}
			return e
		}
		if line := m.Stream; line != "" {
			tail = append(tail, line)
		} else if m.Status != "" {
			tail = append(tail, strings.TrimSpace(m.ID+" "+m.Status)+"\n")
		}
		if len(tail) > keep {
			tail = tail[len(tail)-keep:]
		}
	}
}

func isRemoteContext(c string) bool {
	for _, p := range []string{"http://", "https://", "git://", "git@", "github.com/"} {
		if strings.HasPrefix(c, p) {
			return true
		}
	}
	return false
}

// contextTar streams dir as a tar (written by a goroutine into a pipe, so a
// large context is never held in memory) and returns the Dockerfile's path
// inside it. A Dockerfile outside the context, or an inline one (its text),
// is added under a generated name, as the docker CLI adds one read from
// stdin.
func contextTar(dir, dockerfile, inline string) (io.ReadCloser, string, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, "", core.InvalidArgument("build.context", "%v", err)
	}
	if !st.IsDir() {
		return nil, "", core.InvalidArgument("build.context", "%s is not a directory", dir)
	}
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, "", core.InvalidArgument("build.context", "%v", err)
	}
	if dockerfile == "" {
		dockerfile = "Dockerfile"
	}
	dfPath := dockerfile
	if !filepath.IsAbs(dfPath) {
		dfPath = filepath.Join(absDir, dfPath)
	}
	var dfData []byte
	inTar := ""
	if inline != "" {
		dfData = []byte(inline) // sent as a file of its own, below
	} else {
		if dfData, err = os.ReadFile(dfPath); err != nil {
			return nil, "", core.InvalidArgument("build.dockerfile", "%v", err)
		}
		if rel, err := filepath.Rel(absDir, dfPath); err == nil && rel != ".." && !strings.HasPrefix(rel, "../") {
			inTar = filepath.ToSlash(rel)
		}
	}
	extra := ""
	if inTar == "" {
		var buf [8]byte
		_, _ = rand.Read(buf[:])
		extra = ".perry-dockerfile-" + hex.EncodeToString(buf[:])
		inTar = extra
	}
	ignore, err := readDockerignore(absDir)
	if err != nil {
		return nil, "", core.InvalidArgument("build.context", ".dockerignore: %v", err)
	}

	pr, pw := io.Pipe()
	go func() {
		tw := tar.NewWriter(pw)
		err := writeContext(tw, absDir, ignore, inTar)
		if err == nil && extra != "" {
			err = writeFile(tw, extra, dfData, 0o644)
		}
		if err == nil {
			err = tw.Close()
		}
		pw.CloseWithError(err)
	}()
	return pr, inTar, nil
}

func writeFile(tw *tar.Writer, name string, data []byte, mode int64) error {
	if err := tw.WriteHeader(&tar.Header{Name: name, Mode: mode, Size: int64(len(data)), Typeflag: tar.TypeReg, ModTime: time.Unix(0, 0)}); err != nil {
		return err
	}
	_, err := tw.Write(data)
	return err
}

// writeContext adds every file of dir not excluded by ignore. The Dockerfile
// (keep) and .dockerignore are always sent, as the docker CLI does, since
// the builder needs them.
func writeContext(tw *tar.Writer, dir string, ignore *ignoreMatcher, keep string) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil || rel == "." {
			return err
		}
		rel = filepath.ToSlash(rel)
		if rel != keep && rel != ".dockerignore" && ignore.excluded(rel) {
			if d.IsDir() && !ignore.hasExceptions() {
				return filepath.SkipDir
			}
			return nil
		}
		// Owners on the client machine mean nothing in the image.
		return writeTarEntry(tw, p, d, rel, true)
	})
}

// writeTarEntry adds the file, directory or link at p (walked as d) to tw
// under name (a directory's with a trailing "/"), a regular file with its
// content; anonymous drops the owners.
func writeTarEntry(tw *tar.Writer, p string, d fs.DirEntry, name string, anonymous bool) error {
	info, err := d.Info()
	if err != nil {
		return err
	}
	link := ""
	if info.Mode()&fs.ModeSymlink != 0 {
		if link, err = os.Readlink(p); err != nil {
			return err
		}
	}
	hdr, err := tar.FileInfoHeader(info, link)
	if err != nil {
		return err
	}
	hdr.Name = name
	if d.IsDir() {
		hdr.Name += "/"
	}
	if anonymous {
		hdr.Uid, hdr.Gid, hdr.Uname, hdr.Gname = 0, 0, "", ""
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	if !info.Mode().IsRegular() {
		return nil
	}
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(tw, f)
	return err
}

// ignoreMatcher is a minimal .dockerignore: one pattern per line, '#'
// comments, "!" exceptions, the last matching line wins, "*", "?" and
// "[…]" within a path element and "**" across elements. A pattern that
// matches a directory excludes everything under it.
type ignoreMatcher struct {
	rules []ignoreRule
}

type ignoreRule struct {
	re     *regexp.Regexp
	negate bool
}

func readDockerignore(dir string) (*ignoreMatcher, error) {
	data, err := os.ReadFile(filepath.Join(dir, ".dockerignore"))
	if errors.Is(err, fs.ErrNotExist) {
		return &ignoreMatcher{}, nil
	}
	if err != nil {
		return nil, err
	}
	m := &ignoreMatcher{}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := ignoreRule{}
		if strings.HasPrefix(line, "!") {
			r.negate, line = true, strings.TrimSpace(line[1:])
		}
		line = path.Clean(strings.TrimPrefix(filepath.ToSlash(line), "/"))
		re, err := patternRegexp(line)
		if err != nil {
			return nil, fmt.Errorf("pattern %q: %v", line, err)
		}
		r.re = re
		m.rules = append(m.rules, r)
	}
	return m, nil
}

// patternRegexp compiles a .dockerignore pattern; it matches the path or
// any of its parent directories' paths (hence the trailing "(/.*)?").
func patternRegexp(p string) (*regexp.Regexp, error) {
	var sb strings.Builder
	sb.WriteString("^")
	for i := 0; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '*' && i+1 < len(p) && p[i+1] == '*':
			i++
			if i+1 < len(p) && p[i+1] == '/' {
				i++
				sb.WriteString("(.*/)?")
			} else {
				sb.WriteString(".*")
			}
		case c == '*':
			sb.WriteString("[^/]*")
		case c == '?':
			sb.WriteString("[^/]")
		case c == '[':
			end := strings.IndexByte(p[i:], ']')
			if end < 0 {
				return nil, fmt.Errorf("unterminated [")
			}
			class := p[i+1 : i+end]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			sb.WriteString("[" + class + "]")
			i += end
		case c == '\\' && i+1 < len(p):
			i++
			sb.WriteString(regexp.QuoteMeta(string(p[i])))
		default:
			sb.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	sb.WriteString("(/.*)?$")
	return regexp.Compile(sb.String())
}

func (m *ignoreMatcher) excluded(rel string) bool {
	out := false
	for _, r := range m.rules {
		if r.re.MatchString(rel) {
			out = !r.negate
		}
	}
	return out
}

// hasExceptions reports whether a "!" rule could re-include something
// under an excluded directory, in which case the walk cannot skip it.
func (m *ignoreMatcher) hasExceptions() bool {
	for _, r := range m.rules {
		if r.negate {
			return true
		}
	}
	return false
}

// PullImage pulls ref and consumes the progress stream; an error reported
// in the stream (after the engine already answered 200) is returned too.
// The credentials `docker login` stored for the registry are sent (see
// registryAuth).
func (b *Backend) PullImage(ctx context.Context, ref string) error {
	named, err := reference.ParseNormalizedNamed(ref)
	if err != nil {
		return core.InvalidArgument("reference", "%q: %v", ref, err)
	}
	res, err := b.cli.ImagePull(ctx, ref, client.ImagePullOptions{RegistryAuth: registryAuth(named)})
	if err != nil {
		return b.engineError(err, "image", ref)
	}
	defer res.Close()
	if err := b.readStream(ctx, res, "pull of "+ref); err != nil {
		if e := core.AsError(err); e.Kind == core.KindBackendError && isNotFoundMessage(e.Message) {
			return core.NotFound("image", ref).With("engineMessage", e.Message).With("backend", b.name)
		}
		return err
	}
	return nil
}

func isNotFoundMessage(msg string) bool {
	m := strings.ToLower(msg)
	return strings.Contains(m, "manifest unknown") || strings.Contains(m, "not found")
}

// ListImages lists local images, one entry per tag as `docker images` does
// (an untagged image is its digest reference's repository, or <none>, and
// tag <none>).
func (b *Backend) ListImages(ctx context.Context) ([]core.ImageInfo, error) {
	res, err := b.cli.ImageList(ctx, client.ImageListOptions{})
	if err != nil {
		return nil, b.engineError(err, "", "")
	}
	out := []core.ImageInfo{}
	for _, s := range res.Items {
		base := core.ImageInfo{
			ID:      s.ID,
			Size:    s.Size,
			Created: time.Unix(s.Created, 0).UTC().Format(time.RFC3339),
			Digest:  imageref.FirstDigest(s.RepoDigests),
		}
		// podman's API lists an image pulled by digest only with that
		// digest reference among its tags; Docker's lists no tag.
		tags := slices.DeleteFunc(slices.Clone(s.RepoTags), func(t string) bool { return imageref.Digest(t) != "" })
		if len(tags) == 0 {
			base.Repository, base.Tag = imageref.Untagged(s.RepoDigests)
			b.fixImage(&base)
			out = append(out, base)
		}
		for _, t := range tags {
			info := base
			info.Repository, info.Tag = imageref.Split(t)
			b.fixImage(&info)
			out = append(out, info)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Repository != out[j].Repository {
			return out[i].Repository < out[j].Repository
		}
		return out[i].Tag < out[j].Tag
	})
	return out, nil
}

func (b *Backend) InspectImage(ctx context.Context, ref string) (core.ImageInfo, error) {
	if err := requireID("image", ref); err != nil {
		return core.ImageInfo{}, err
	}
	res, err := b.cli.ImageInspect(ctx, ref)
	if err != nil {
		return core.ImageInfo{}, b.engineError(err, "image", ref)
	}
	info := imageInfo(res.InspectResponse, ref)
	b.fixImage(&info)
	return info, nil
}

// imageInfo converts an inspect response; the tag reported is the one ref
// names when the image has several.
func imageInfo(r image.InspectResponse, ref string) core.ImageInfo {
	info := core.ImageInfo{ID: r.ID, Size: r.Size, Created: r.Created, Digest: imageref.FirstDigest(r.RepoDigests),
		Platform: core.FormatPlatform(r.Os, r.Architecture, r.Variant)}
	if tag := imageref.Pick(r.RepoTags, ref); tag != "" {
		info.Repository, info.Tag = imageref.Split(tag)
	} else {
		info.Repository, info.Tag = imageref.Untagged(r.RepoDigests)
	}
	return info
}

// RemoveImage untags ref and deletes the image when no tag is left; force
// also removes it from stopped containers' use, as `docker rmi -f` does.
func (b *Backend) RemoveImage(ctx context.Context, ref string, force bool) error {
	if err := requireID("image", ref); err != nil {
		return err
	}
	_, err := b.cli.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: force, PruneChildren: true})
	return b.engineError(err, "image", ref)
}
