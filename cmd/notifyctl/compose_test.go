package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/fechatter/notify-e2e/internal/stack"
)

// service is what the compose check compares, for the suite and compose
// alike: container ports, mount targets and environment variable names.
type service struct {
	ports, mounts, env []string
}

// composeHelpers are compose services the suite has no container for: it
// creates the schema over a connection of its own.
var composeHelpers = []string{"schema"}

// The compose file is maintained by hand, so this reads what the suite
// starts from internal/stack's source rather than from a second list that
// could drift along with it.
func TestComposeStartsWhatTheSuiteStarts(t *testing.T) {
	suite := suiteServices(t)
	compose := composeServices(t)
	for _, h := range composeHelpers {
		delete(compose, h)
	}
	a, b := slices.Sorted(maps.Keys(suite)), slices.Sorted(maps.Keys(compose))
	if !slices.Equal(a, b) {
		t.Fatalf("services: the suite starts %v, compose/docker-compose.yml %v", a, b)
	}
	for name, s := range suite {
		c := compose[name]
		for _, d := range []struct {
			what       string
			suite, got []string
		}{
			{"container ports", s.ports, c.ports},
			{"mount targets", s.mounts, c.mounts},
			{"environment variables", s.env, c.env},
		} {
			if !slices.Equal(d.suite, d.got) {
				t.Errorf("%s %s: the suite has %v, compose/docker-compose.yml %v",
					name, d.what, d.suite, d.got)
			}
		}
	}
}

// TestComposeVariablesAreAllWritten keeps compose/docker-compose.yml and
// `notifyctl compose-env` agreeing on the variables of compose/.env.
func TestComposeVariablesAreAllWritten(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "compose", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	written := map[string]bool{}
	ports := map[string]int{}
	for _, p := range composePorts {
		ports[p.env] = p.port
	}
	imgs := stack.Images{NATS: "n", Postgres: "p", Nginx: "x", Notify: "s"}
	for _, v := range composeVars(imgs, "/nginx.conf", "/gen", ports) {
		written[v.name] = true
	}
	used := map[string]bool{}
	for _, m := range regexp.MustCompile(`\$\{([A-Z0-9_]+)`).FindAllSubmatch(raw, -1) {
		used[string(m[1])] = true
		if !written[string(m[1])] {
			t.Errorf("compose/docker-compose.yml uses ${%s}, which compose-env does not write",
				m[1])
		}
	}
	for name := range written {
		if !used[name] && name != "COMPOSE_PROJECT_NAME" {
			t.Errorf("compose-env writes %s, which compose/docker-compose.yml never uses", name)
		}
	}
}

func composeServices(t *testing.T) map[string]service {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "compose", "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Services map[string]struct {
			Ports       []string          `yaml:"ports"`
			Volumes     []string          `yaml:"volumes"`
			Environment map[string]string `yaml:"environment"`
		} `yaml:"services"`
	}
	if err := yaml.Unmarshal(raw, &file); err != nil {
		t.Fatalf("compose/docker-compose.yml: %v", err)
	}
	out := map[string]service{}
	for name, s := range file.Services {
		var sv service
		for _, p := range s.Ports {
			// host-ip:host-port:container-port; the suite publishes on
			// loopback only, and so must compose.
			if !strings.HasPrefix(p, "127.0.0.1:") {
				t.Errorf("%s publishes %q beyond 127.0.0.1", name, p)
			}
			sv.ports = append(sv.ports, p[strings.LastIndex(p, ":")+1:]+"/tcp")
		}
		for _, v := range s.Volumes {
			parts := strings.Split(v, ":")
			if len(parts) != 3 || parts[2] != "ro" {
				t.Errorf("%s mounts %q; the suite mounts every file read-only", name, v)
				continue
			}
			sv.mounts = append(sv.mounts, parts[1])
		}
		sv.env = slices.Collect(maps.Keys(s.Environment))
		out[name] = sorted(sv)
	}
	return out
}

// suiteServices reads the service literals stack.go starts its containers
// with: service{aliases: []string{"nats"}, ports: ..., env: env, binds: ...}.
func suiteServices(t *testing.T) map[string]service {
	t.Helper()
	path := filepath.Join("..", "..", "internal", "stack", "stack.go")
	fset := token.NewFileSet()
	file, err := parser.ParseFile(fset, path, nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]service{}
	for _, decl := range file.Decls {
		fn, ok := decl.(*ast.FuncDecl)
		if !ok || fn.Body == nil {
			continue
		}
		// Maps built before the literal and passed to it by name (env).
		assigned := map[string]*ast.CompositeLit{}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if as, ok := n.(*ast.AssignStmt); ok && len(as.Lhs) == 1 && len(as.Rhs) == 1 {
				id, ok1 := as.Lhs[0].(*ast.Ident)
				lit, ok2 := as.Rhs[0].(*ast.CompositeLit)
				if ok1 && ok2 {
					assigned[id.Name] = lit
				}
			}
			return true
		})
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			lit, ok := n.(*ast.CompositeLit)
			if !ok {
				return true
			}
			if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "service" {
				return true
			}
			name, sv := serviceLiteral(t, fset, lit, assigned)
			out[name] = sorted(sv)
			return false
		})
	}
	if len(out) == 0 {
		t.Fatalf("found no service{...} literal in %s; update this check to how the "+
			"stack describes its containers now", path)
	}
	return out
}

var mountTarget = regexp.MustCompile(`^:(/[^:]+):ro$`)

func serviceLiteral(t *testing.T, fset *token.FileSet, lit *ast.CompositeLit,
	assigned map[string]*ast.CompositeLit,
) (string, service) {
	var name string
	var sv service
	for _, el := range lit.Elts {
		kv, ok := el.(*ast.KeyValueExpr)
		if !ok {
			continue
		}
		key := kv.Key.(*ast.Ident).Name
		value := kv.Value
		if id, ok := value.(*ast.Ident); ok && assigned[id.Name] != nil {
			value = assigned[id.Name]
		}
		switch key {
		case "aliases":
			// Every replica answers to its alias; the name has a number.
			if s := literals(value); len(s) > 0 {
				name = s[0]
			}
		case "ports":
			sv.ports = literals(value)
		case "binds":
			for _, s := range literals(value) {
				if m := mountTarget.FindStringSubmatch(s); m != nil {
					sv.mounts = append(sv.mounts, m[1])
				}
			}
		case "env":
			for _, el := range value.(*ast.CompositeLit).Elts {
				sv.env = append(sv.env, literals(el.(*ast.KeyValueExpr).Key)...)
			}
		}
	}
	if name == "" {
		t.Fatalf("%s: a service without aliases; update this check",
			fset.Position(lit.Pos()))
	}
	return name, sv
}

// literals returns every string literal under n, in order.
func literals(n ast.Node) []string {
	var out []string
	ast.Inspect(n, func(n ast.Node) bool {
		if b, ok := n.(*ast.BasicLit); ok && b.Kind == token.STRING {
			if s, err := strconv.Unquote(b.Value); err == nil {
				out = append(out, s)
			}
		}
		return true
	})
	return out
}

func sorted(s service) service {
	slices.Sort(s.ports)
	slices.Sort(s.mounts)
	slices.Sort(s.env)
	return s
}
