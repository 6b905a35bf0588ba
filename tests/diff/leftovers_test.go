package diff

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
)

// A classic (non-BuildKit) build leaves the container of a failed RUN
// behind: not running, without any compose label, named at random. The
// peer builds that way on Docker 20.10, so a scenario whose build fails
// would leak it. buildLeftovers finds such containers of one run, and only
// those: created since the run's snapshot (not in it), not running, without
// a compose project label, on the image of one of the scenario's FROM lines
// or an untagged (intermediate) image, and running exactly one of the
// RUN instructions of the scenario's Dockerfiles.

// snapshotContainers returns the ids of every container on the engine.
func snapshotContainers(ctx context.Context) (map[string]bool, error) {
	list, err := engine.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return nil, err
	}
	ids := make(map[string]bool, len(list.Items))
	for _, c := range list.Items {
		ids[c.ID] = true
	}
	return ids, nil
}

// dockerfileInstructions reads the RUN commands (as the classic builder
// puts them in a container's Cmd) and FROM images of every Dockerfile among
// files (a file named Dockerfile, *.Dockerfile or Dockerfile.*).
func dockerfileInstructions(files ...map[string]string) (runs [][]string, froms []string) {
	for _, fs := range files {
		for name, content := range fs {
			base := path.Base(name)
			if base != "Dockerfile" && !strings.HasPrefix(base, "Dockerfile.") && !strings.HasSuffix(base, ".Dockerfile") {
				continue
			}
			for _, ins := range instructions(content) {
				word, rest, _ := strings.Cut(ins, " ")
				rest = strings.TrimSpace(rest)
				switch strings.ToUpper(word) {
				case "RUN":
					var exec []string
					if strings.HasPrefix(rest, "[") && json.Unmarshal([]byte(rest), &exec) == nil {
						runs = append(runs, exec)
					} else {
						runs = append(runs, []string{"/bin/sh", "-c", rest})
					}
				case "FROM":
					fields := strings.Fields(rest)
					for len(fields) > 0 && strings.HasPrefix(fields[0], "--") {
						fields = fields[1:]
					}
					if len(fields) > 0 {
						froms = append(froms, fields[0])
					}
				}
			}
		}
	}
	return runs, froms
}

// instructions splits a Dockerfile into instructions: comments and blank
// lines dropped, continuation lines joined.
func instructions(content string) []string {
	var out []string
	cur := ""
	for _, line := range strings.Split(content, "\n") {
		t := strings.TrimSpace(line)
		if cur == "" && (t == "" || strings.HasPrefix(t, "#")) {
			continue
		}
		if strings.HasSuffix(t, "\\") {
			cur += strings.TrimSuffix(t, "\\") + " "
			continue
		}
		out = append(out, strings.TrimSpace(cur+t))
		cur = ""
	}
	if cur != "" {
		out = append(out, strings.TrimSpace(cur))
	}
	return out
}

// buildArgsPrefix is the "|N" the classic builder puts before a RUN's
// command when N build arguments are set; the N KEY=VALUE words follow.
var buildArgsPrefix = regexp.MustCompile(`^\|([0-9]+)$`)

// runCommand strips the build arguments from a build container's Cmd.
func runCommand(cmd []string) []string {
	if len(cmd) > 0 {
		if m := buildArgsPrefix.FindStringSubmatch(cmd[0]); m != nil {
			n := 0
			for _, c := range m[1] {
				n = n*10 + int(c-'0')
			}
			if 1+n <= len(cmd) {
				return cmd[1+n:]
			}
		}
	}
	return cmd
}

// buildLeftovers lists the ids of the containers a failed classic build of
// this run left (see above). before is the snapshot taken before the run.
func (r *run) buildLeftovers(ctx context.Context, before map[string]bool) []string {
	var files []map[string]string
	for _, fs := range r.files {
		m := map[string]string{}
		for k, v := range fs {
			m[k] = r.subst(v)
		}
		files = append(files, m)
	}
	runs, froms := dockerfileInstructions(files...)
	if len(runs) == 0 {
		return nil
	}
	bases := map[string]bool{}
	for _, f := range froms {
		if res, err := engine.ImageInspect(ctx, f); err == nil {
			bases[res.ID] = true
		}
	}
	list, err := engine.ContainerList(ctx, client.ContainerListOptions{All: true})
	if err != nil {
		return nil
	}
	var out []string
	for _, item := range list.Items {
		if before[item.ID] {
			continue
		}
		res, err := engine.ContainerInspect(ctx, item.ID, client.ContainerInspectOptions{})
		if err != nil || res.Container.Config == nil || res.Container.State == nil {
			continue
		}
		ci := res.Container
		if ci.State.Running || ci.State.Paused || ci.State.Restarting {
			continue
		}
		if _, ok := ci.Config.Labels[labelProject]; ok {
			continue
		}
		if !bases[ci.Image] && !untagged(ctx, ci.Image) {
			continue
		}
		cmd := runCommand(ci.Config.Cmd)
		if slices.ContainsFunc(runs, func(run []string) bool { return slices.Equal(run, cmd) }) {
			out = append(out, ci.ID)
		}
	}
	return out
}

// untagged reports whether image (an id) has no tag: an intermediate image
// of a build.
func untagged(ctx context.Context, id string) bool {
	res, err := engine.ImageInspect(ctx, id)
	return err == nil && len(res.RepoTags) == 0
}

// removeBuildLeftovers removes what buildLeftovers finds.
func (r *run) removeBuildLeftovers(ctx context.Context) {
	if r.before == nil {
		return
	}
	for _, id := range r.buildLeftovers(ctx, r.before) {
		_, _ = engine.ContainerRemove(ctx, id, client.ContainerRemoveOptions{RemoveVolumes: true})
	}
}

func TestDockerfileInstructions(t *testing.T) {
	runs, froms := dockerfileInstructions(map[string]string{
		"app/Dockerfile": "# c\nFROM --platform=linux/amd64 perry-test/busybox:latest AS b\n\nRUN echo a \\\n  b\nRUN [\"/x\", \"y\"]\n",
		"compose.yaml":   "RUN not a dockerfile",
	}, map[string]string{"Dockerfile.dev": "FROM b\nrun exit 9"})
	want := [][]string{{"/bin/sh", "-c", "echo a  b"}, {"/x", "y"}, {"/bin/sh", "-c", "exit 9"}}
	if !slices.EqualFunc(runs, want, slices.Equal) {
		t.Errorf("runs = %q, want %q", runs, want)
	}
	if !slices.Equal(froms, []string{"perry-test/busybox:latest", "b"}) {
		t.Errorf("froms = %q", froms)
	}
	if got := runCommand([]string{"|2", "A=1", "B=2", "/bin/sh", "-c", "exit 9"}); !slices.Equal(got, []string{"/bin/sh", "-c", "exit 9"}) {
		t.Errorf("runCommand = %q", got)
	}
}

// TestBuildLeftoversRemoved: the container a failed classic build leaves
// is removed; one that was there before the run, running the same
// command, stays.
func TestBuildLeftoversRemoved(t *testing.T) {
	setup(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dockerfile := "FROM perry-test/busybox:latest\nRUN exit 9\n"
	// A container that the run did not create, with the same command.
	out, err := exec.CommandContext(ctx, "docker", "create", "--label", "perry.test=1", "perry-test/busybox:latest", "/bin/sh", "-c", "exit 9").Output()
	if err != nil {
		t.Fatalf("docker create: %v", err)
	}
	decoy := strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", decoy).Run() })
	before, err := snapshotContainers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), []byte(dockerfile), 0o600); err != nil {
		t.Fatal(err)
	}
	build := exec.CommandContext(ctx, "docker", "build", "--label", "perry.test=1", dir)
	build.Env = append(os.Environ(), "DOCKER_BUILDKIT=0")
	if out, err := build.CombinedOutput(); err == nil {
		t.Fatalf("the build did not fail:\n%s", out)
	}
	r := &run{project: "diff-leftovers", before: before, files: []map[string]string{{"app/Dockerfile": dockerfile}}}
	left := r.buildLeftovers(ctx, before)
	t.Cleanup(func() {
		for _, id := range left {
			_ = exec.Command("docker", "rm", "-f", id).Run()
		}
	})
	if len(left) != 1 || left[0] == decoy {
		t.Fatalf("build leftovers = %q, want the failed RUN's container only (decoy %s)", left, decoy)
	}
	r.removeBuildLeftovers(ctx)
	if _, err := engine.ContainerInspect(ctx, left[0], client.ContainerInspectOptions{}); err == nil {
		t.Errorf("leftover %s was not removed", left[0])
	}
	if _, err := engine.ContainerInspect(ctx, decoy, client.ContainerInspectOptions{}); err != nil {
		t.Errorf("the container made before the run was removed: %v", err)
	}
}
