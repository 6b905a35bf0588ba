package main

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"

	"github.com/perryts/perry-container/core"
)

// follow hands every line over in order, in bounded chunks, before it
// answers; a producer that never stops ends Cancelled once the call is.
func TestFollow(t *testing.T) {
	const n = 10000
	var got []LogLine
	chunks := 0
	send := func(js []byte) {
		var batch []LogLine
		if err := json.Unmarshal(js, &batch); err != nil {
			t.Fatalf("chunk is not a JSON array of lines: %v", err)
		}
		if len(batch) == 0 || len(batch) > chunkLines {
			t.Fatalf("chunk of %d lines", len(batch))
		}
		chunks++
		got = append(got, batch...)
	}
	res, err := follow(context.Background(), send, func(emit func(LogLine) error) error {
		for i := 0; i < n; i++ {
			if err := emit(LogLine{Stream: "stdout", Line: strconv.Itoa(i)}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil || res.(FollowResult).Lines != n || len(got) != n {
		t.Fatalf("follow: %v %+v, %d lines", err, res, len(got))
	}
	for i, l := range got {
		if l.Line != strconv.Itoa(i) {
			t.Fatalf("line %d is %q: out of order", i, l.Line)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	_, err = follow(ctx, func([]byte) {}, func(emit func(LogLine) error) error {
		for i := 0; ; i++ {
			if i == 3*streamBuffer {
				cancel()
			}
			if err := emit(LogLine{Stream: "stdout", Line: "x"}); err != nil {
				return err
			}
		}
	})
	if core.KindOf(err) != core.KindCancelled {
		t.Fatalf("cancelled follow: %v", err)
	}
}
