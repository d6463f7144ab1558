package deploy

import (
	"fmt"
	"strconv"
	"strings"
)

// The standard library reads no YAML and the module has no YAML dependency,
// so the chart's tests read Helm's output with this: the block style that
// Helm renders the chart in (maps, "- " lists, plain or quoted scalars,
// whole-line comments). Anything else is an error, never a silent guess.

// parseManifests splits a multi-document stream and parses each document.
func parseManifests(stream string) ([]map[string]any, error) {
	var docs []map[string]any
	for _, text := range strings.Split("\n"+stream, "\n---") {
		var lines []yamlLine
		for _, l := range strings.Split(text, "\n") {
			trimmed := strings.TrimLeft(l, " ")
			if trimmed == "" || strings.HasPrefix(trimmed, "#") {
				continue
			}
			lines = append(lines, yamlLine{indent: len(l) - len(trimmed), text: trimmed})
		}
		if len(lines) == 0 {
			continue
		}
		p := &yamlParser{lines: lines}
		node, err := p.node(lines[0].indent)
		if err != nil {
			return nil, err
		}
		if p.i != len(lines) {
			return nil, fmt.Errorf("yaml: unexpected %q", lines[p.i].text)
		}
		doc, ok := node.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("yaml: a document that is not a map: %v", node)
		}
		docs = append(docs, doc)
	}
	return docs, nil
}

type yamlLine struct {
	indent int
	text   string
}

type yamlParser struct {
	lines []yamlLine
	i     int
}

// node parses the map or list whose lines start at indent.
func (p *yamlParser) node(indent int) (any, error) {
	if strings.HasPrefix(p.lines[p.i].text, "- ") || p.lines[p.i].text == "-" {
		return p.list(indent)
	}
	return p.mapping(indent)
}

func (p *yamlParser) list(indent int) ([]any, error) {
	var out []any
	for p.i < len(p.lines) && p.lines[p.i].indent == indent && strings.HasPrefix(p.lines[p.i].text, "-") {
		rest := strings.TrimLeft(strings.TrimPrefix(p.lines[p.i].text, "-"), " ")
		isMap := !strings.HasPrefix(rest, `"`) && (strings.HasSuffix(rest, ":") || strings.Contains(rest, ": "))
		if rest != "" && !isMap {
			p.i++
			out = append(out, scalar(rest))
			continue
		}
		if rest == "" {
			p.i++
			if p.i == len(p.lines) || p.lines[p.i].indent <= indent {
				return nil, fmt.Errorf("yaml: empty list item")
			}
			item, err := p.node(p.lines[p.i].indent)
			if err != nil {
				return nil, err
			}
			out = append(out, item)
			continue
		}
		// "- key: value": a map whose first line is after the dash.
		p.lines[p.i] = yamlLine{indent: indent + len(p.lines[p.i].text) - len(rest), text: rest}
		item, err := p.mapping(p.lines[p.i].indent)
		if err != nil {
			return nil, err
		}
		out = append(out, item)
	}
	return out, nil
}

func (p *yamlParser) mapping(indent int) (map[string]any, error) {
	out := map[string]any{}
	for p.i < len(p.lines) && p.lines[p.i].indent == indent && !strings.HasPrefix(p.lines[p.i].text, "- ") {
		line := p.lines[p.i]
		key, value, ok := strings.Cut(line.text, ":")
		if !ok || value != "" && value[0] != ' ' {
			return nil, fmt.Errorf("yaml: not a key: %q", line.text)
		}
		key = scalar(key).(string)
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("yaml: key %q twice", key)
		}
		p.i++
		if value = strings.TrimSpace(value); value != "" {
			if value == "|" || value == ">" || strings.HasPrefix(value, "|") || strings.HasPrefix(value, ">") {
				return nil, fmt.Errorf("yaml: block scalar of %q is not read here", key)
			}
			out[key] = scalar(value)
			continue
		}
		// A nested node: deeper, or a list at the same indent ("key:\n- a").
		switch {
		case p.i < len(p.lines) && p.lines[p.i].indent > indent:
			child, err := p.node(p.lines[p.i].indent)
			if err != nil {
				return nil, err
			}
			out[key] = child
		case p.i < len(p.lines) && p.lines[p.i].indent == indent && strings.HasPrefix(p.lines[p.i].text, "-"):
			child, err := p.list(indent)
			if err != nil {
				return nil, err
			}
			out[key] = child
		default:
			out[key] = nil
		}
	}
	if p.i < len(p.lines) && p.lines[p.i].indent > indent {
		return nil, fmt.Errorf("yaml: unexpected indent at %q", p.lines[p.i].text)
	}
	return out, nil
}

// scalar reads a plain or quoted scalar as a string ("{}" and "[]" as empty
// collections): the tests compare text.
func scalar(s string) any {
	switch {
	case s == "{}":
		return map[string]any{}
	case s == "[]":
		return []any{}
	case strings.HasPrefix(s, `"`):
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
	case strings.HasPrefix(s, "'") && strings.HasSuffix(s, "'") && len(s) > 1:
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'")
	}
	return s
}

// at follows a path of map keys and list indexes ("spec.containers.0.name").
func at(node any, path string) any {
	for _, part := range strings.Split(path, ".") {
		switch n := node.(type) {
		case map[string]any:
			node = n[part]
		case []any:
			i, err := strconv.Atoi(part)
			if err != nil || i >= len(n) {
				return nil
			}
			node = n[i]
		default:
			return nil
		}
	}
	return node
}
