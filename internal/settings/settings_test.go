package settings

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func lookupFrom(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v, ok := env[k]
		return v, ok
	}
}

func TestDefaults(t *testing.T) {
	root := t.TempDir()
	s, err := parse(root, lookupFrom(nil))
	if err != nil {
		t.Fatalf("expected no error, got %v", err)
	}
	if s.NotifyReplicas != 1 || s.Keep || s.NotifyImage != "" {
		t.Fatalf("unexpected defaults: %+v", s)
	}
	if want := filepath.Join(root, "nginx", "nginx.conf"); s.NginxConf != want {
		t.Fatalf("expected nginx conf %s, got %s", want, s.NginxConf)
	}
}

func TestGoodValues(t *testing.T) {
	root := t.TempDir()
	conf := filepath.Join(root, "prod.conf")
	if err := os.WriteFile(conf, []byte("events {}"), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := parse(root, lookupFrom(map[string]string{
		"E2E_NOTIFY_IMAGE":    "registry.local:5000/fechatter/notify-server:1.4",
		"E2E_NOTIFY_REPLICAS": "2",
		"E2E_NGINX_CONF":      conf,
		"E2E_KEEP":            "true",
	}))
	if err != nil {
		t.Fatalf("expected no error, got %v", err)
	}
	if s.NotifyReplicas != 2 || !s.Keep || s.NginxConf != conf {
		t.Fatalf("values not taken: %+v", s)
	}
}

func TestBadValuesAreAllReportedWithAFix(t *testing.T) {
	root := t.TempDir()
	_, err := parse(root, lookupFrom(map[string]string{
		"E2E_NOTIFY_IMAGE":    "Not An Image",
		"E2E_NOTIFY_REPLICAS": "zero",
		"E2E_NGINX_CONF":      "/does/not/exist.conf",
		"E2E_KEEP":            "maybe",
	}))
	if err == nil {
		t.Fatal("expected an error for bad values, got none")
	}
	for _, want := range []string{
		"E2E_NOTIFY_IMAGE", "E2E_NOTIFY_REPLICAS", "E2E_NGINX_CONF", "E2E_KEEP",
		"set a number from 1 to 8", "use 1/true",
	} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("expected the message to mention %q, got:\n%v", want, err)
		}
	}
}

func TestReplicasOutOfRange(t *testing.T) {
	for _, v := range []string{"0", "-1", "9"} {
		_, err := parse(t.TempDir(), lookupFrom(map[string]string{"E2E_NOTIFY_REPLICAS": v}))
		if err == nil || !strings.Contains(err.Error(), "out of range") {
			t.Errorf("E2E_NOTIFY_REPLICAS=%s: expected out of range, got %v", v, err)
		}
	}
}

func TestFaultAndHeartbeat(t *testing.T) {
	s, err := parse(t.TempDir(), lookupFrom(map[string]string{
		"NOTIFY_FAULT": "generic-names", "E2E_HEARTBEAT": "30s",
	}))
	if err != nil {
		t.Fatalf("expected no error, got %v", err)
	}
	if s.NotifyFault != "generic-names" || s.Heartbeat.String() != "30s" {
		t.Fatalf("values not taken: %+v", s)
	}

	_, err = parse(t.TempDir(), lookupFrom(map[string]string{
		"NOTIFY_FAULT": "no-such-fault", "E2E_HEARTBEAT": "soon",
	}))
	for _, want := range []string{"NOTIFY_FAULT", "no-such-fault", "E2E_HEARTBEAT", "15s"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("expected the message to mention %q, got %v", want, err)
		}
	}

	_, err = parse(t.TempDir(), lookupFrom(map[string]string{
		"NOTIFY_FAULT": "generic-names", "E2E_NOTIFY_IMAGE": "fechatter/notify:1",
	}))
	if err == nil || !strings.Contains(err.Error(), "reference notify-server") {
		t.Errorf("expected a fault switch with another image to be refused, got %v", err)
	}
}
