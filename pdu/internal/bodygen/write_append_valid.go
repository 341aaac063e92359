package bodygen

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

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
