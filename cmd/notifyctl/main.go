// Command notifyctl is the suite's companion for working by hand: it checks
// the inputs before a run, builds the images, removes what runs left, and
// reproduces a delivery by hand: it starts the stack and leaves it up,
// publishes RealtimeEvents, changes membership, mints tokens and tails
// streams.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

const usage = `usage: notifyctl <command>

  preflight   check the E2E_* variables and the Docker engine
  images      build the images that are missing and print their tags
  clean       remove every container and network any run left behind

  up          start the stack, seed two chats, leave it running (make up)
  down        remove the stack up started (make down)
  publish     publish a RealtimeEvent: publish MessageRead --chat 2 --reader 5
  seed        change membership: seed --chat 2 --users 1,2,3 [--leave]
  token       print a token: token --user 5 [--workspace 1]
  tail        follow a stream: tail --user 5 [--direct|--tls] [--expect A,B]
  compose-env write compose/.env and the files compose/docker-compose.yml mounts

Run "notifyctl <command> -h" for a command's flags. The commands after up
talk to the stack up started (its state file), or the one $NOTIFYCTL_STATE
names.
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	cmds := map[string]func(context.Context, []string) error{
		"preflight":   preflight,
		"images":      buildImages,
		"clean":       clean,
		"up":          up,
		"down":        down,
		"publish":     publish,
		"seed":        seed,
		"token":       mint,
		"tail":        tail,
		"compose-env": composeEnv,
	}
	run, ok := cmds[os.Args[1]]
	if !ok {
		fmt.Fprintf(os.Stderr, "notifyctl: unknown command %q\n%s", os.Args[1], usage)
		os.Exit(2)
	}
	err := run(ctx, os.Args[2:])
	if errors.Is(err, flag.ErrHelp) {
		return // the flag package has printed the usage
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "notifyctl %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
