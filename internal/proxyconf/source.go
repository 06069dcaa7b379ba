package proxyconf

import (
	"fmt"
	"path"
	"sort"
	"strings"

	"github.com/tufanbarisyildirim/gonginx/config"
	"github.com/tufanbarisyildirim/gonginx/parser"
)

// sectionHeader starts every file in `nginx -T` output; the path follows, then a colon.
const sectionHeader = "# configuration file "

// confPrefix is where nginx resolves relative include paths when the main file's own
// directory is not known (input without section headers).
const confPrefix = "/etc/nginx"

// maxIncludeDepth stops an include cycle; nginx itself would fail on one, so real
// `nginx -T` output never gets near it.
const maxIncludeDepth = 16

// sourceFile is one section of `nginx -T` output, parsed on its own.
type sourceFile struct {
	path string // as nginx printed it
	text string
	conf *config.Config
	// locationLine maps each location of this file to the line of its `location`
	// keyword: gonginx records the line of the closing brace, which would point a
	// reader at the wrong end of the block.
	locationLine map[config.IDirective]int
}

// name is how a finding refers to the file: relative to the nginx prefix, as the
// configuration itself refers to it.
func (f *sourceFile) name() string {
	if rel, ok := strings.CutPrefix(f.path, confPrefix+"/"); ok {
		return rel
	}
	return f.path
}

// node is a directive with any include directives in its block replaced by the
// directives of the files they name, so inheritance can be read as nginx applies it.
type node struct {
	d        config.IDirective
	file     *sourceFile
	children []node
}

func (n node) name() string { return n.d.GetName() }

func (n node) params() []string {
	var out []string
	for _, p := range n.d.GetParameters() {
		out = append(out, unquote(p.GetValue()))
	}
	return out
}

// arg is the i-th parameter, or "" when the directive has fewer.
func (n node) arg(i int) string {
	p := n.params()
	if i < len(p) {
		return p[i]
	}
	return ""
}

func (n node) where() string {
	line := n.d.GetLine()
	if l, ok := n.file.locationLine[n.d]; ok {
		line = l
	}
	if line <= 0 {
		return n.file.name()
	}
	return fmt.Sprintf("%s:%d", n.file.name(), line)
}

// splitSections cuts `nginx -T` output into files. nginx's own messages ("nginx: the
// configuration file ... syntax is ok") may be interleaved with the dump when stderr
// and stdout share a stream; they are blanked, not removed, so line numbers still
// match the files.
func splitSections(out string) []*sourceFile {
	var files []*sourceFile
	var lines []string
	for _, line := range strings.Split(out, "\n") {
		line = strings.TrimSuffix(line, "\r")
		p, ok := strings.CutPrefix(line, sectionHeader)
		if ok && strings.HasSuffix(p, ":") {
			if len(files) > 0 {
				files[len(files)-1].text = strings.Join(lines, "\n")
			}
			files = append(files, &sourceFile{path: strings.TrimSuffix(p, ":")})
			lines = nil
			continue
		}
		if strings.HasPrefix(line, "nginx: ") {
			line = ""
		}
		lines = append(lines, line)
	}
	if len(files) == 0 {
		// Not `nginx -T` output but a bare configuration: read it as the main file.
		files = append(files, &sourceFile{path: path.Join(confPrefix, "nginx.conf")})
	}
	files[len(files)-1].text = strings.Join(lines, "\n")
	return files
}

// parseSections splits and parses every section. Directives gonginx does not know (from
// third-party modules, say) are accepted: nginx already accepted them when it printed
// the dump.
func parseSections(out string) ([]*sourceFile, error) {
	files := splitSections(out)
	for _, f := range files {
		conf, err := parser.NewStringParser(f.text,
			parser.WithSkipValidDirectivesErr(), parser.WithSkipComments()).Parse()
		// gonginx stops quietly at a stray "}" at the top of a file and drops the rest;
		// nginx -T never prints such a file (nginx rejects it first), so that is not
		// checked here.
		if err != nil {
			return nil, fmt.Errorf("read %s from nginx -T: want a configuration nginx"+
				" accepts, found: %w", f.path, err)
		}
		conf.FilePath = f.path
		f.conf = conf
		f.locationLine = map[config.IDirective]int{}
		var locs []config.IDirective
		collectLocations(conf.Block, &locs)
		lines := locationKeywordLines(f.text)
		// The two walks see locations in the same order; when they disagree on the
		// count, a location's line is left as gonginx recorded it rather than guessed.
		if len(lines) == len(locs) {
			for i, l := range locs {
				f.locationLine[l] = lines[i]
			}
		}
	}
	return files, nil
}

func collectLocations(b config.IBlock, out *[]config.IDirective) {
	if b == nil {
		return
	}
	for _, d := range b.GetDirectives() {
		if _, ok := d.(*config.Location); ok {
			*out = append(*out, d)
		}
		collectLocations(d.GetBlock(), out)
	}
}

// locationKeywordLines returns the line of every `location` that starts a statement,
// skipping comments and quoted strings the way nginx's tokenizer does.
func locationKeywordLines(text string) []int {
	var lines []int
	line, wordLine := 1, 1
	atStatement := true
	var word strings.Builder
	endWord := func() {
		if word.Len() == 0 {
			return
		}
		if atStatement && word.String() == "location" {
			lines = append(lines, wordLine)
		}
		atStatement = false
		word.Reset()
	}
	rs := []rune(text)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '#' && word.Len() == 0:
			for i < len(rs) && rs[i] != '\n' {
				i++
			}
			line++
		case (c == '"' || c == '\'') && word.Len() == 0:
			for i++; i < len(rs) && rs[i] != c; i++ {
				if rs[i] == '\\' {
					i++
				}
				if i < len(rs) && rs[i] == '\n' {
					line++
				}
			}
			atStatement = false
		case c == ';' || c == '{' || c == '}':
			endWord()
			atStatement = true
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			endWord()
			if c == '\n' {
				line++
			}
		default:
			if word.Len() == 0 {
				wordLine = line
			}
			word.WriteRune(c)
		}
	}
	endWord()
	return lines
}

// expand turns a block into nodes, splicing in the files an include names. nginx
// -T prints every included file as its own section, so the section paths stand in for
// the file system.
func expand(files []*sourceFile, f *sourceFile, b config.IBlock, depth int) []node {
	if b == nil || depth > maxIncludeDepth {
		return nil
	}
	var out []node
	for _, d := range b.GetDirectives() {
		if inc, ok := d.(*config.Include); ok {
			for _, g := range included(files, unquote(inc.IncludePath)) {
				out = append(out, expand(files, g, g.conf.Block, depth+1)...)
			}
			continue
		}
		out = append(out, node{d: d, file: f, children: expand(files, f, d.GetBlock(), depth)})
	}
	return out
}

// included returns the sections an include pattern names, in the sorted order nginx
// reads glob matches in.
func included(files []*sourceFile, pattern string) []*sourceFile {
	if !path.IsAbs(pattern) {
		prefix := confPrefix
		if main := files[0].path; path.IsAbs(main) {
			prefix = path.Dir(main)
		}
		pattern = path.Join(prefix, pattern)
	}
	var out []*sourceFile
	for _, f := range files[1:] {
		if ok, err := path.Match(pattern, f.path); err == nil && ok {
			out = append(out, f)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].path < out[j].path })
	return out
}

// unquote strips the quotes gonginx keeps on quoted parameters, so `""` reads as the
// empty value nginx sees.
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'') && s[len(s)-1] == s[0] {
		inner := s[1 : len(s)-1]
		return strings.ReplaceAll(inner, `\`+s[:1], s[:1])
	}
	return s
}
