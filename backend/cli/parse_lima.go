package cli

// limaInstance is one line of `limactl list --json` (NDJSON).
type limaInstance struct {
	Name        string   `json:"name"`
	Status      string   `json:"status"` // Running, Stopped, Broken, Installing, Uninitialized
	Errors      []string `json:"errors"`
	LimaVersion string   `json:"limaVersion"`
}

func parseLimaList(data []byte) ([]limaInstance, error) {
	return decodeObjects[limaInstance](data)
}
