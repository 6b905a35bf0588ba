package main

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// samples are the measurements of one figure, in the unit of the figure.
type samples []float64

func (s samples) sorted() []float64 {
	c := append([]float64(nil), s...)
	sort.Float64s(c)
	return c
}

// median is the middle value (the mean of the two middle ones for an even
// count); NaN when empty.
func (s samples) median() float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	c := s.sorted()
	n := len(c)
	if n%2 == 1 {
		return c[n/2]
	}
	return (c[n/2-1] + c[n/2]) / 2
}

// quantile is the nearest-rank q-quantile (0 < q ≤ 1).
func (s samples) quantile(q float64) float64 {
	if len(s) == 0 {
		return math.NaN()
	}
	c := s.sorted()
	i := int(math.Ceil(q*float64(len(c)))) - 1
	if i < 0 {
		i = 0
	}
	return c[i]
}

func (s samples) min() float64 { return s.quantile(1e-9) }
func (s samples) max() float64 { return s.quantile(1) }

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// rotate returns xs rotated left by r: run r starts with a different
// variant, so no variant always runs first (cold caches) or last.
func rotate[T any](xs []T, r int) []T {
	if len(xs) == 0 {
		return nil
	}
	r %= len(xs)
	return append(append([]T(nil), xs[r:]...), xs[:r]...)
}

// fmtVal prints a figure with its unit, 3 significant-ish digits.
func fmtVal(v float64, unit string) string {
	if math.IsNaN(v) {
		return "n/a"
	}
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f %s", v, unit)
	case v >= 10:
		return fmt.Sprintf("%.1f %s", v, unit)
	default:
		return fmt.Sprintf("%.2f %s", v, unit)
	}
}
