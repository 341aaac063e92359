package bodygen

import (
	"fmt"
	"strings"
)

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
