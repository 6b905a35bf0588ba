package main

import (
	"fmt"
	"math"
	"strings"
)

// row is one figure of the table: a measure (group) and a variant of it.
type row struct {
	scen    string // the scenario that measured it (up10, health, …)
	group   string // the measure; ratios are taken within a group
	variant string
	key     string // tool key: raw, compose-v5, ours-api-lib, ...
	unit    string
	s       samples
	err     string
	goal    string // the goal on this row and its verdict
}

type table struct {
	rows []*row
	cur  string // the scenario being measured: new rows belong to it
}

func (t *table) add(group, key, variant, unit string) *row {
	for _, r := range t.rows {
		if r.group == group && r.key == key {
			return r
		}
	}
	r := &row{scen: t.cur, group: group, key: key, variant: variant, unit: unit}
	t.rows = append(t.rows, r)
	return r
}

func (t *table) get(group, key string) *row {
	for _, r := range t.rows {
		if r.group == group && r.key == key {
			return r
		}
	}
	return nil
}

// ratio is median(group,key) ÷ median(group,base); NaN when either is missing.
func (t *table) ratio(group, key, base string) float64 {
	a, b := t.get(group, key), t.get(group, base)
	if a == nil || b == nil || len(a.s) == 0 || len(b.s) == 0 {
		return math.NaN()
	}
	return a.s.median() / b.s.median()
}

func fmtRatio(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return ""
	}
	return fmt.Sprintf("%.2f", v)
}

// peerKey is the peer a group's rows are compared with: docker stack
// deploy on the swarm rows, docker compose v5 everywhere else.
func (t *table) peerKey(group string) string {
	if t.get(group, "stack-deploy") != nil {
		return "stack-deploy"
	}
	return "compose-v5"
}

// markdown renders the one table: median, spread, ratios, goal.
func (t *table) markdown() string {
	var b strings.Builder
	b.WriteString("| measure | variant | median | min – max (n) | ÷ raw | ÷ docker compose | goal |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---|\n")
	last := ""
	for _, r := range t.rows {
		g := r.group
		if g == last {
			g = ""
		}
		last = r.group
		med, spread := "n/a", ""
		if len(r.s) > 0 {
			med = fmtVal(r.s.median(), r.unit)
			spread = fmt.Sprintf("%s – %s (%d)", fmtVal(r.s.min(), ""), fmtVal(r.s.max(), ""), len(r.s))
			spread = strings.ReplaceAll(spread, "  ", " ")
		}
		if r.err != "" {
			if len(r.s) == 0 {
				med = "failed"
			}
			spread += " ⚠"
		}
		rr, rp := "", ""
		// A warm handle or the engine's own events measure something else
		// than the processes next to them: no ratio.
		incomparable := strings.HasSuffix(r.key, "-warm") || strings.HasSuffix(r.key, "-engine")
		if r.key != "raw" && !incomparable {
			rr = fmtRatio(t.ratio(r.group, r.key, "raw"))
		}
		if peer := t.peerKey(r.group); r.key != peer && !incomparable {
			rp = fmtRatio(t.ratio(r.group, r.key, peer))
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s | %s |\n", g, r.variant, med, strings.TrimSpace(spread), rr, rp, r.goal)
	}
	return b.String()
}

// failures lists the rows' errors (the ⚠ marks).
func (t *table) failures() []string {
	var out []string
	for _, r := range t.rows {
		if r.err != "" {
			out = append(out, fmt.Sprintf("%s / %s: %s", r.group, r.variant, r.err))
		}
	}
	return out
}

// savedRow is a row in build/bench/table.json, from which a partial run
// (-only) takes the figures of the scenarios it does not measure again.
type savedRow struct {
	Scen, Group, Key, Variant, Unit, Err string
	Samples                              []float64
}

type savedNote struct{ Scen, Text string }

type savedTable struct {
	Date  string
	Runs  int
	Rows  []savedRow
	Notes []savedNote
}

func (t *table) saved() []savedRow {
	var out []savedRow
	for _, r := range t.rows {
		out = append(out, savedRow{Scen: r.scen, Group: r.group, Key: r.key, Variant: r.variant, Unit: r.unit, Err: r.err, Samples: r.s})
	}
	return out
}

func (t *table) restore(rows []savedRow, keep func(scen string) bool) {
	for _, r := range rows {
		if keep(r.Scen) {
			t.rows = append(t.rows, &row{scen: r.Scen, group: r.Group, key: r.Key, variant: r.Variant, unit: r.Unit, err: r.Err, s: r.Samples})
		}
	}
}
