package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/fechatter/notify-e2e/internal/images"
	"github.com/fechatter/notify-e2e/internal/settings"
	"github.com/fechatter/notify-e2e/internal/stack"
)

// preflight fails fast, before anything is built or started, on a bad
// variable or a missing Docker engine.
func preflight(ctx context.Context, _ []string) error {
	_, set, err := settings.Load()
	if err != nil {
		return err
	}
	if err := stack.CheckDocker(ctx); err != nil {
		return err
	}
	if set.NotifyFault != "" {
		fmt.Fprintf(os.Stderr, "NOTIFY_FAULT=%s: the reference notify-server runs with this "+
			"fault switched on, so specs are expected to fail\n", set.NotifyFault)
	}
	return stack.CheckImages(ctx, set)
}

func buildImages(ctx context.Context, _ []string) error {
	tags, err := images.All(ctx, os.Stderr)
	if err != nil {
		return err
	}
	for name, tag := range tags {
		fmt.Printf("%-14s %s\n", name, tag)
	}
	return nil
}

// clean removes what runs left behind: every container and network whose
// process is gone, kept stacks included, and their run directories. A run
// still in progress, from this checkout or another, is left alone.
func clean(ctx context.Context, _ []string) error {
	_, set, err := settings.Load()
	if err != nil {
		return err
	}
	n, err := stack.Reap(ctx, true)
	fmt.Printf("removed %d containers and networks\n", n)
	if err != nil {
		return err
	}
	var dirs int
	for _, pattern := range []string{"stack-*", "up"} {
		d, err := stack.RemoveDirs(ctx, filepath.Join(set.Artifacts, pattern))
		dirs += d
		if err != nil {
			return err
		}
	}
	fmt.Printf("removed %d run directories\n", dirs)
	return nil
}
