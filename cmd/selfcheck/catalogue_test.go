package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/fechatter/notify-e2e/internal/notify/fault"
)

const (
	cataloguePath = "../../faults/catalogue.yaml"
	nginxPath     = "../../nginx/nginx.conf"
)

func TestCatalogueNamesAKnownHop(t *testing.T) {
	hops := []string{"publish", "NATS", "notify-server", "nginx"}
	for _, f := range catalogue(t) {
		if !slices.Contains(hops, f.Hop) {
			t.Errorf("%q: expected a hop among %v, got %q", f.Name, hops, f.Hop)
		}
	}
}

func TestCatalogueNamesAreDistinct(t *testing.T) {
	// Each fault's nginx.conf and artifacts folder are named after its slug.
	seen := map[string]string{}
	for _, f := range catalogue(t) {
		s := slug(f.Name)
		if other, ok := seen[s]; ok {
			t.Errorf("%q: expected a slug of its own, got %q as %q has", f.Name, s, other)
		}
		seen[s] = f.Name
	}
}

func TestCatalogueNotifyFaultsAreKnownToTheServer(t *testing.T) {
	for _, f := range catalogue(t) {
		if f.NotifyFault == "" {
			continue
		}
		set, err := fault.Parse(f.NotifyFault)
		if err != nil {
			t.Errorf("%q: expected a notify_fault the reference server knows, got %v",
				f.Name, err)
			continue
		}
		if len(set.Names()) == 0 {
			t.Errorf("%q: expected notify_fault %q to switch a fault on, got none",
				f.Name, f.NotifyFault)
		}
	}
}

func TestCatalogueNginxEditsApplyToTheRealConfig(t *testing.T) {
	good, err := os.ReadFile(nginxPath)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, f := range catalogue(t) {
		path, err := f.nginxConf(good, dir)
		if err != nil {
			t.Errorf("%q: expected its edits to apply, got %v", f.Name, err)
			continue
		}
		if len(f.Nginx) == 0 {
			if path != "" {
				t.Errorf("%q: expected no nginx.conf for a fault without edits, got %s",
					f.Name, path)
			}
			continue
		}
		if filepath.Dir(path) != dir {
			t.Errorf("%q: expected the config in %s, got %s", f.Name, dir, path)
		}
		bad, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%q: expected the config written, got %v", f.Name, err)
			continue
		}
		if bytes.Equal(bad, good) {
			t.Errorf("%q: expected the config to differ from the good one, got the same",
				f.Name)
		}
		for _, e := range f.Nginx {
			if !strings.Contains(string(bad), e.With) {
				t.Errorf("%q: expected the config to contain %q, got it missing",
					f.Name, e.With)
			}
		}
	}
}

func TestLoadCatalogueRefuses(t *testing.T) {
	tests := []struct {
		name, yaml, err string
	}{
		{
			name: "an entry that breaks nothing",
			yaml: "- name: harmless\n  specs: MessageRead\n  hop: nginx\n",
			err:  `"harmless" breaks nothing`,
		},
		{
			name: "an entry without a hop",
			yaml: "- name: nowhere\n  notify_fault: broadcast\n  specs: MessageRead\n",
			err:  "entry 1 needs name, specs and hop",
		},
		{
			name: "a field the catalogue does not have",
			yaml: "- name: typo\n  notify_faults: broadcast\n  specs: x\n  hop: nginx\n",
			err:  "notify_faults",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "catalogue.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o644); err != nil {
				t.Fatal(err)
			}
			fs, err := loadCatalogue(path)
			if err == nil {
				t.Fatalf("expected an error mentioning %q, got %d faults", tt.err, len(fs))
			}
			if !strings.Contains(err.Error(), tt.err) {
				t.Fatalf("expected an error mentioning %q, got %v", tt.err, err)
			}
		})
	}
}

func TestNginxConfRefusesAnEditThatDoesNotApplyOnce(t *testing.T) {
	good := []byte("location /events {\n    proxy_buffering off;\n    proxy_cache off;\n}\n")
	tests := []struct {
		name, replace string
	}{
		{"matches nothing", "proxy_read_timeout 1h;"},
		{"matches twice", " off;"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			f := Fault{Name: "stale", Nginx: []Edit{{Replace: tt.replace, With: "x"}}}
			path, err := f.nginxConf(good, dir)
			if err == nil || !strings.Contains(err.Error(), "exactly once") {
				t.Fatalf("expected an error saying the edit must occur exactly once, got %v",
					err)
			}
			if path != "" {
				t.Errorf("expected no path, got %s", path)
			}
			if left, _ := os.ReadDir(dir); len(left) != 0 {
				t.Errorf("expected no file written, got %d", len(left))
			}
		})
	}
}

// catalogue loads the real catalogue and fails the test if it cannot.
func catalogue(t *testing.T) []Fault {
	t.Helper()
	fs, err := loadCatalogue(cataloguePath)
	if err != nil {
		t.Fatalf("expected the catalogue to load, got %v", err)
	}
	if len(fs) == 0 {
		t.Fatalf("expected faults in %s, got none", cataloguePath)
	}
	return fs
}
