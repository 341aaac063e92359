package encoding

// packer packs septets into octets, least significant bit first.
type packer struct {
	acc   uint32
	nbits uint
	n     int  // septets written
	last  byte // last septet written
}

func (p *packer) put(dst []byte, c byte) []byte {
	p.acc |= uint32(c&0x7F) << p.nbits
	p.nbits += 7
	p.n++
	p.last = c
	if p.nbits >= 8 {
		dst = append(dst, byte(p.acc))
		p.acc >>= 8
		p.nbits -= 8
	}
	return dst
}

// finish applies the CR rule of TS 23.038 §6.1.2.3.1 and flushes the last
// partial octet: seven spare bits are filled with CR, and a text whose last
// septet is CR or @ and ends exactly on an octet boundary gets one more CR, so
// that a receiver stripping padding does not eat it.
func (p *packer) finish(dst []byte) []byte {
	if p.n > 0 {
		switch {
		case p.nbits == 1:
			dst = p.put(dst, '\r')
		case p.nbits == 0 && (p.last == '\r' || p.last == 0):
			dst = p.put(dst, '\r')
		}
	}
	if p.nbits > 0 && p.n > 0 {
		dst = append(dst, byte(p.acc))
	}
	*p = packer{}
	return dst
}

// FillBits returns the number of zero bits that align GSM 7-bit text on a
// septet boundary after a user data header of headerOctets octets (UDHL
// included): (7 − 8·headerOctets mod 7) mod 7. A 6-octet header needs 1 fill
// bit, a 7-octet header none.
func FillBits(headerOctets int) int {
	return (7 - (8*headerOctets)%7) % 7
}

// PackedLen returns the number of octets n septets take when packed after
// fillBits fill bits, before the CR rule adds a padding septet.
func PackedLen(n, fillBits int) int {
	return (fillBits + 7*n + 7) / 8
}

// PackSeptets appends septets (one per octet, top bit ignored) packed eight to
// seven octets to dst, after fillBits (0–6) zero fill bits. It follows the CR
// rule of TS 23.038 §6.1.2.3.1: when the last octet would have seven spare bits
// they carry CR instead of zeros, and when the text ends exactly on an octet
// boundary with CR or @ one more CR is added, so that a receiver's padding
// removal (see UnpackSeptets) keeps the real character.
func PackSeptets(dst, septets []byte, fillBits int) []byte {
	p := packer{nbits: uint(fillBits % 7)}
	for _, c := range septets {
		dst = p.put(dst, c)
	}
	return p.finish(dst)
}

// packedCount returns the number of septets in packed (after fillBits fill
// bits), dropping a final padding septet: when the octets hold a whole number
// of septets exactly, a last septet of CR or 0x00 is padding (TS 23.038
// §6.1.2.3.1 and the practice of senders that pad with zeros).
func packedCount(packed []byte, fillBits int) int {
	bits := 8*len(packed) - fillBits%7
	if bits < 7 {
		return 0
	}
	n := bits / 7
	if bits%7 == 0 {
		if last := septetAt(packed, fillBits%7, n-1); last == '\r' || last == 0 {
			n--
		}
	}
	return n
}

// septetAt returns septet i of packed after fill fill bits.
func septetAt(packed []byte, fill, i int) byte {
	bit := fill + 7*i
	k := bit >> 3
	v := uint16(packed[k])
	if k+1 < len(packed) {
		v |= uint16(packed[k+1]) << 8
	}
	return byte(v>>(bit&7)) & 0x7F
}

// UnpackSeptets appends the septets packed in src after fillBits (0–6) fill
// bits to dst, one per octet. Because SMPP gives only the octet count, a final
// septet that exactly fills the last octet is taken as padding when it is CR or
// 0x00 (see PackSeptets).
func UnpackSeptets(dst, src []byte, fillBits int) []byte {
	fill := fillBits % 7
	n := packedCount(src, fill)
	for i := range n {
		dst = append(dst, septetAt(src, fill, i))
	}
	return dst
}
