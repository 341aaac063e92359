package httpapi

import (
	"errors"
	"fmt"
	"time"

	"github.com/esmsafrica/smpp/encoding"
	"github.com/esmsafrica/smpp/udh"
)

const (
	// maxReference is the longest client reference.
	maxReference = 64
	// maxAddress is the longest address SMPP 3.4 carries (source_addr and
	// destination_addr are C-octet strings of at most 21 octets).
	maxAddress = 20
	// maxUserData is the most octets of one binary message (UDH and data):
	// what one SMS carries over the air.
	maxUserData = 140
)

// refs numbers concatenated messages for every request of the process.
var refs udh.Counter

// submission checks a decoded request and returns what the Backend stores,
// or the first problem found, naming its field.
func (h *handler) submission(account string, req *SendRequest) (*Submission, string, *Error) {
	s := &Submission{Account: account, From: req.From, To: req.To, Receipt: req.Receipt == nil || *req.Receipt, Reference: req.Reference}
	if err := checkAddress("from", req.From); err != nil {
		return nil, "", err
	}
	if len(req.To) == 0 {
		return nil, "", Errorf(400, "missing_field", "to", "ESME_RINVDSTADR", "to is required: a destination address or a list of them")
	}
	if len(req.To) > h.o.MaxDestinations {
		return nil, "", Errorf(422, "too_many_destinations", "to", "ESME_RINVNUMDESTS", "%d destinations: at most %d per request", len(req.To), h.o.MaxDestinations)
	}
	for i, to := range req.To {
		if err := checkAddress(fmt.Sprintf("to[%d]", i), to); err != nil {
			return nil, "", err
		}
	}
	if len(req.Reference) > maxReference {
		return nil, "", Errorf(422, "reference_too_long", "reference", "", "%d characters: at most %d", len(req.Reference), maxReference)
	}
	if req.Validity != "" {
		d, err := time.ParseDuration(req.Validity)
		if err != nil || d <= 0 {
			return nil, "", Errorf(400, "bad_validity", "validity", "ESME_RINVEXPIRY", "%q: want a positive duration such as \"30m\" or \"48h\"", req.Validity)
		}
		s.Validity = d
	}
	var enc string
	var err *Error
	switch {
	case req.Text != nil && req.Binary != nil:
		return nil, "", Errorf(400, "text_and_binary", "binary", "", "give text or binary, not both")
	case req.Text != nil:
		s.Segments, enc, err = h.splitText(*req.Text)
	case req.Binary != nil:
		s.Segments, err = binarySegment(req.Binary)
		enc = "binary"
	default:
		return nil, "", Errorf(400, "missing_field", "text", "", "text (or binary) is required")
	}
	if err != nil {
		return nil, "", err
	}
	return s, enc, nil
}

func checkAddress(field, a string) *Error {
	st := "ESME_RINVDSTADR"
	if field == "from" {
		st = "ESME_RINVSRCADR"
	}
	switch {
	case a == "":
		return Errorf(400, "missing_field", field, st, "%s is required", field)
	case len(a) > maxAddress+1 || (len(a) == maxAddress+1 && a[0] != '+'):
		return Errorf(422, "bad_address", field, st, "%q is longer than SMPP's %d characters", a, maxAddress)
	}
	for _, r := range a {
		if r < 0x20 || r > 0x7e {
			return Errorf(422, "bad_address", field, st, "%q: an address is printable ASCII", a)
		}
	}
	return nil
}

// splitText encodes and splits text as client.SendText does by default:
// GSM 7-bit when every character has one, else UCS-2; a concatenation UDH
// with an 8-bit reference beyond one segment.
func (h *handler) splitText(text string) ([]Segment, string, *Error) {
	if text == "" {
		return nil, "", Errorf(400, "empty_text", "text", "ESME_RINVMSGLEN", "text is empty")
	}
	msg, err := udh.Split(text, udh.Options{Refs: &refs, MaxSegments: h.o.MaxSegments})
	switch {
	case errors.Is(err, udh.ErrTooManySegments):
		return nil, "", Errorf(422, "text_too_long", "text", "ESME_RINVMSGLEN",
			"the text needs more than %d segments (the gateway's http_api.max_segments): shorten it", h.o.MaxSegments)
	case err != nil:
		return nil, "", Errorf(422, "bad_text", "text", "ESME_RINVMSGLEN", "the text cannot be encoded: %v", err)
	}
	segs := make([]Segment, len(msg.Segments))
	for i, s := range msg.Segments {
		segs[i] = Segment{ShortMessage: s.ShortMessage, DataCoding: s.DataCoding, UDHI: s.UDHI}
	}
	return segs, alphabetName(msg.Encoding.Alphabet), nil
}

func alphabetName(a encoding.Alphabet) string {
	switch a {
	case encoding.GSM7:
		return "gsm7"
	case encoding.UCS2:
		return "ucs2"
	case encoding.Latin1:
		return "latin1"
	}
	return a.String()
}

// binarySegment checks a binary message: one segment of at most 140
// octets, a UDH whose length octet matches it.
func binarySegment(b *Binary) ([]Segment, *Error) {
	if len(b.Data) == 0 {
		return nil, Errorf(400, "missing_field", "binary.data", "ESME_RINVMSGLEN", "binary.data is required (base64)")
	}
	if len(b.UDH) > 0 && int(b.UDH[0]) != len(b.UDH)-1 {
		return nil, Errorf(422, "bad_udh", "binary.udh", "ESME_RINVESMCLASS", "the UDH's length octet says %d, the header has %d octets after it", b.UDH[0], len(b.UDH)-1)
	}
	if n := len(b.UDH) + len(b.Data); n > maxUserData {
		return nil, Errorf(422, "binary_too_long", "binary.data", "ESME_RINVMSGLEN", "%d octets of UDH and data: one message carries at most %d", n, maxUserData)
	}
	sm := append(append(make([]byte, 0, len(b.UDH)+len(b.Data)), b.UDH...), b.Data...)
	return []Segment{{ShortMessage: sm, DataCoding: b.DataCoding, UDHI: len(b.UDH) > 0}}, nil
}
