package main

import (
	"context"
	"fmt"
	"os"

	"github.com/fechatter/notify-e2e/internal/images"
	"github.com/fechatter/notify-e2e/internal/settings"
	"github.com/fechatter/notify-e2e/internal/stack"
)

// preflight fails fast, before anything is built or started, on a bad
// variable or a missing Docker engine.
func preflight(ctx context.Context, _ []string) error {
	if _, _, err := settings.Load(); err != nil {
		return err
	}
	return stack.CheckDocker(ctx)
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

func clean(ctx context.Context, _ []string) error {
	n, err := stack.Reap(ctx, true)
	fmt.Printf("removed %d containers and networks\n", n)
	return err
}
