package progress

import (
	"encoding/json"
	"io"
	"sync"

	"github.com/perryts/perry-container/compose/engine"
)

// JSONEvent is one line of --progress json: docker compose's NDJSON event
// shape (pkg/progress/json.go), empty members left out as it does.
type JSONEvent struct {
	ID       string `json:"id,omitempty"`
	ParentID string `json:"parent_id,omitempty"`
	Status   string `json:"status,omitempty"`
	Text     string `json:"text,omitempty"`
	Details  string `json:"details,omitempty"`
	Current  int64  `json:"current,omitempty"`
	Total    int64  `json:"total,omitempty"`
	Percent  int    `json:"percent,omitempty"`
}

// ToJSON converts an engine event.
func ToJSON(ev engine.Event) JSONEvent {
	return JSONEvent{ID: ID(ev), Status: string(ev.Status), Text: ev.Text}
}

type jsonRenderer struct {
	mu sync.Mutex
	w  io.Writer
}

func (j *jsonRenderer) Event(ev engine.Event) {
	b, err := json.Marshal(ToJSON(ev))
	if err != nil {
		return
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.w.Write(append(b, '\n'))
}

func (j *jsonRenderer) Print(w io.Writer, text string) {
	j.mu.Lock()
	defer j.mu.Unlock()
	io.WriteString(w, text)
}

func (j *jsonRenderer) Close() {}
