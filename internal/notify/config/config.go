// Package config reads the notify-server configuration: the production notify.yml,
// of which only the keys named in the contract are honoured, plus environment overrides.
package config

import (
	"bytes"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strconv"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultPath is where the container under test finds its configuration file.
const DefaultPath = "/app/config/notify.yml"

// Defaults for keys a shorter notify.yml may leave out; the contract fixes the port.
const (
	DefaultPort          = 6687
	DefaultHeartbeatEach = 15 * time.Second
)

// Config is what the reference notify-server needs to run.
type Config struct {
	Port          int
	DatabaseURL   string
	PublicKeyPEM  []byte
	NATSURL       string
	Subjects      []string
	HeartbeatEach time.Duration
}

// file mirrors the production notify.yml. It lists only the honoured keys; the decoder
// is not strict, so the rest of the production file is ignored rather than rejected.
type file struct {
	Server struct {
		Port  int    `yaml:"port"`
		DBURL string `yaml:"db_url"`
	} `yaml:"server"`
	Auth struct {
		PK string `yaml:"pk"`
	} `yaml:"auth"`
	Messaging struct {
		NATS struct {
			URL                  string   `yaml:"url"`
			SubscriptionSubjects []string `yaml:"subscription_subjects"`
		} `yaml:"nats"`
	} `yaml:"messaging"`
	Notification struct {
		Delivery struct {
			Web struct {
				HeartbeatIntervalMS int `yaml:"heartbeat_interval_ms"`
			} `yaml:"web"`
		} `yaml:"delivery"`
	} `yaml:"notification"`
}

// Load reads the file at path, applies the environment overrides read through getenv
// and checks the result.
func Load(path string, getenv func(string) string) (Config, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("read config %s: %w (set NOTIFY_CONFIG to its path)",
			path, err)
	}
	cfg, err := Parse(raw)
	if err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	if err := cfg.Override(getenv); err != nil {
		return Config{}, err
	}
	if err := cfg.Validate(); err != nil {
		return Config{}, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

// Parse decodes notify.yml without checking it; Validate does that once overrides apply.
func Parse(raw []byte) (Config, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&f); err != nil {
		return Config{}, fmt.Errorf("parse yaml: %w", err)
	}
	cfg := Config{
		Port:         f.Server.Port,
		DatabaseURL:  f.Server.DBURL,
		PublicKeyPEM: []byte(f.Auth.PK),
		NATSURL:      f.Messaging.NATS.URL,
		Subjects:     f.Messaging.NATS.SubscriptionSubjects,
	}
	if cfg.Port == 0 {
		cfg.Port = DefaultPort
	}
	cfg.HeartbeatEach = DefaultHeartbeatEach
	if ms := f.Notification.Delivery.Web.HeartbeatIntervalMS; ms != 0 {
		cfg.HeartbeatEach = time.Duration(ms) * time.Millisecond
	}
	return cfg, nil
}

// Override applies NATS_URL, DATABASE_URL and NOTIFY_PORT, which the stack sets so one
// configuration file serves every replica and network layout.
func (c *Config) Override(getenv func(string) string) error {
	if v := getenv("NATS_URL"); v != "" {
		c.NATSURL = v
	}
	if v := getenv("DATABASE_URL"); v != "" {
		c.DatabaseURL = v
	}
	if v := getenv("NOTIFY_PORT"); v != "" {
		port, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("NOTIFY_PORT=%q is not a port number", v)
		}
		c.Port = port
	}
	return nil
}

// Validate reports every missing or unusable key at once, so one run shows all fixes.
func (c Config) Validate() error {
	var errs []error
	if c.Port <= 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("server.port %d is not in 1..65535", c.Port))
	}
	if c.DatabaseURL == "" {
		errs = append(errs, errors.New("server.db_url (or DATABASE_URL) is empty"))
	}
	if len(bytes.TrimSpace(c.PublicKeyPEM)) == 0 {
		errs = append(errs, errors.New("auth.pk is empty"))
	}
	if c.NATSURL == "" {
		errs = append(errs, errors.New("messaging.nats.url (or NATS_URL) is empty"))
	} else if _, err := url.Parse(c.NATSURL); err != nil {
		errs = append(errs, fmt.Errorf("messaging.nats.url: %w", err))
	}
	if len(c.Subjects) == 0 {
		errs = append(errs, errors.New("messaging.nats.subscription_subjects is empty"))
	}
	for _, s := range c.Subjects {
		if s == "" {
			errs = append(errs, errors.New("messaging.nats.subscription_subjects has an "+
				"empty subject"))
		}
	}
	if c.HeartbeatEach <= 0 {
		errs = append(errs, errors.New(
			"notification.delivery.web.heartbeat_interval_ms must be positive"))
	}
	return errors.Join(errs...)
}
