package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/fechatter/notify-e2e/internal/certs"
	"github.com/fechatter/notify-e2e/internal/settings"
	"github.com/fechatter/notify-e2e/internal/stack"
	"github.com/fechatter/notify-e2e/internal/token"
)

// composePorts are the host ports compose/docker-compose.yml publishes on
// 127.0.0.1. Unlike the suite's, they are fixed so they can be typed by
// hand; set the variable when compose-env runs to move one off a port
// that is taken.
var composePorts = []struct {
	env  string
	port int
}{
	{"NATS_HOST_PORT", 4222},
	{"NATS_MONITOR_HOST_PORT", 8222},
	{"POSTGRES_HOST_PORT", 5432},
	{"NOTIFY_HOST_PORT", 6687},
	{"NGINX_HTTP_HOST_PORT", 8080},
	{"NGINX_HTTPS_HOST_PORT", 8443},
}

// envVar is one line of compose/.env.
type envVar struct{ name, value string }

// composeVars is what compose/docker-compose.yml substitutes: the image
// tags, which carry a recipe hash and so change with the code, the files
// it mounts, and the host ports.
func composeVars(imgs stack.Images, nginxConf, gen string, ports map[string]int) []envVar {
	vars := []envVar{
		// One project name wherever compose is run from, so `down` finds
		// what `up` started.
		{"COMPOSE_PROJECT_NAME", "notify-e2e"},
		{"NATS_IMAGE", imgs.NATS},
		{"POSTGRES_IMAGE", imgs.Postgres},
		{"NOTIFY_IMAGE", imgs.Notify},
		{"NGINX_IMAGE", imgs.Nginx},
		{"NOTIFY_CONFIG_FILE", filepath.Join(gen, "notify.yml")},
		{"SCHEMA_FILE", filepath.Join(gen, "schema.sql")},
		{"NGINX_CONF", nginxConf},
		{"TLS_CERT", filepath.Join(gen, "tls.crt")},
		{"TLS_KEY", filepath.Join(gen, "tls.key")},
	}
	for _, p := range composePorts {
		vars = append(vars, envVar{p.env, strconv.Itoa(ports[p.env])})
	}
	return vars
}

// composeEnv prepares compose/ for `docker-compose up`: the images, a key
// pair, TLS material, notify.yml and the schema, all made as the suite
// makes them, plus a state file, so that the other commands work against
// the compose stack with NOTIFYCTL_STATE set.
func composeEnv(ctx context.Context, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("compose-env takes no arguments; the E2E_* variables " +
			"and *_HOST_PORT variables choose images, nginx.conf and ports")
	}
	root, set, err := settings.Load()
	if err != nil {
		return err
	}
	ports := map[string]int{}
	for _, p := range composePorts {
		ports[p.env] = p.port
		if v := os.Getenv(p.env); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 65535 {
				return fmt.Errorf("%s=%q: not a port number", p.env, v)
			}
			ports[p.env] = n
		}
	}
	imgs, err := stack.ResolveImages(ctx, set, os.Stderr)
	if err != nil {
		return err
	}

	dir := filepath.Join(root, "compose")
	gen := filepath.Join(dir, "generated")
	if err := os.MkdirAll(gen, 0o755); err != nil {
		return err
	}
	signer, err := token.NewSigner()
	if err != nil {
		return err
	}
	tls, err := certs.New([]string{"localhost", "nginx"}, []net.IP{net.IPv4(127, 0, 0, 1)})
	if err != nil {
		return err
	}
	conf, err := stack.NotifyConfig(root, signer.PublicPEM())
	if err != nil {
		return err
	}
	files := map[string][]byte{
		"notify.yml": conf, "schema.sql": []byte(stack.Schema + "\n"),
		"tls.crt": tls.ServerCert, "tls.key": tls.ServerKey, "ca.crt": tls.CACert,
	}
	for name, b := range files {
		// Readable by all: the containers do not run as the caller.
		if err := os.WriteFile(filepath.Join(gen, name), b, 0o644); err != nil {
			return err
		}
	}

	var env strings.Builder
	env.WriteString("# Written by `bin/notifyctl compose-env`: run it again rather than " +
		"editing,\n# the image tags change with the code.\n")
	for _, v := range composeVars(imgs, set.NginxConf, gen, ports) {
		fmt.Fprintf(&env, "%s=%s\n", v.name, v.value)
	}
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte(env.String()), 0o644); err != nil {
		return err
	}

	local := func(scheme, env string) string {
		return fmt.Sprintf("%s://127.0.0.1:%d", scheme, ports[env])
	}
	st := upState{
		Endpoints: stack.Endpoints{
			Run:         "compose",
			NATS:        local("nats", "NATS_HOST_PORT"),
			NATSMonitor: local("http", "NATS_MONITOR_HOST_PORT"),
			Postgres: fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable",
				ports["POSTGRES_HOST_PORT"]),
			Notify:     []string{local("http", "NOTIFY_HOST_PORT")},
			NginxHTTP:  local("http", "NGINX_HTTP_HOST_PORT"),
			NginxHTTPS: local("https", "NGINX_HTTPS_HOST_PORT"),
			CACert:     tls.CACert,
			SigningKey: signer.PrivatePEM(),
		},
		Dir: gen, Started: time.Now(), Compose: true,
	}
	statePath := filepath.Join(gen, "stack.json")
	if err := saveState(statePath, st); err != nil {
		return err
	}
	rel, _ := filepath.Rel(root, statePath)
	fmt.Printf(`wrote compose/.env and compose/generated/ (a new key pair: restart a running
compose stack to use it). Next:
  docker-compose -f compose/docker-compose.yml up -d
  export %s=%s   # the other notifyctl commands then use this stack
  bin/notifyctl seed --chat 1 --users 1,2,3
  bin/notifyctl tail --user 1
  docker-compose -f compose/docker-compose.yml down
`, stateEnv, rel)
	return nil
}
