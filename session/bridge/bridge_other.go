//go:build !windows

package bridge

// isAddrInUseOS has nothing to add where syscall.EADDRINUSE is the real errno.
func isAddrInUseOS(error) bool { return false }
