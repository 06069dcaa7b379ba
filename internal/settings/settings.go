// Package settings reads the suite's inputs from the environment and checks
// them before any container starts, so a typo costs seconds, not a stack build.
package settings

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/fechatter/notify-e2e/internal/notify/fault"
	"github.com/fechatter/notify-e2e/internal/project"
)

// Settings are the validated inputs of one run.
type Settings struct {
	// NotifyImage is the notify-server under test; empty means the
	// reference image, built on demand.
	NotifyImage    string
	NotifyReplicas int
	// NginxConf is an absolute path to the proxy configuration under test.
	NginxConf     string
	NATSImage     string
	NginxImage    string
	PostgresImage string
	// Artifacts is an absolute path; reports and evidence go there.
	Artifacts string
	// Keep leaves the stack running after a failed run.
	Keep bool
	// NotifyFault switches known faults on in the reference notify-server
	// (NOTIFY_FAULT), for the self-check and for watching a fault by hand.
	NotifyFault string
	// Heartbeat is the heartbeat interval of the deployment whose nginx.conf
	// is under test; its proxy_read_timeout must be longer.
	Heartbeat time.Duration
}

// DefaultHeartbeat is the reference notify-server's own default interval.
const DefaultHeartbeat = 15 * time.Second

// maxReplicas bounds E2E_NOTIFY_REPLICAS: the machines this runs on have
// two cores, and two replicas already prove fan-out across replicas.
const maxReplicas = 8

// imageRef is deliberately loose: it rejects what docker would reject
// (spaces, upper case in the repository, empty parts) with our own message.
var imageRef = regexp.MustCompile(
	`^[a-z0-9]+([._/-][a-z0-9]+)*(:[0-9]+)?(/[a-z0-9]+([._-][a-z0-9]+)*)*` +
		`(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$`)

// FromEnv reads the E2E_* variables. root is the module root, against which
// the defaults are resolved. Every problem is reported, not just the first.
func FromEnv(root string) (Settings, error) {
	return parse(root, os.LookupEnv)
}

func parse(root string, lookup func(string) (string, bool)) (Settings, error) {
	s := Settings{NotifyReplicas: 1}
	var errs []error
	bad := func(name, value, why, fix string) {
		errs = append(errs, fmt.Errorf("%s=%q: %s; %s", name, value, why, fix))
	}

	for _, img := range []struct {
		name string
		dst  *string
	}{
		{"E2E_NOTIFY_IMAGE", &s.NotifyImage},
		{"E2E_NATS_IMAGE", &s.NATSImage},
		{"E2E_NGINX_IMAGE", &s.NginxImage},
		{"E2E_POSTGRES_IMAGE", &s.PostgresImage},
	} {
		v, ok := lookup(img.name)
		if !ok || v == "" {
			continue
		}
		if !imageRef.MatchString(v) {
			bad(img.name, v, "not a Docker image reference",
				"use repository[:tag], e.g. fechatter/notify-server:1.4, "+
					"or unset it to use the local build")
			continue
		}
		*img.dst = v
	}

	if v, ok := lookup("E2E_NOTIFY_REPLICAS"); ok && v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		switch {
		case err != nil:
			bad("E2E_NOTIFY_REPLICAS", v, "not a whole number",
				fmt.Sprintf("set a number from 1 to %d", maxReplicas))
		case n < 1 || n > maxReplicas:
			bad("E2E_NOTIFY_REPLICAS", v, "out of range",
				fmt.Sprintf("set a number from 1 to %d", maxReplicas))
		default:
			s.NotifyReplicas = n
		}
	}

	s.NginxConf = filepath.Join(root, "nginx", "nginx.conf")
	if v, ok := lookup("E2E_NGINX_CONF"); ok && v != "" {
		p := absolute(root, v)
		switch st, err := os.Stat(p); {
		case err != nil:
			bad("E2E_NGINX_CONF", v, "cannot be read: "+err.Error(),
				"point it at an nginx.conf file (relative paths start at "+root+")")
		case st.IsDir():
			bad("E2E_NGINX_CONF", v, "is a directory",
				"point it at the nginx.conf file itself")
		default:
			s.NginxConf = p
		}
	}

	s.Artifacts = filepath.Join(root, "_artifacts")
	if v, ok := lookup("E2E_ARTIFACTS"); ok && v != "" {
		p := absolute(root, v)
		if st, err := os.Stat(p); err == nil && !st.IsDir() {
			bad("E2E_ARTIFACTS", v, "is a file, not a directory",
				"name a directory (it is created when missing)")
		} else {
			s.Artifacts = p
		}
	}

	if v, ok := lookup("E2E_KEEP"); ok && v != "" {
		keep, err := strconv.ParseBool(v)
		if err != nil {
			bad("E2E_KEEP", v, "not a boolean", "use 1/true to keep the stack, 0/false or unset")
		}
		s.Keep = keep
	}

	if v, ok := lookup("NOTIFY_FAULT"); ok && v != "" {
		if _, err := fault.Parse(v); err != nil {
			bad("NOTIFY_FAULT", v, err.Error(), "unset it, or name faults from that list")
		} else if s.NotifyImage != "" {
			bad("NOTIFY_FAULT", v, "fault switches exist only in the reference notify-server",
				"unset E2E_NOTIFY_IMAGE or NOTIFY_FAULT")
		}
		s.NotifyFault = v
	}

	s.Heartbeat = DefaultHeartbeat
	if v, ok := lookup("E2E_HEARTBEAT"); ok && v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			bad("E2E_HEARTBEAT", v, "not a positive duration",
				"give the deployment's heartbeat interval, e.g. 15s or 30s")
		} else {
			s.Heartbeat = d
		}
	}

	if len(errs) > 0 {
		return Settings{}, fmt.Errorf("invalid suite settings:\n  %w",
			joinIndented(errs))
	}
	return s, nil
}

func absolute(root, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	// Relative paths are taken from where make or go test was started.
	if wd, err := os.Getwd(); err == nil {
		if _, err := os.Stat(filepath.Join(wd, p)); err == nil {
			return filepath.Join(wd, p)
		}
	}
	return filepath.Join(root, p)
}

func joinIndented(errs []error) error {
	lines := make([]string, len(errs))
	for i, e := range errs {
		lines[i] = e.Error()
	}
	return errors.New(strings.Join(lines, "\n  "))
}

// Load finds the project root from the working directory and reads the
// E2E_* variables against it.
func Load() (root string, s Settings, err error) {
	if root, err = project.Root(); err != nil {
		return "", Settings{}, err
	}
	s, err = FromEnv(root)
	return root, s, err
}
