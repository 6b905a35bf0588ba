// Package core holds perry-container's public data model and its error
// model. It does no I/O; every other package depends on it.
package core

import (
	"errors"
	"fmt"
)

// Kind names a class of failure. Kinds and their codes are stable: they are
// part of the C ABI and of the TypeScript contract. New kinds may be added in
// future versions; hosts should treat an unknown kind by its code.
type Kind string

const (
	KindNotFound                    Kind = "NotFound"                    // 404: no such container, image, handle, service or file
	KindInvalidArgument             Kind = "InvalidArgument"             // 400: a caller's argument is malformed
	KindInvalidConfig               Kind = "InvalidConfig"               // 400: a compose file or spec is invalid
	KindInvalidConfiguration        Kind = "InvalidConfiguration"        // 400: an environment setting is invalid (PERRY_CONTAINER_*)
	KindVerificationFailed          Kind = "VerificationFailed"          // 403: an image signature did not verify
	KindPolicyViolation             Kind = "PolicyViolation"             // 403: a policy forbids the request
	KindDependencyCycle             Kind = "DependencyCycle"             // 422: depends_on forms a cycle
	KindWorkloadRefResolutionFailed Kind = "WorkloadRefResolutionFailed" // 422: a WorkloadRef could not be resolved
	KindServiceStartupFailed        Kind = "ServiceStartupFailed"        // 500: a service failed to start or become healthy
	KindInternal                    Kind = "Internal"                    // 500: a bug, a recovered panic, or an unavailable feature
	KindBackendError                Kind = "BackendError"                // 502 unless the runtime gave an exit code
	KindNoBackendFound              Kind = "NoBackendFound"              // 503: detection found no runtime
	KindBackendNotAvailable         Kind = "BackendNotAvailable"         // 503: the requested runtime is not usable
	KindTimeout                     Kind = "Timeout"                     // 504: a deadline passed
	KindCancelled                   Kind = "Cancelled"                   // 499: the operation was cancelled (shutdown)
)

// Code returns the HTTP-like code of a kind.
func (k Kind) Code() int {
	switch k {
	case KindNotFound:
		return 404
	case KindInvalidArgument, KindInvalidConfig, KindInvalidConfiguration:
		return 400
	case KindVerificationFailed, KindPolicyViolation:
		return 403
	case KindDependencyCycle, KindWorkloadRefResolutionFailed:
		return 422
	case KindBackendError:
		return 502
	case KindNoBackendFound, KindBackendNotAvailable:
		return 503
	case KindTimeout:
		return 504
	case KindCancelled:
		return 499
	default:
		return 500
	}
}

// Error is the one error type of perry-container. It crosses the C ABI as
// {"code":…, "kind":…, "message":…, …details}.
type Error struct {
	Kind    Kind
	Message string
	// CodeOverride replaces Kind.Code() when non-zero (a BackendError carries the
	// runtime CLI's exit code).
	CodeOverride int
	// Details are extra JSON members of the error envelope (e.g. "service",
	// "exitCode", "stderr", "probes"). Values must be JSON-encodable.
	Details map[string]any
	// Err is the wrapped cause, if any.
	Err error
}

func (e *Error) Error() string {
	if e.Message == "" && e.Err != nil {
		return e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Code is the error's HTTP-like code.
func (e *Error) Code() int {
	if e.CodeOverride != 0 {
		return e.CodeOverride
	}
	return e.Kind.Code()
}

// Is matches another *Error of the same kind, so errors.Is(err, core.ErrNotFound) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Message == "" && t.Kind == e.Kind
}

// With returns a copy of e with one detail added.
func (e *Error) With(key string, value any) *Error {
	c := *e
	c.Details = make(map[string]any, len(e.Details)+1)
	for k, v := range e.Details {
		c.Details[k] = v
	}
	c.Details[key] = value
	return &c
}

// Sentinels for errors.Is.
var (
	ErrNotFound             = &Error{Kind: KindNotFound}
	ErrInvalidArgument      = &Error{Kind: KindInvalidArgument}
	ErrInvalidConfig        = &Error{Kind: KindInvalidConfig}
	ErrInvalidConfiguration = &Error{Kind: KindInvalidConfiguration}
	ErrVerificationFailed   = &Error{Kind: KindVerificationFailed}
	ErrPolicyViolation      = &Error{Kind: KindPolicyViolation}
	ErrDependencyCycle      = &Error{Kind: KindDependencyCycle}
	ErrWorkloadRef          = &Error{Kind: KindWorkloadRefResolutionFailed}
	ErrServiceStartup       = &Error{Kind: KindServiceStartupFailed}
	ErrInternal             = &Error{Kind: KindInternal}
	ErrBackend              = &Error{Kind: KindBackendError}
	ErrNoBackendFound       = &Error{Kind: KindNoBackendFound}
	ErrBackendNotAvailable  = &Error{Kind: KindBackendNotAvailable}
	ErrTimeout              = &Error{Kind: KindTimeout}
	ErrCancelled            = &Error{Kind: KindCancelled}
)

// Errorf builds an *Error of the given kind. A %w verb in format wraps its
// argument as the cause.
func Errorf(kind Kind, format string, args ...any) *Error {
	err := fmt.Errorf(format, args...)
	return &Error{Kind: kind, Message: err.Error(), Err: errors.Unwrap(err)}
}

// NotFound reports a missing object, naming what and which.
func NotFound(what, id string) *Error {
	return (&Error{Kind: KindNotFound, Message: fmt.Sprintf("%s %q not found", what, id)}).With("id", id)
}

// InvalidArgument reports a bad argument, naming it.
func InvalidArgument(arg, format string, args ...any) *Error {
	e := Errorf(KindInvalidArgument, "invalid argument %s: "+format, append([]any{arg}, args...)...)
	return e.With("argument", arg)
}

// BackendFailure reports a failed runtime CLI call with its exit code and
// stderr. The code of the error is the CLI's exit code when it is non-zero.
func BackendFailure(backendName string, argv []string, exitCode int, stderr string) *Error {
	msg := fmt.Sprintf("%s exited with code %d", backendName, exitCode)
	if stderr != "" {
		msg += ": " + stderr
	}
	e := &Error{Kind: KindBackendError, Message: msg, CodeOverride: exitCode}
	return e.With("exitCode", exitCode).With("stderr", stderr).With("backend", backendName)
}

// KindOf returns the kind of err: its own if it is (or wraps) an *Error,
// Timeout/Cancelled for context errors, Internal otherwise, "" for nil.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	return AsError(err).Kind
}

// AsError converts any error into an *Error without losing its message.
func AsError(err error) *Error {
	if err == nil {
		return nil
	}
	if e, ok := err.(*Error); ok && e != nil {
		return e // the usual case, without errors.As's reflection
	}
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	switch {
	case errors.Is(err, errDeadline):
		return &Error{Kind: KindTimeout, Message: err.Error(), Err: err}
	case errors.Is(err, errCanceled):
		return &Error{Kind: KindCancelled, Message: err.Error(), Err: err}
	}
	return &Error{Kind: KindInternal, Message: err.Error(), Err: err}
}
