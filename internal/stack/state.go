package stack

import (
	"encoding/json"
	"os"
	"path/filepath"
	"time"
)

// State is what a stack left running (make up, E2E_KEEP, docker compose)
// records for later commands such as notifyctl: how to reach it and the key
// to mint tokens with. It holds a private key, so its file is readable by
// its owner only.
type State struct {
	Endpoints
	// Dir holds the run's generated files (notify.yml, TLS material).
	Dir     string    `json:"dir"`
	Started time.Time `json:"started"`
	// Compose says docker compose runs this stack: `make down` leaves it
	// alone and says how to stop it instead.
	Compose bool `json:"compose,omitempty"`
}

// CAFile is the CA the https endpoint's certificate is signed by, for curl
// --cacert and a browser's trust store.
func (s State) CAFile() string { return filepath.Join(s.Dir, "ca.crt") }

// Save writes the state to path, for the owner's eyes only.
func (s State) Save(path string) error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}
