package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// production is notify.yml as the production deployment writes it, with keys the
// reference server does not honour.
const production = `
server:
  port: 6687
  db_url: postgres://postgres@postgres:5432/postgres?sslmode=disable
  request_timeout_ms: 30000
auth:
  pk: |
    -----BEGIN PUBLIC KEY-----
    MCowBQYDK2VwAyEAfake
    -----END PUBLIC KEY-----
messaging:
  enabled: true
  provider: nats
  nats:
    url: nats://nats:4222
    subscription_subjects:
      - "fechatter.realtime.>"
    jetstream:
      enabled: true
notification:
  delivery:
    web:
      enabled: true
      heartbeat_interval_ms: 15000
      sse_enabled: true
`

func noEnv(string) string { return "" }

func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func write(t *testing.T, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.yml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadReadsHonouredKeysAndIgnoresTheRest(t *testing.T) {
	cfg, err := Load(write(t, production), noEnv)
	if err != nil {
		t.Fatalf("expected the production file to load, got %v", err)
	}
	if cfg.Port != 6687 {
		t.Errorf("expected port 6687, got %d", cfg.Port)
	}
	if cfg.DatabaseURL != "postgres://postgres@postgres:5432/postgres?sslmode=disable" {
		t.Errorf("unexpected db_url %q", cfg.DatabaseURL)
	}
	if !strings.HasPrefix(string(cfg.PublicKeyPEM), "-----BEGIN PUBLIC KEY-----\n") {
		t.Errorf("expected the PEM block, got %q", cfg.PublicKeyPEM)
	}
	if cfg.NATSURL != "nats://nats:4222" {
		t.Errorf("expected nats://nats:4222, got %q", cfg.NATSURL)
	}
	if len(cfg.Subjects) != 1 || cfg.Subjects[0] != "fechatter.realtime.>" {
		t.Errorf("expected [fechatter.realtime.>], got %v", cfg.Subjects)
	}
	if cfg.HeartbeatEach != 15*time.Second {
		t.Errorf("expected 15s heartbeat, got %s", cfg.HeartbeatEach)
	}
}

func TestLoadAppliesEnvironmentOverrides(t *testing.T) {
	cfg, err := Load(write(t, production), env(map[string]string{
		"NATS_URL":     "nats://127.0.0.1:14222",
		"DATABASE_URL": "postgres://other/db",
		"NOTIFY_PORT":  "7000",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.NATSURL != "nats://127.0.0.1:14222" || cfg.DatabaseURL != "postgres://other/db" ||
		cfg.Port != 7000 {
		t.Errorf("expected every override applied, got %+v", cfg)
	}
}

func TestLoadDefaultsPortAndHeartbeat(t *testing.T) {
	short := `
server: {db_url: "postgres://x/y"}
auth: {pk: "-----BEGIN PUBLIC KEY-----"}
messaging: {nats: {url: "nats://n:4222", subscription_subjects: ["a.>"]}}
`
	cfg, err := Load(write(t, short), noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != DefaultPort || cfg.HeartbeatEach != DefaultHeartbeatEach {
		t.Errorf("expected defaults %d and %s, got %d and %s",
			DefaultPort, DefaultHeartbeatEach, cfg.Port, cfg.HeartbeatEach)
	}
}

func TestLoadRefusesBadConfiguration(t *testing.T) {
	cases := map[string]struct {
		body string
		env  map[string]string
		want string
	}{
		"missing file": {want: "NOTIFY_CONFIG"},
		"not yaml":     {body: "server: [", want: "parse yaml"},
		"bad port env": {
			body: production,
			env:  map[string]string{"NOTIFY_PORT": "x"},
			want: "NOTIFY_PORT",
		},
		"no subjects": {
			body: strings.Replace(production, `- "fechatter.realtime.>"`, "", 1),
			want: "subscription_subjects",
		},
		"no key": {body: "server: {db_url: x}\n", want: "auth.pk"},
		"port too large": {
			body: strings.Replace(production, "port: 6687", "port: 70000", 1),
			want: "server.port",
		},
		"negative heartbeat": {
			body: strings.Replace(production, "15000", "-1", 1),
			want: "heartbeat",
		},
		"no database url": {
			body: strings.Replace(production, "db_url:", "old_db_url:", 1),
			want: "db_url",
		},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "absent.yml")
			if tc.body != "" {
				path = write(t, tc.body)
			}
			_, err := Load(path, env(tc.env))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("expected an error mentioning %q, got %v", tc.want, err)
			}
		})
	}
}
