// Command gatewalk walks smallcase Gateway integrations from a terminal: guest
// login, connected-user orders and holdings imports, on an embedded sandbox
// or a real Gateway.
//
// main only wires the process: the signal context, the real dependencies
// and the exit code; the command line lives in gatewalk/ui/cli.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"gatewalk/ui/cli"
	_ "gatewalk/ui/tui/termprobe" // before Bubble Tea's init: no terminal query outside the TUI
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// The first Ctrl-C cancels ctx, so a command can say what it left
	// unfinished; after that, signals have their default effect again and
	// a second Ctrl-C ends the process whatever it is doing.
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Main(ctx, cli.NewFactory(version), os.Args[1:])
	stop()
	os.Exit(code)
}
