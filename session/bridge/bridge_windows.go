//go:build windows

package bridge

import (
	"errors"
	"syscall"
)

// wsaeaddrinuse is Winsock's "address already in use".
const wsaeaddrinuse = syscall.Errno(10048)

func isAddrInUseOS(err error) bool { return errors.Is(err, wsaeaddrinuse) }
