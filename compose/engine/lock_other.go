//go:build !unix

package engine

import "os"

// flockExclusive: without flock(2) the lock serialises the engines of this
// process only (the in-process holdings of lock.go); every open file takes it.
func flockExclusive(*os.File) (bool, error) { return true, nil }

// ownedByMe: the user's cache directory is private to the user already.
func ownedByMe(os.FileInfo) bool { return true }
