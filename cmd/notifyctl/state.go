package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/fechatter/notify-e2e/internal/project"
	"github.com/fechatter/notify-e2e/internal/settings"
	"github.com/fechatter/notify-e2e/internal/stack"
)

// stateEnv names another state file, for a stack `make up` did not start
// (the docker compose one: `notifyctl compose-env` writes a state file too).
const stateEnv = "NOTIFYCTL_STATE"

// upState is what `make up` leaves for the later commands.
type upState = stack.State

// upDir is where `make up` keeps its files: under the artifacts folder, so
// `E2E_ARTIFACTS` moves it along with everything else.
func upDir(root string) (string, error) {
	set, err := settings.FromEnv(root)
	if err != nil {
		return "", err
	}
	return filepath.Join(set.Artifacts, "up"), nil
}

func statePath(root string) (string, error) {
	if p := os.Getenv(stateEnv); p != "" {
		return p, nil
	}
	dir, err := upDir(root)
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, "stack.json"), nil
}

// errNoStack is wrapped by loadState when there is nothing to talk to.
var errNoStack = errors.New("no stack is up")

// loadState reads the state file; every command except up needs one.
func loadState() (upState, error) {
	root, err := project.Root()
	if err != nil {
		return upState{}, err
	}
	path, err := statePath(root)
	if err != nil {
		return upState{}, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return upState{}, fmt.Errorf("%w (no %s): start one with `make up`", errNoStack, path)
	}
	if err != nil {
		return upState{}, err
	}
	var s upState
	if err := json.Unmarshal(b, &s); err != nil {
		return upState{}, fmt.Errorf("%s is not a notifyctl state file: %w; "+
			"remove it or run `make down`", path, err)
	}
	return s, nil
}

func saveState(path string, s upState) error { return s.Save(path) }
