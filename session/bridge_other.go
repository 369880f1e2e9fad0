//go:build !windows

package session

// isAddrInUseOS has nothing to add where syscall.EADDRINUSE is the real errno.
func isAddrInUseOS(error) bool { return false }
