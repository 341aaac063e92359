package main

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// A configuration file is checked key by key against the Config struct
// before it is decoded, so that an error names the key's path
// (upstreams[0].window), the line, and for an unknown key the known key it
// was probably meant to be, instead of a Go type.

// keyLines maps a key's path in the configuration file ("accounts[1].rate")
// to its line.
type keyLines map[string]int

// at says " (line N)" for the key at path or, when the file does not set it,
// for the nearest enclosing key it sets; "" when none (the embedded
// defaults).
func (l keyLines) at(path string) string {
	for p := path; p != ""; p = parentPath(p) {
		if n, ok := l[p]; ok {
			return fmt.Sprintf(" (line %d)", n)
		}
	}
	return ""
}

// parentPath is the path of the key that holds path's: "accounts[1]" for
// "accounts[1].rate", "accounts" for "accounts[1]", "" for "accounts".
func parentPath(p string) string {
	if i := strings.LastIndexAny(p, ".["); i >= 0 {
		return p[:i]
	}
	return ""
}

// joinPath appends a key to a path.
func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// checkYAML checks the document doc against the Config type and records the
// line of each key in lines.
func checkYAML(doc *yaml.Node, lines keyLines) error {
	if doc.Kind == 0 { // an empty file
		return nil
	}
	if doc.Kind == yaml.DocumentNode {
		if len(doc.Content) == 0 {
			return nil
		}
		doc = doc.Content[0]
	}
	return checkNode(doc, reflect.TypeOf(Config{}), "", lines)
}

var unmarshalerType = reflect.TypeOf((*yaml.Unmarshaler)(nil)).Elem()

func checkNode(n *yaml.Node, t reflect.Type, path string, lines keyLines) error {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null" {
		return nil // the key's zero value, or nil for a pointer
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name := path
	if name == "" {
		name = "the configuration"
	}
	switch {
	case t == reflect.TypeOf(Duration(0)):
		if n.Kind != yaml.ScalarNode {
			return fmt.Errorf("%s: want a duration like 30s or 500ms, not %s (line %d)", name, nodeKind(n), n.Line)
		}
		if _, err := time.ParseDuration(n.Value); err != nil {
			return fmt.Errorf("%s: %q is not a duration like 30s or 500ms (line %d)", name, n.Value, n.Line)
		}
		return nil
	case reflect.PointerTo(t).Implements(unmarshalerType):
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			return fmt.Errorf("%s: %v (line %d)", name, err, n.Line)
		}
		return nil
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("%s: want keys (key: value), not %s (line %d)", name, nodeKind(n), n.Line)
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.ShortTag() == "!!merge" { // <<: *anchor
				if err := checkNode(v, t, path, lines); err != nil {
					return err
				}
				continue
			}
			p := joinPath(path, k.Value)
			ft, ok := fields[k.Value]
			if !ok {
				return unknownKey(path, k, fields)
			}
			lines[p] = k.Line
			if err := checkNode(v, ft, p, lines); err != nil {
				return err
			}
		}
		return nil
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			return fmt.Errorf("%s: want a list ([a, b] or lines starting with -), not %s (line %d)", name, nodeKind(n), n.Line)
		}
		for i, e := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			lines[p] = e.Line
			if err := checkNode(e, t.Elem(), p, lines); err != nil {
				return err
			}
		}
		return nil
	}
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("%s: want a single value, not %s (line %d)", name, nodeKind(n), n.Line)
	}
	err := n.Decode(reflect.New(t).Interface())
	if err == nil && n.ShortTag() == "!!float" && t.Kind() != reflect.Float32 && t.Kind() != reflect.Float64 {
		err = errors.New("a fraction for a whole number") // yaml.v3 would drop the fraction
	}
	if err != nil {
		return fmt.Errorf("%s: %q is not %s (line %d)", name, n.Value, wantScalar(t, n.Value), n.Line)
	}
	return nil
}

// wantScalar says what a value of type t is written as.
func wantScalar(t reflect.Type, v string) string {
	_, ferr := strconv.ParseFloat(v, 64)
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if ferr == nil {
			return "a whole number"
		}
		return "a number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		max := uint64(math.MaxUint64) >> (64 - t.Bits())
		return fmt.Sprintf("a whole number from 0 to %d (0x%X)", max, max)
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Bool:
		return "true or false"
	}
	return "a " + t.Kind().String()
}

// nodeKind names what a node is, for an error.
func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "keys (key: value)"
	case yaml.SequenceNode:
		return "a list"
	}
	return fmt.Sprintf("%q", n.Value)
}

// yamlFields maps the yaml keys of struct type t to their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for _, f := range yamlKeys(t) {
		m[f.key] = f.typ
	}
	return m
}

type yamlKey struct {
	key string
	typ reflect.Type
}

// yamlKeys lists the yaml keys of struct type t in the struct's order.
func yamlKeys(t reflect.Type) []yamlKey {
	var keys []yamlKey
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		keys = append(keys, yamlKey{name, f.Type})
	}
	return keys
}

// unknownKey is the error for key k, not one of fields, at path: with the
// key it was probably meant to be, or the keys there are.
func unknownKey(path string, k *yaml.Node, fields map[string]reflect.Type) error {
	var names []string
	for n := range fields {
		names = append(names, n)
	}
	sort.Strings(names)
	best, bestD := "", 0
	for _, n := range names {
		d := editDistance(strings.ToLower(k.Value), n)
		if best == "" || d < bestD {
			best, bestD = n, d
		}
	}
	if best != "" && bestD <= max(1, min(3, len(k.Value)/3)) {
		return fmt.Errorf("%s: unknown key (line %d); did you mean %s?", joinPath(path, k.Value), k.Line, best)
	}
	return fmt.Errorf("%s: unknown key (line %d); the keys here are: %s", joinPath(path, k.Value), k.Line, strings.Join(names, ", "))
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
