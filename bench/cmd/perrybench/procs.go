package main

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// tool is one way of running compose commands, timed as a process.
type tool struct {
	key, label string
	// argv returns the command line for cmd (up | down | ps | logs |
	// config) on file/project, or nil when the tool cannot run cmd.
	argv func(cmd, file, project string, parallel int) []string
	env  func(parallel int) []string
	// ours: the process writes an oursReport to the path after -report.
	ours bool
	// broken lists the commands its probe found not working, with why.
	broken map[string]string
}

func (t *tool) can(cmd string) bool { _, bad := t.broken[cmd]; return !bad }

type env struct {
	root    string // repository root
	self    string // this binary
	peer    string // build/peers/docker-compose
	pc      string // build/perry-compose
	work    string // build/bench
	runs    int
	verbose bool
	full    bool // -full: every variant on the big stacks
}

func oursTool(e *env, strategy string) *tool {
	return &tool{key: "ours-" + strategy, label: "ours " + map[string]string{"api": "API", "cli": "CLI"}[strategy] + " (process)", ours: true,
		argv: func(cmd, file, project string, parallel int) []string {
			a := []string{e.self, "compose", "-strategy", strategy, "-f", file, "-p", project}
			if parallel > 0 {
				a = append(a, "-parallel", strconv.Itoa(parallel))
			}
			return append(a, cmd)
		}}
}

// composeArgs is docker compose's (v5 and perry-compose) command line.
func composeArgs(bin string, cmd, file, project string, parallel int, quiet bool) []string {
	a := []string{bin}
	if quiet {
		a = append(a, "--progress", "quiet")
	}
	a = append(a, "--ansi", "never", "-f", file, "-p", project)
	if parallel > 0 {
		a = append(a, "--parallel", strconv.Itoa(parallel))
	}
	switch cmd {
	case "up":
		return append(a, "up", "-d")
	case "logs":
		return append(a, "logs", "--no-color", "--tail", "100")
	}
	return append(a, cmd)
}

func peerTool(e *env) *tool {
	return &tool{key: "compose-v5", label: "docker compose " + peerVersion(e.peer),
		argv: func(cmd, file, project string, parallel int) []string {
			return composeArgs(e.peer, cmd, file, project, parallel, true)
		}}
}

func perryComposeTool(e *env) *tool {
	return &tool{key: "perry-compose", label: "perry-compose CLI",
		argv: func(cmd, file, project string, parallel int) []string {
			return composeArgs(e.pc, cmd, file, project, parallel, true)
		}}
}

func v1Tool() *tool {
	return &tool{key: "compose-v1", label: "docker-compose v1",
		argv: func(cmd, file, project string, parallel int) []string {
			a := []string{"docker-compose", "--ansi", "never", "-f", file, "-p", project}
			switch cmd {
			case "up":
				return append(a, "up", "-d")
			case "logs":
				return append(a, "logs", "--no-color", "--tail", "100")
			}
			return append(a, cmd)
		},
		env: func(parallel int) []string {
			if parallel > 0 {
				return []string{"COMPOSE_PARALLEL_LIMIT=" + strconv.Itoa(parallel)}
			}
			return nil
		}}
}

// peerVersion is the module version the peer was built from (its own
// `version` says "dev" when built from the proxy).
func peerVersion(bin string) string {
	if bi, err := buildinfo.ReadFile(bin); err == nil && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "v5"
}

// result of one timed process.
type procResult struct {
	wall time.Duration
	rep  *oursReport
	out  []byte
}

// run times one command of a tool as a process (wall clock from fork to
// exit). Output is captured, not printed.
func (e *env) run(ctx context.Context, t *tool, cmd, file, project string, parallel int) (procResult, error) {
	argv := t.argv(cmd, file, project, parallel)
	if argv == nil {
		return procResult{}, fmt.Errorf("%s cannot run %s", t.label, cmd)
	}
	var repPath string
	if t.ours {
		repPath = filepath.Join(e.work, "report-"+t.key+".json")
		_ = os.Remove(repPath)
		argv = append(argv[:len(argv)-1:len(argv)-1], "-report", repPath, argv[len(argv)-1])
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	c := exec.CommandContext(cctx, argv[0], argv[1:]...)
	c.Dir = e.work
	c.Env = os.Environ()
	if t.env != nil {
		c.Env = append(c.Env, t.env(parallel)...)
	}
	var stdout, stderr bytes.Buffer
	c.Stdout, c.Stderr = &stdout, &stderr
	start := time.Now()
	err := c.Run()
	wall := time.Since(start)
	res := procResult{wall: wall, out: stdout.Bytes()}
	if repPath != "" {
		if b, rErr := os.ReadFile(repPath); rErr == nil {
			var r oursReport
			if json.Unmarshal(b, &r) == nil {
				res.rep = &r
			}
		}
	}
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if len(msg) > 400 {
			msg = msg[len(msg)-400:]
		}
		return res, fmt.Errorf("%s %s: %v: %s", t.label, cmd, err, msg)
	}
	return res, nil
}
