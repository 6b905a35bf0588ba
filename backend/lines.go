package backend

import (
	"bytes"
	"strings"
	"sync"
)

// LineWriter is an io.Writer that hands each complete line of what is
// written, without its newline, to fn; Close hands over a last line that
// had no newline. It is safe for concurrent writers (a container's two
// streams, several services'), and fn is never called concurrently.
type LineWriter struct {
	mu  sync.Mutex
	buf bytes.Buffer
	fn  func(line string)
}

// NewLineWriter returns a LineWriter calling fn.
func NewLineWriter(fn func(line string)) *LineWriter { return &LineWriter{fn: fn} }

func (w *LineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf.Write(p)
	for {
		i := bytes.IndexByte(w.buf.Bytes(), '\n')
		if i < 0 {
			return len(p), nil
		}
		w.fn(strings.TrimSuffix(string(w.buf.Next(i+1)), "\n"))
	}
}

// Close hands over what is left, a line without its newline.
func (w *LineWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.buf.Len() > 0 {
		w.fn(w.buf.String())
		w.buf.Reset()
	}
	return nil
}
