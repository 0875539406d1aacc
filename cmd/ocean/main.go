// Command ocean runs an Ocean shop. See `ocean help`.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/oceanshop/ocean/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
