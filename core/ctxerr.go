package core

import "context"

// The context package's errors, named here so AsError can classify them
// without core importing anything that does I/O.
var (
	errDeadline = context.DeadlineExceeded
	errCanceled = context.Canceled
)
