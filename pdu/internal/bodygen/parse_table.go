package bodygen

import (
	"fmt"
	"go/token"
	"slices"
	"strconv"
	"strings"
)

type kind int

const (
	kindU8 kind = iota
	kindU32
	kindCString
	kindTime
	kindOctets
	kindList
	kindTLVs
	kindLocal // a field of the struct that is not on the wire
)

var kindNames = map[string]kind{
	"u8": kindU8, "u32": kindU32, "cstring": kindCString, "time": kindTime,
	"octets": kindOctets, "list": kindList, "tlvs": kindTLVs, "local": kindLocal,
}

// field is one line of a body: a mandatory field, a list, or the TLVs.
type field struct {
	spec   string // spec name: "source_addr"
	goName string // Go field: "SourceAddr"
	kind   kind
	goType string // u8, u32: the Go type when not uint8/uint32; list: the element type
	size   int    // cstring: maximum octets with the NUL; octets: maximum length; list: maximum count
	min    int    // list: minimum count
	decode int    // cstring: the decoder's maximum when larger than size (0: size)
	status string // the command_status constant for a value out of bounds
	// lastNUL: lenient decoding accepts the string without its NUL at the end of the body.
	lastNUL bool
	// count is the length field of octets or the count field of a list.
	count string
	// checkDecode: a list's decoder refuses a count out of bounds too.
	checkDecode bool
	line        int
}

// command is one command a body encodes, and the Go type that encodes it.
type command struct {
	spec, id, goType string
}

// body is a PDU body, or an element of a list.
type body struct {
	goType      string
	cmds        []command
	fields      []field
	hasID       bool // the struct's ID field selects the command
	optional    bool // an error response: an empty body decodes as the zero body
	element     bool // an element of a list, not a PDU
	handwritten bool // an element whose methods are hand-written
	line        int
}

func parse(table []byte) ([]*body, error) {
	var bodies []*body
	var cur *body
	for n, line := range strings.Split(string(table), "\n") {
		n++
		trimmed := strings.TrimSpace(line)
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		words := strings.Fields(trimmed)
		if line[0] == ' ' || line[0] == '\t' {
			if cur == nil {
				return nil, fmt.Errorf("bodies.txt:%d: a field outside a body", n)
			}
			if cur.handwritten {
				return nil, fmt.Errorf("bodies.txt:%d: a hand-written element lists no fields", n)
			}
			f, err := parseField(words, n)
			if err != nil {
				return nil, err
			}
			if cur.has(kindTLVs) && f.kind != kindLocal {
				return nil, fmt.Errorf("bodies.txt:%d: a field after the tlvs", n)
			}
			if cur.element && f.kind != kindU8 && f.kind != kindU32 && f.kind != kindCString && f.kind != kindTime {
				return nil, fmt.Errorf("bodies.txt:%d: an element holds only u8, u32, cstring and time fields", n)
			}
			cur.fields = append(cur.fields, f)
			continue
		}
		b, err := parseHead(words, n)
		if err != nil {
			return nil, err
		}
		for _, o := range bodies {
			if o.goType == b.goType {
				return nil, fmt.Errorf("bodies.txt:%d: %s is already described on line %d", n, b.goType, o.line)
			}
		}
		bodies = append(bodies, b)
		cur = b
	}
	// Every list names an element of the table.
	for _, b := range bodies {
		for _, f := range b.fields {
			if f.kind != kindList {
				continue
			}
			if e := find(bodies, f.goType); e == nil || !e.element {
				return nil, fmt.Errorf("bodies.txt:%d: the list's element %s is not an element of the table", f.line, f.goType)
			}
		}
	}
	return bodies, nil
}

func find(bodies []*body, goType string) *body {
	for _, b := range bodies {
		if b.goType == goType {
			return b
		}
	}
	return nil
}

func parseHead(words []string, n int) (*body, error) {
	b := &body{line: n}
	if len(words) < 2 || !token.IsExported(words[1]) {
		return nil, fmt.Errorf("bodies.txt:%d: want \"body <GoType> <command>...\" or \"element <GoType>\"", n)
	}
	b.goType = words[1]
	rest := words[2:]
	switch words[0] {
	case "body":
	case "element":
		b.element = true
	default:
		return nil, fmt.Errorf("bodies.txt:%d: a line starts with body, element, a tab or #", n)
	}
	for _, w := range rest {
		switch {
		case w == "+id" && !b.element:
			b.hasID = true
		case w == "+optional" && !b.element:
			b.optional = true
		case w == "+handwritten" && b.element:
			b.handwritten = true
		case strings.HasPrefix(w, "+"):
			return nil, fmt.Errorf("bodies.txt:%d: unknown flag %s", n, w)
		case b.element:
			return nil, fmt.Errorf("bodies.txt:%d: an element encodes no command", n)
		default:
			parts := strings.Split(w, "/")
			if len(parts) < 2 || len(parts) > 3 || parts[0] == "" || !strings.HasSuffix(parts[1], "ID") || !token.IsExported(parts[1]) {
				return nil, fmt.Errorf("bodies.txt:%d: want <spec name>/<command_id constant>[/<GoType>], got %q", n, w)
			}
			c := command{spec: parts[0], id: parts[1], goType: b.goType}
			if len(parts) == 3 {
				if !token.IsExported(parts[2]) {
					return nil, fmt.Errorf("bodies.txt:%d: %q is not an exported Go type", n, parts[2])
				}
				c.goType = parts[2]
			}
			b.cmds = append(b.cmds, c)
		}
	}
	if !b.element && len(b.cmds) == 0 {
		return nil, fmt.Errorf("bodies.txt:%d: body %s encodes no command", n, b.goType)
	}
	if b.hasID && len(b.types()) > 1 {
		return nil, fmt.Errorf("bodies.txt:%d: +id and a second Go type", n)
	}
	return b, nil
}

func parseField(words []string, n int) (field, error) {
	f := field{line: n}
	if len(words) < 3 {
		return f, fmt.Errorf("bodies.txt:%d: want <spec name> <GoField> <wire type> [arguments]", n)
	}
	f.spec, f.goName = words[0], words[1]
	if !token.IsExported(f.goName) {
		return f, fmt.Errorf("bodies.txt:%d: %q is not an exported Go field", n, f.goName)
	}
	k, ok := kindNames[words[2]]
	if !ok {
		return f, fmt.Errorf("bodies.txt:%d: unknown wire type %q", n, words[2])
	}
	f.kind = k
	var args []string
	for _, w := range words[3:] {
		switch {
		case w == "+lastnul" && k == kindCString:
			f.lastNUL = true
		case strings.HasPrefix(w, "+decode=") && k == kindCString:
			v, err := strconv.Atoi(strings.TrimPrefix(w, "+decode="))
			if err != nil || v < 1 {
				return f, fmt.Errorf("bodies.txt:%d: bad %s", n, w)
			}
			f.decode = v
		case w == "+checkdecode" && k == kindList:
			f.checkDecode = true
		case strings.HasPrefix(w, "+"):
			return f, fmt.Errorf("bodies.txt:%d: flag %s does not apply to %s", n, w, words[2])
		default:
			args = append(args, w)
		}
	}
	num := func(s string, lo, hi int) (int, error) {
		v, err := strconv.Atoi(s)
		if err != nil || v < lo || v > hi {
			return 0, fmt.Errorf("bodies.txt:%d: %q is not a number in %d–%d", n, s, lo, hi)
		}
		return v, nil
	}
	status := func(s string) (string, error) {
		if !strings.HasPrefix(s, "ESME_R") {
			return "", fmt.Errorf("bodies.txt:%d: %q is not a command_status constant", n, s)
		}
		return s, nil
	}
	want := map[kind]int{kindU8: -1, kindU32: -1, kindCString: 2, kindTime: 1, kindOctets: 3, kindList: 5, kindTLVs: 0, kindLocal: 1}[k]
	if want >= 0 && len(args) != want || want < 0 && len(args) > 1 {
		return f, fmt.Errorf("bodies.txt:%d: wrong number of arguments for %s", n, words[2])
	}
	var err error
	switch k {
	case kindU8, kindU32:
		if len(args) == 1 {
			f.goType = args[0]
		}
	case kindLocal:
		f.goType = args[0]
	case kindCString:
		if f.size, err = num(args[0], 1, 65536); err == nil {
			f.status, err = status(args[1])
		}
		if err == nil && f.decode != 0 && f.decode <= f.size {
			err = fmt.Errorf("bodies.txt:%d: +decode= must exceed the size", n)
		}
	case kindTime:
		f.status, err = status(args[0])
	case kindOctets:
		f.count = args[0]
		if f.size, err = num(args[1], 0, 254); err == nil {
			f.status, err = status(args[2])
		}
	case kindList:
		f.count, f.goType = args[0], args[1]
		if f.min, err = num(args[2], 0, 255); err == nil {
			if f.size, err = num(args[3], f.min, 255); err == nil {
				f.status, err = status(args[4])
			}
		}
	}
	return f, err
}

// types returns the Go types of b, the first one holding the fields.
func (b *body) types() []string {
	out := []string{b.goType}
	for _, c := range b.cmds {
		if !slices.Contains(out, c.goType) {
			out = append(out, c.goType)
		}
	}
	return out
}

func (b *body) has(k kind) bool {
	return slices.ContainsFunc(b.fields, func(f field) bool { return f.kind == k })
}
