package images

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/fechatter/notify-e2e/internal/project"
)

// The tests in this file need a Docker engine. The ones that build the real images take
// minutes on a cold machine and run only with E2E_IMAGES_BUILD=1; the stack builds the
// same images anyway.

// readyTimeout bounds how long a started container may take to log its ready line; every
// image here is ready in about a second.
const readyTimeout = 15 * time.Second

func needEngine(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipped with -short: needs a Docker engine")
	}
	if _, err := engine(context.Background()); err != nil {
		t.Skip(err)
	}
}

func needBuilds(t *testing.T) {
	t.Helper()
	needEngine(t)
	if os.Getenv("E2E_IMAGES_BUILD") != "1" {
		t.Skip("set E2E_IMAGES_BUILD=1 to build and start the real images")
	}
}

// TestGoImageMechanics builds a throwaway program with the notify-server recipe, so the
// mechanics are checked whatever state ./cmd/notify-server is in.
func TestGoImageMechanics(t *testing.T) {
	needEngine(t)
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/probe\n\ngo 1.22\n")
	writeFile(t, filepath.Join(dir, "main.go"), `package main

import (
	"fmt"
	"os"
)

func main() {
	_, err := os.Stat("/app/config")
	fmt.Printf("probe ready config=%s dir-err=%v\n", os.Getenv("NOTIFY_CONFIG"), err)
}
`)
	r := goRecipe{name: NameNotifyServer, pkg: ".", binary: "notify-server", dir: dir}
	var log bytes.Buffer
	tag, err := goImage(context.Background(), &log, r)
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	t.Cleanup(func() { _ = exec.Command("docker", "image", "rm", "--force", tag).Run() })

	again, err := goImage(context.Background(), &log, r)
	if err != nil || again != tag {
		t.Fatalf("expected the same program to give the same tag %s, got %s (%v)", tag,
			again, err)
	}
	assertLabel(t, tag)
	out, err := exec.Command("docker", "run", "--rm", tag).CombinedOutput()
	if err != nil {
		t.Fatalf("docker run %s: %v\n%s", tag, err, out)
	}
	if want := "probe ready config=/app/config/notify.yml dir-err=<nil>"; !strings.Contains(
		string(out), want) {
		t.Fatalf("expected %q in the probe's output, got %q", want, out)
	}
}

// TestNotifyServerImage builds the real reference server; it starts only with the whole
// stack (config, NATS, PostgreSQL), which is the suite's job.
func TestNotifyServerImage(t *testing.T) {
	needBuilds(t)
	tag := build(t, NotifyServer)
	if got := inspect(t, tag, "{{range .Config.Env}}{{println .}}{{end}}"); !strings.Contains(
		got, "NOTIFY_CONFIG=/app/config/notify.yml") {
		t.Fatalf("expected NOTIFY_CONFIG in the image's environment, got %q", got)
	}
}

// TestAll builds whatever is missing concurrently; after the tests above it only finds
// the tags.
func TestAll(t *testing.T) {
	needBuilds(t)
	var log bytes.Buffer
	tags, err := All(context.Background(), &log)
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	t.Logf("tags %v; log:\n%s", tags, log.String())
	for _, name := range []string{NameNATS, NamePostgres, NameNginx, NameNotifyServer} {
		if !strings.HasPrefix(tags[name], repository+name+":") {
			t.Fatalf("expected a %s tag, got %q", name, tags[name])
		}
	}
}

func TestNATSImage(t *testing.T) {
	needBuilds(t)
	tag := build(t, NATS)
	id := start(t, tag, 4222, 8222)
	waitLog(t, id, "Server is ready")
	resp, err := http.Get("http://" + hostPort(t, id, 8222) + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("expected /healthz to answer 200, got %s", resp.Status)
	}
}

func TestPostgresImage(t *testing.T) {
	needBuilds(t)
	tag := build(t, Postgres)
	id := start(t, tag, 5432)
	waitLog(t, id, "database system is ready to accept connections")
	// Over TCP from another network namespace, as notify-server connects: this is what
	// listen_addresses and pg_hba.conf must allow.
	ip := inspect(t, id, "{{.NetworkSettings.IPAddress}}")
	out, err := exec.Command("docker", "run", "--rm", tag, "psql", "-h", ip, "-U",
		"postgres", "-tAc", "select 40 + 2").CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "42" {
		t.Fatalf("expected psql over TCP to print 42, got %q (%v)", out, err)
	}
}

// TestNginxImage checks the image with the configuration the stack deploys, which also
// proves nginx/nginx.conf valid for the nginx version the suite runs.
func TestNginxImage(t *testing.T) {
	needBuilds(t)
	tag := build(t, Nginx)
	root, err := project.Root()
	if err != nil {
		t.Fatal(err)
	}
	tlsDir := selfSignedTLS(t)
	out, err := exec.Command("docker", "run", "--rm",
		"--add-host", "notify-server:127.0.0.1", // nginx resolves upstreams at start
		"--volume", filepath.Join(root, "nginx", "nginx.conf")+":/etc/nginx/nginx.conf:ro",
		"--volume", tlsDir+":/etc/nginx/tls:ro",
		tag, "nginx", "-t").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "test is successful") {
		t.Fatalf("expected nginx -t to accept nginx/nginx.conf, got %v:\n%s", err, out)
	}
}

// selfSignedTLS writes a throwaway certificate and key as tls.crt and tls.key.
func selfSignedTLS(t *testing.T) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "nginx"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// writeFile leaves both world-readable, which is fine for a throwaway key and lets
	// nginx read it whatever user the engine maps the bind mount to.
	writeFile(t, filepath.Join(dir, "tls.crt"),
		string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})))
	writeFile(t, filepath.Join(dir, "tls.key"),
		string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})))
	return dir
}

func build(t *testing.T, image func(context.Context, io.Writer) (string, error)) string {
	t.Helper()
	var log bytes.Buffer
	startAt := time.Now()
	tag, err := image(context.Background(), &log)
	if err != nil {
		t.Fatalf("%v\nlog:\n%s", err, log.String())
	}
	t.Logf("%s ready in %s", tag, since(startAt))
	assertLabel(t, tag)
	return tag
}

func assertLabel(t *testing.T, tag string) {
	t.Helper()
	got := inspect(t, tag, "{{index .Config.Labels \""+LabelKey+"\"}}")
	if got != LabelValue {
		t.Fatalf("expected label %s=%s on %s, got %q", LabelKey, LabelValue, tag, got)
	}
}

func start(t *testing.T, tag string, ports ...int) string {
	t.Helper()
	args := []string{"run", "--detach"}
	for _, p := range ports {
		args = append(args, "--publish", "127.0.0.1::"+strconv.Itoa(p))
	}
	out, err := exec.Command("docker", append(args, tag)...).CombinedOutput()
	if err != nil {
		t.Fatalf("docker run %s: %v\n%s", tag, err, out)
	}
	id := strings.TrimSpace(string(out))
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "--force", id).Run() })
	return id
}

func waitLog(t *testing.T, id, line string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	startAt := time.Now()
	cmd := exec.CommandContext(ctx, "docker", "logs", "--follow", id)
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { pw.CloseWithError(cmd.Wait()) }()
	var seen strings.Builder
	sc := bufio.NewScanner(pr)
	for sc.Scan() {
		seen.WriteString(sc.Text() + "\n")
		if strings.Contains(sc.Text(), line) {
			t.Logf("container logged %q %s after start", line, since(startAt))
			cancel()
			return
		}
	}
	t.Fatalf("waited %s for %q; the container logged:\n%s", readyTimeout, line, seen.String())
}

func hostPort(t *testing.T, id string, port int) string {
	t.Helper()
	out, err := exec.Command("docker", "port", id, strconv.Itoa(port)).Output()
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(out))[0]
}

func inspect(t *testing.T, ref, format string) string {
	t.Helper()
	out, err := exec.Command("docker", "inspect", "--format", format, ref).CombinedOutput()
	if err != nil {
		t.Fatalf("docker inspect %s: %v\n%s", ref, err, out)
	}
	return strings.TrimSpace(string(out))
}
