package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/perryts/perry-container/backend"
)

// A reading as Docker 20.10 on cgroup v1 writes it (trimmed): two CPU
// samples a second apart, 12 MiB used of which 2 MiB inactive page cache.
const statsJSON = `{"id":"c1full","name":"/demo-web-1",
 "precpu_stats":{"cpu_usage":{"total_usage":1000000000},"system_cpu_usage":100000000000,"online_cpus":2},
 "cpu_stats":{"cpu_usage":{"total_usage":1050000000},"system_cpu_usage":102000000000,"online_cpus":2},
 "memory_stats":{"usage":12582912,"limit":1073741824,"stats":{"total_inactive_file":2097152}},
 "networks":{"eth0":{"rx_bytes":1500,"tx_bytes":250},"eth1":{"rx_bytes":500,"tx_bytes":0}},
 "blkio_stats":{"io_service_bytes_recursive":[{"op":"Read","value":4096000},{"op":"Write","value":0},{"op":"Total","value":4096000}]},
 "pids_stats":{"current":3}}`

// TestStatsAreDockerStatsColumns: the reading is computed and written as
// `docker stats` shows it.
func TestStatsAreDockerStatsColumns(t *testing.T) {
	var query string
	b := fakeEngine(t, func(w http.ResponseWriter, r *http.Request) bool {
		if !strings.HasSuffix(r.URL.Path, "/containers/c1full/stats") {
			return false
		}
		query = r.URL.RawQuery
		w.Write([]byte(statsJSON))
		return true
	})
	got, err := b.Stats(t.Context(), []string{"c1full"})
	if err != nil {
		t.Fatal(err)
	}
	want := backend.ContainerStats{ID: "c1full", Name: "demo-web-1", CPUPerc: "5.00%", MemUsage: "10MiB / 1GiB", MemPerc: "0.98%",
		NetIO: "2kB / 250B", BlockIO: "4.1MB / 0B", PIDs: "3"}
	if len(got) != 1 || got[0] != want {
		t.Fatalf("stats\n got %+v\nwant %+v", got, want)
	}
	// One sample with the previous one, so that the CPU share has an interval.
	if !strings.Contains(query, "stream=false") || strings.Contains(query, "one-shot") {
		t.Fatalf("query %q", query)
	}
}
