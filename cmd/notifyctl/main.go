// Command notifyctl is the suite's companion for working by hand: it checks
// the inputs before a run, builds the images, and removes what runs left.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: notifyctl <command>

  preflight   check the E2E_* variables and the Docker engine
  images      build the images that are missing and print their tags
  clean       remove every container and network any run left behind
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmds := map[string]func(context.Context, []string) error{
		"preflight": preflight,
		"images":    buildImages,
		"clean":     clean,
	}
	run, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "notifyctl: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	if err := run(ctx, os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "notifyctl %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
