package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Fault is one broken variant of the stack from faults/catalogue.yaml.
type Fault struct {
	Name        string `yaml:"name"`
	Why         string `yaml:"why"`
	NotifyFault string `yaml:"notify_fault"`
	Replicas    int    `yaml:"replicas"`
	Nginx       []Edit `yaml:"nginx"`
	Specs       string `yaml:"specs"`
	Hop         string `yaml:"hop"`
}

// Edit swaps one piece of the good nginx.conf for a broken one.
type Edit struct {
	Replace string `yaml:"replace"`
	With    string `yaml:"with"`
}

func loadCatalogue(path string) ([]Fault, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var fs []Fault
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&fs); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	for i, f := range fs {
		if f.Name == "" || f.Specs == "" || f.Hop == "" {
			return nil, fmt.Errorf("%s: entry %d needs name, specs and hop", path, i+1)
		}
		if f.NotifyFault == "" && len(f.Nginx) == 0 {
			return nil, fmt.Errorf("%s: %q breaks nothing: give notify_fault or nginx",
				path, f.Name)
		}
	}
	return fs, nil
}

// nginxConf writes the fault's variant of good to dir and returns its path,
// or "" when the fault leaves nginx alone. An edit that matches nothing is
// an error: the catalogue has fallen behind nginx.conf.
func (f Fault) nginxConf(good []byte, dir string) (string, error) {
	if len(f.Nginx) == 0 {
		return "", nil
	}
	conf := string(good)
	for _, e := range f.Nginx {
		if strings.Count(conf, e.Replace) != 1 {
			return "", fmt.Errorf("%s: %q must occur exactly once in nginx.conf",
				f.Name, e.Replace)
		}
		conf = strings.Replace(conf, e.Replace, e.With, 1)
	}
	conf = "# Fault variant for the self-check: " + f.Name + "\n# " + f.Why + "\n" + conf
	path := filepath.Join(dir, slug(f.Name)+".conf")
	return path, os.WriteFile(path, []byte(conf), 0o644)
}

func slug(s string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		if r >= 'A' && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return '-'
	}, s), "-")
}
