package stack

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"text/template"
	"time"
)

// notifyConfig renders fixtures/notify.yml.tmpl for this run's key and
// heartbeat interval.
func notifyConfig(root string, publicKeyPEM []byte, heartbeat time.Duration) ([]byte, error) {
	path := filepath.Join(root, "fixtures", "notify.yml.tmpl")
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	t, err := template.New("notify.yml").Funcs(template.FuncMap{
		"indent": func(n int, s string) string {
			pad := strings.Repeat(" ", n)
			return pad + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pad)
		},
	}).Parse(string(raw))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var out bytes.Buffer
	err = t.Execute(&out, map[string]any{
		"PublicKeyPEM": string(publicKeyPEM),
		"HeartbeatMS":  heartbeat.Milliseconds(),
	})
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return out.Bytes(), nil
}
