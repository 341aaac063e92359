// Package bodygen turns the table of SMPP PDU bodies (pdu/bodies.txt) into
// the encoders and decoders of package pdu (zpdu.go). The command
// pdu/internal/gen runs it for go generate; the tests of package pdu run it
// into memory to tell when zpdu.go is stale.
//
// Before writing anything it checks the table against the hand-written
// structs of package pdu: every field of the table must be a field of the
// struct, in the same order and of a Go type that fits its wire type, and the
// struct must have no other field. So the table, the structs and the
// generated code cannot drift apart without the generator or the compiler
// saying so.
package bodygen

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// Output is the name of the generated file; the structs are read from every
// other non-test Go file of the package.
const Output = "zpdu.go"

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

// Generate parses table, checks it against the structs of the Go package in
// dir, and returns the formatted source of zpdu.go.
func Generate(table []byte, dir string) ([]byte, error) {
	bodies, err := parse(table)
	if err != nil {
		return nil, err
	}
	pkg, err := readPackage(dir)
	if err != nil {
		return nil, err
	}
	if err := check(bodies, pkg); err != nil {
		return nil, err
	}
	g := &gen{pkg: pkg}
	g.file(bodies)
	out, err := format.Source(g.buf.Bytes())
	if err != nil {
		return g.buf.Bytes(), fmt.Errorf("bodygen: formatting the generated code: %v", err)
	}
	return out, nil
}

// --- the table ---

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

// --- the hand-written structs ---

type structField struct{ name, typ string }

type goPackage struct {
	structs  map[string][]structField
	defined  map[string]string // a type defined on another: DeliverSM -> SubmitSM
	receiver map[string]string // the receiver name of a type's hand-written methods
}

func readPackage(dir string) (*goPackage, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	pkg := &goPackage{structs: map[string][]structField{}, defined: map[string]string{}, receiver: map[string]string{}}
	fset := token.NewFileSet()
	for _, name := range names {
		base := filepath.Base(name)
		if strings.HasSuffix(base, "_test.go") || base == Output {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.GenDecl:
				for _, s := range d.Specs {
					ts, ok := s.(*ast.TypeSpec)
					if !ok {
						continue
					}
					switch t := ts.Type.(type) {
					case *ast.StructType:
						var fs []structField
						for _, fl := range t.Fields.List {
							typ := types.ExprString(fl.Type)
							if len(fl.Names) == 0 {
								fs = append(fs, structField{typ, typ}) // embedded
							}
							for _, id := range fl.Names {
								fs = append(fs, structField{id.Name, typ})
							}
						}
						pkg.structs[ts.Name.Name] = fs
					case *ast.Ident:
						pkg.defined[ts.Name.Name] = t.Name
					}
				}
			case *ast.FuncDecl:
				if d.Recv == nil || len(d.Recv.List) != 1 || len(d.Recv.List[0].Names) != 1 {
					continue
				}
				t := d.Recv.List[0].Type
				if st, ok := t.(*ast.StarExpr); ok {
					t = st.X
				}
				if id, ok := t.(*ast.Ident); ok && pkg.receiver[id.Name] == "" && d.Recv.List[0].Names[0].Name != "_" {
					pkg.receiver[id.Name] = d.Recv.List[0].Names[0].Name
				}
			}
		}
	}
	return pkg, nil
}

// check compares the table with the structs.
func check(bodies []*body, pkg *goPackage) error {
	for _, b := range bodies {
		fs, ok := pkg.structs[b.goType]
		if !ok {
			return fmt.Errorf("bodies.txt:%d: no struct type %s in the package", b.line, b.goType)
		}
		for _, t := range b.types()[1:] {
			if pkg.defined[t] != b.goType {
				return fmt.Errorf("bodies.txt:%d: %s must be declared as type %s %s", b.line, t, t, b.goType)
			}
		}
		if b.handwritten {
			continue
		}
		if b.hasID {
			if len(fs) == 0 || fs[0] != (structField{"ID", "CommandID"}) {
				return fmt.Errorf("bodies.txt:%d: +id: %s must start with a field ID CommandID", b.line, b.goType)
			}
			fs = fs[1:]
		}
		for i, f := range b.fields {
			if i >= len(fs) {
				return fmt.Errorf("bodies.txt:%d: %s has no field %s", f.line, b.goType, f.goName)
			}
			if fs[i].name != f.goName {
				return fmt.Errorf("bodies.txt:%d: field %d of %s is %s, the table says %s", f.line, i+1, b.goType, fs[i].name, f.goName)
			}
			if want := goTypeOf(f); !slices.Contains(want, fs[i].typ) {
				return fmt.Errorf("bodies.txt:%d: %s.%s is a %s; %s wants %s", f.line, b.goType, f.goName, fs[i].typ, f.spec, strings.Join(want, " or "))
			}
		}
		if len(fs) > len(b.fields) {
			return fmt.Errorf("bodies.txt:%d: %s has a field %s that the table does not list", b.line, b.goType, fs[len(b.fields)].name)
		}
	}
	return nil
}

// goTypeOf returns the Go types a field of this wire type may have.
func goTypeOf(f field) []string {
	switch f.kind {
	case kindU8:
		if f.goType != "" {
			return []string{f.goType}
		}
		return []string{"uint8", "byte"}
	case kindU32:
		if f.goType != "" {
			return []string{f.goType}
		}
		return []string{"uint32"}
	case kindCString, kindTime:
		return []string{"string"}
	case kindOctets:
		return []string{"[]byte", "[]uint8"}
	case kindList:
		return []string{"[]" + f.goType}
	case kindLocal:
		return []string{f.goType}
	}
	return []string{"tlv.List"}
}

// --- the code ---

type gen struct {
	buf bytes.Buffer
	pkg *goPackage
}

func (g *gen) p(format string, args ...any) {
	fmt.Fprintf(&g.buf, format, args...)
	g.buf.WriteByte('\n')
}

func (g *gen) file(bodies []*body) {
	g.p("// Code generated by internal/gen from bodies.txt. DO NOT EDIT.")
	g.p("")
	g.p("package pdu")
	g.p("")
	g.p(`import "slices"`)
	g.p("")
	g.p("// New returns a new zero body for the command id, or nil when id is unknown.")
	g.p("// The ID of a Bind or BindResp is set to id.")
	g.p("func New(id CommandID) PDU {")
	g.p("switch id {")
	for _, b := range bodies {
		for _, c := range b.cmds {
			g.p("case %s:", c.id)
			if b.hasID {
				g.p("return &%s{ID: %s}", c.goType, c.id)
			} else {
				g.p("return &%s{}", c.goType)
			}
		}
	}
	g.p("}")
	g.p("return nil")
	g.p("}")
	g.p("")
	g.p("// decodeBody decodes into p when it is a body of this package, and reports")
	g.p("// whether it was.")
	g.p("func decodeBody(p PDU, dec *decoder) bool {")
	g.p("switch q := p.(type) {")
	for _, b := range bodies {
		if b.element {
			continue
		}
		for _, t := range b.types() {
			g.p("case *%s:", t)
			g.p("q.decode(dec)")
		}
	}
	g.p("default:")
	g.p("return false")
	g.p("}")
	g.p("return true")
	g.p("}")
	for _, b := range bodies {
		switch {
		case b.handwritten:
		case b.element:
			g.element(b)
		case len(b.fields) == 0:
			g.headerOnly(b)
		default:
			g.body(b)
		}
	}
}

// recv returns the receiver name of t: the one its hand-written methods use,
// else its first letter.
func (g *gen) recv(t string) string {
	if r := g.pkg.receiver[t]; r != "" {
		return r
	}
	return strings.ToLower(t[:1])
}

func (b *body) names() string {
	var s []string
	for _, c := range b.cmds {
		s = append(s, c.spec)
	}
	return strings.Join(s, ", ")
}

func (g *gen) headerOnly(b *body) {
	t, c := b.goType, b.cmds[0]
	r := g.recv(t)
	g.p("")
	g.p("// --- %s ---", b.names())
	g.p("")
	g.p("// CommandID returns %s.", c.id)
	g.p("func (*%s) CommandID() CommandID { return %s }", t, c.id)
	g.p("")
	g.p("// AppendBinary appends nothing: the PDU is its header.")
	g.p("func (*%s) AppendBinary(dst []byte) ([]byte, error) { return dst, nil }", t)
	g.p("")
	g.p("// UnmarshalBinary checks that body is empty.")
	g.p("func (%s *%s) UnmarshalBinary(body []byte) error {", r, t)
	g.p("dec := decoder{src: body, cmd: %s.CommandID()}", r)
	g.p("%s.decode(&dec)", r)
	g.p("return dec.err")
	g.p("}")
	g.p("")
	g.p("func (*%s) decode(dec *decoder) { dec.end() }", t)
}

func (g *gen) body(b *body) {
	t := b.goType
	r := g.recv(t)
	types := b.types()
	shared := len(types) > 1
	fast := !b.has(kindList)
	g.p("")
	g.p("// --- %s ---", b.names())
	if !b.hasID {
		for _, c := range b.cmds {
			g.p("")
			g.p("// CommandID returns %s.", c.id)
			g.p("func (*%s) CommandID() CommandID { return %s }", c.goType, c.id)
		}
	}

	// Encoding.
	for _, c := range b.cmds {
		if c.goType != t {
			rr := g.recv(c.goType)
			g.p("")
			g.p("// AppendBinary appends the body to dst.")
			g.p("func (%s *%s) AppendBinary(dst []byte) ([]byte, error) {", rr, c.goType)
			g.p("return (*%s)(%s).appendAs(dst, %s)", t, rr, c.id)
			g.p("}")
		}
	}
	id := b.cmds[0].id
	if b.hasID {
		id = r + ".CommandID()"
	}
	g.p("")
	g.p("// AppendBinary appends the body to dst.")
	g.p("func (%s *%s) AppendBinary(dst []byte) ([]byte, error) {", r, t)
	switch {
	case shared:
		g.p("return %s.appendAs(dst, %s)", r, id)
	case fast:
		g.p("if out, ok := %s.appendValid(dst); ok {", r)
		g.p("return out, nil")
		g.p("}")
		g.p("return %s.appendChecked(dst, %s)", r, id)
	default:
		g.p("return %s.appendChecked(dst, %s)", r, id)
	}
	g.p("}")
	if shared {
		g.p("")
		g.p("// appendAs appends the body of command id to dst.")
		g.p("func (%s *%s) appendAs(dst []byte, id CommandID) ([]byte, error) {", r, t)
		if fast {
			g.p("if out, ok := %s.appendValid(dst); ok {", r)
			g.p("return out, nil")
			g.p("}")
		}
		g.p("return %s.appendChecked(dst, id)", r)
		g.p("}")
	}
	g.p("")
	g.p("// appendChecked appends the body field by field, checking each: the first")
	g.p("// field out of its bounds gives the error, and dst is returned as it was.")
	g.p("func (%s *%s) appendChecked(dst []byte, id CommandID) ([]byte, error) {", r, t)
	g.p("enc := newEncoder(dst, id)")
	g.encodeFields(b, r, "&enc")
	g.p("return enc.done()")
	g.p("}")
	if fast {
		g.appendValid(b, r)
	}

	// Decoding.
	for _, typ := range types {
		rr := g.recv(typ)
		g.p("")
		if b.optional {
			g.p("// UnmarshalBinary decodes body; an empty body (an error response) decodes")
			g.p("// as the zero body. Strings and slices alias body.")
		} else {
			g.p("// UnmarshalBinary decodes body strictly; strings and slices alias body.")
		}
		g.p("func (%s *%s) UnmarshalBinary(body []byte) error {", rr, typ)
		g.p("dec := decoder{src: body, cmd: %s.CommandID()}", rr)
		g.p("%s.decode(&dec)", rr)
		g.p("return dec.err")
		g.p("}")
		if typ != t {
			g.p("")
			g.p("func (%s *%s) decode(dec *decoder) { (*%s)(%s).decode(dec) }", rr, typ, t, rr)
		}
	}
	g.p("")
	g.p("func (%s *%s) decode(dec *decoder) {", r, t)
	if b.optional {
		g.p("if len(dec.src) == 0 {")
		for _, f := range b.fields {
			switch f.kind {
			case kindU8, kindU32:
				g.p("%s.%s = 0", r, f.goName)
			case kindCString, kindTime:
				g.p("%s.%s = \"\"", r, f.goName)
			case kindOctets:
				g.p("%s.%s = nil", r, f.goName)
			case kindList, kindTLVs:
				g.p("%s.%s = %s.%s[:0]", r, f.goName, r, f.goName)
			}
		}
		g.p("return")
		g.p("}")
	}
	g.decodeFields(b, r)
	if !b.has(kindTLVs) {
		g.p("dec.end()")
	}
	g.p("}")

	// Clone.
	for _, typ := range types {
		rr := g.recv(typ)
		g.p("")
		g.p("// Clone returns a copy that shares no memory with %s.", rr)
		g.p("func (%s *%s) Clone() *%s {", rr, typ, typ)
		g.p("cp := *%s", rr)
		if typ == t {
			g.p("cp.cloneFields()")
		} else {
			g.p("(*%s)(&cp).cloneFields()", t)
		}
		g.p("return &cp")
		g.p("}")
	}
	g.cloneFields(b, r)
}

func (g *gen) element(b *body) {
	t := b.goType
	r := g.recv(t)
	g.p("")
	g.p("// --- %s entries ---", t)
	g.p("")
	g.p("func (%s *%s) encode(enc *encoder) {", r, t)
	g.encodeFields(b, r, "enc")
	g.p("}")
	g.p("")
	g.p("func (%s *%s) decode(dec *decoder) {", r, t)
	g.decodeFields(b, r)
	g.p("}")
	g.cloneFields(b, r)
}

// conv returns the expression of field f of r as a value of type to.
func conv(r string, f field, to string) string {
	if f.goType != "" {
		return to + "(" + r + "." + f.goName + ")"
	}
	return r + "." + f.goName
}

// encodeFields writes the field-by-field encoding of b's fields; enc is the
// *encoder expression.
func (g *gen) encodeFields(b *body, r, enc string) {
	e := strings.TrimPrefix(enc, "&")
	for _, f := range b.fields {
		v := r + "." + f.goName
		switch f.kind {
		case kindU8:
			g.p("%s.u8(%s)", e, conv(r, f, "uint8"))
		case kindU32:
			g.p("%s.u32(%s)", e, conv(r, f, "uint32"))
		case kindCString:
			g.p("%s.cstring(%q, %s, %d, %s)", e, f.spec, v, f.size, f.status)
		case kindTime:
			g.p("%s.timeString(%q, %s, %s)", e, f.spec, v, f.status)
		case kindOctets:
			g.p("%s.lengthOctets(%q, %s, %d, %s)", e, f.spec, v, f.size, f.status)
		case kindList:
			var cond []string
			if f.min > 0 {
				cond = append(cond, fmt.Sprintf("n < %d", f.min))
			}
			cond = append(cond, fmt.Sprintf("n > %d", f.size))
			g.p("if n := len(%s); %s {", v, strings.Join(cond, " || "))
			g.p("%s.fail(%q, %s, ErrBadValue)", e, f.count, f.status)
			g.p("}")
			g.p("%s.u8(uint8(len(%s)))", e, v)
			g.p("for i := range %s {", v)
			g.p("%s[i].encode(%s)", v, enc)
			g.p("}")
		case kindTLVs:
			g.p("%s.tlvs(%s)", e, v)
		}
	}
}

func (g *gen) decodeFields(b *body, r string) {
	for _, f := range b.fields {
		v := r + "." + f.goName
		switch f.kind {
		case kindU8, kindU32:
			call := fmt.Sprintf("dec.%s(%q)", kindName(f.kind), f.spec)
			if f.goType != "" {
				call = f.goType + "(" + call + ")"
			}
			g.p("%s = %s", v, call)
		case kindCString:
			size := f.size
			if f.decode != 0 {
				size = f.decode
			}
			g.p("%s = dec.cstring(%q, %d, %s, %v)", v, f.spec, size, f.status, f.lastNUL)
		case kindTime:
			g.p("%s = dec.timeString(%q, %s)", v, f.spec, f.status)
		case kindOctets:
			g.p("%s = dec.lengthOctets(%q, %q, %d, %s)", v, f.count, f.spec, f.size, f.status)
		case kindList:
			n := "n" + f.goName
			g.p("%s := dec.u8(%q)", n, f.count)
			var cond []string
			if f.min > 0 {
				cond = append(cond, fmt.Sprintf("%s < %d", n, f.min))
			}
			if f.size < 255 {
				cond = append(cond, fmt.Sprintf("%s > %d", n, f.size))
			}
			if f.checkDecode && len(cond) > 0 {
				g.p("if dec.err == nil && (%s) {", strings.Join(cond, " || "))
				g.p("dec.fail(%q, %s, ErrBadValue)", f.count, f.status)
				g.p("}")
			}
			g.p("%s = %s[:0]", v, v)
			g.p("for i := 0; i < int(%s) && dec.err == nil; i++ {", n)
			g.p("var e %s", f.goType)
			g.p("e.decode(dec)")
			g.p("%s = append(%s, e)", v, v)
			g.p("}")
		case kindTLVs:
			g.p("%s = dec.tlvs(%s)", v, v)
		}
	}
}

func kindName(k kind) string {
	for n, kk := range kindNames {
		if kk == k {
			return n
		}
	}
	return ""
}

func (g *gen) cloneFields(b *body, r string) {
	var lines []string
	for _, f := range b.fields {
		v := r + "." + f.goName
		switch f.kind {
		case kindCString, kindTime:
			lines = append(lines, fmt.Sprintf("%s = clone(%s)", v, v))
		case kindOctets:
			lines = append(lines, fmt.Sprintf("%s = cloneBytes(%s)", v, v))
		case kindList:
			lines = append(lines, fmt.Sprintf("%s = cloneSlice(%s)", v, v))
		case kindTLVs:
			lines = append(lines, fmt.Sprintf("%s = %s.Clone()", v, v))
		}
	}
	g.p("")
	g.p("// cloneFields replaces the strings and slices of %s with copies.", r)
	if len(lines) == 0 {
		g.p("func (*%s) cloneFields() {}", b.goType)
		return
	}
	g.p("func (%s *%s) cloneFields() {", r, b.goType)
	for _, l := range lines {
		g.p("%s", l)
	}
	g.p("}")
}

// appendValid writes the one-pass encoder: when every field is within its
// bounds (the common case) it sizes the body, grows dst once and writes the
// fields at their offsets; otherwise it reports false and appendChecked
// names the field.
func (g *gen) appendValid(b *body, r string) {
	type v struct {
		local string
		f     field
	}
	var vars []v
	for _, f := range b.fields {
		if f.kind == kindCString || f.kind == kindTime || f.kind == kindOctets {
			vars = append(vars, v{lowerInitial(f.goName), f})
		}
	}
	g.p("")
	g.p("// appendValid appends the body in one pass when every field is within its")
	g.p("// bounds, which is the common case, and reports false otherwise (leaving dst")
	g.p("// as it was).")
	g.p("func (%s *%s) appendValid(dst []byte) ([]byte, bool) {", r, b.goType)
	var lhs, rhs, bad, nul []string
	fixed := 0
	for _, x := range vars {
		lhs = append(lhs, x.local)
		rhs = append(rhs, r+"."+x.f.goName)
		switch x.f.kind {
		case kindCString:
			bad = append(bad, fmt.Sprintf("len(%s) > %d", x.local, x.f.size-1))
			nul = append(nul, "hasNUL("+x.local+")")
			fixed++
		case kindTime:
			bad = append(bad, fmt.Sprintf("(len(%s) != 0 && len(%s) != 16)", x.local, x.local))
			nul = append(nul, "hasNUL("+x.local+")")
			fixed++
		case kindOctets:
			bad = append(bad, fmt.Sprintf("len(%s) > %d", x.local, x.f.size))
			fixed++
		}
	}
	g.p("%s := %s", strings.Join(lhs, ", "), strings.Join(rhs, ", "))
	g.p("if %s {", strings.Join(append(bad, nul...), " ||\n"))
	g.p("return dst, false")
	g.p("}")
	var sum []string
	for _, x := range vars {
		sum = append(sum, "len("+x.local+")")
	}
	for _, f := range b.fields {
		switch f.kind {
		case kindU8:
			fixed++
		case kindU32:
			fixed += 4
		}
	}
	g.p("n := %s + %d", strings.Join(sum, " + "), fixed)
	g.p("start := len(dst)")
	g.p("dst = slices.Grow(dst, n)[:start+n]")
	g.p("w := dst[start:]")

	// Offsets are base+k: base is "" (0) or "i", the index after the last
	// variable-length field written.
	base, k, declared := "", 0, false
	off := func(j int) string {
		switch {
		case base == "":
			return strconv.Itoa(k + j)
		case k+j == 0:
			return base
		}
		return base + "+" + strconv.Itoa(k+j)
	}
	var run []string // values of the fixed octets not yet written
	flush := func() {
		if len(run) == 0 {
			return
		}
		var at []string
		for j := range run {
			at = append(at, "w["+off(j)+"]")
		}
		g.p("%s = %s", strings.Join(at, ", "), strings.Join(run, ", "))
		k += len(run)
		run = nil
	}
	assign := func(last bool, expr string) {
		switch {
		case last:
			g.p("%s", expr)
		case declared:
			g.p("i = %s", expr)
		default:
			g.p("i := %s", expr)
			declared = true
		}
		base, k = "i", 0
	}
	// last reports whether no variable-length field or fixed octet follows
	// field i.
	var fields []field
	for _, f := range b.fields {
		if f.kind != kindTLVs && f.kind != kindLocal {
			fields = append(fields, f)
		}
	}
	lastVar := -1
	for i, f := range fields {
		if f.kind == kindCString || f.kind == kindTime || f.kind == kindOctets {
			lastVar = i
		}
	}
	for i, f := range fields {
		last := i == lastVar && i == len(fields)-1
		switch f.kind {
		case kindU8:
			run = append(run, conv(r, f, "uint8"))
		case kindU32:
			x := conv(r, f, "uint32")
			run = append(run, "byte("+x+">>24)", "byte("+x+">>16)", "byte("+x+">>8)", "byte("+x+")")
		case kindCString, kindTime:
			flush()
			assign(last, fmt.Sprintf("putCString(w, %s, %s)", off(0), lowerInitial(f.goName)))
		case kindOctets:
			local := lowerInitial(f.goName)
			run = append(run, "byte(len("+local+"))")
			flush()
			if last {
				g.p("copy(w[%s:], %s)", off(0), local)
				base, k = "i", 0
			} else {
				assign(false, fmt.Sprintf("%s + copy(w[%s:], %s)", off(0), off(0), local))
			}
		}
	}
	flush()
	if i := slices.IndexFunc(b.fields, func(f field) bool { return f.kind == kindTLVs }); i >= 0 {
		tl := r + "." + b.fields[i].goName
		g.p("if len(%s) == 0 {", tl)
		g.p("return dst, true")
		g.p("}")
		g.p("out, err := %s.AppendBinary(dst)", tl)
		g.p("if err != nil {")
		g.p("return dst[:start], false")
		g.p("}")
		g.p("return out, true")
	} else {
		g.p("return dst, true")
	}
	g.p("}")
}

// lowerInitial lower-cases the first word of an identifier, initialisms
// whole: "SourceAddr" -> "sourceAddr", "ESMEAddr" -> "esmeAddr",
// "MessageID" -> "messageID".
func lowerInitial(s string) string {
	n := 0
	for n < len(s) && s[n] >= 'A' && s[n] <= 'Z' {
		n++
	}
	if n > 1 && n < len(s) {
		n-- // the last capital starts the next word
	}
	return strings.ToLower(s[:n]) + s[n:]
}
