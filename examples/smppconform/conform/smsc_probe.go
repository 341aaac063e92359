package conform

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// Section numbers of the SMSC cases name the files of the offline
// specification notes: "pdus §4.3" is §4.3 of smpp34-pdus.md, "fields",
// "status" and "tlv" are smpp34-fields.md, smpp34-status.md and
// smpp34-tlv.md.

// smsc builds an SMSC-role case with the id "smsc.<group>.<n>".
func smsc(group string, n int, section, title, rationale string, run func(*T), needs ...string) *Case {
	return &Case{ID: fmt.Sprintf("smsc.%s.%d", group, n), Role: SMSC, Group: group,
		Section: section, Title: title, Rationale: rationale, Needs: needs, Run: run}
}

// probe is the shape of most SMSC cases: on a connection bound as Bind (or
// not bound, when Bind is zero), send one request, check the status of what
// comes back, and optionally check that the stream is still in step.
type probe struct {
	// Bind is the bind type to use first; zero sends on an unbound
	// connection.
	Bind pdu.CommandID
	// Req is the request; Raw, when set, is used instead and builds the
	// whole PDU from the sequence number. RawID is the command_id whose
	// response is expected for a raw request.
	Req   pdu.PDU
	Raw   func(seq uint32) []byte
	RawID pdu.CommandID
	// Want are the statuses accepted in the response.
	Want []pdu.Status
	// Nack accepts a generic_nack with one of Want.
	Nack bool
	// CloseOK accepts the SMSC closing the connection instead of answering.
	CloseOK bool
	// Sync checks afterwards that an enquire_link is still answered (the
	// stream kept its framing).
	Sync bool
	// Check, when set, looks at the response too.
	Check func(t *T, f frame)
}

func statusList(ss []pdu.Status) string {
	if len(ss) > 8 {
		return "a status among " + fmt.Sprint(len(ss))
	}
	var b []string
	for _, s := range ss {
		b = append(b, s.String())
	}
	return strings.Join(b, " or ")
}

// run plays the probe.
func (p probe) run(t *T) {
	var c *esmeConn
	if p.Bind != 0 {
		c = bound(t, p.Bind)
	} else {
		c = dial(t)
	}
	if c == nil {
		return
	}
	defer c.close()
	id := p.RawID
	seq := c.nextSeq()
	var err error
	if p.Raw != nil {
		err = c.writeRaw(p.Raw(seq))
	} else {
		id = p.Req.CommandID()
		err = c.sendSeq(seq, pdu.ESME_ROK, p.Req)
	}
	if err != nil {
		t.Fail("send %v: %v", id, err)
		return
	}
	f, err := c.expect(seq)
	if err != nil {
		if p.CloseOK && errors.Is(err, errClosed) {
			t.Logf("the SMSC closed the connection")
			return
		}
		t.Fail("%v", err)
		return
	}
	okID := f.ID == id.Response() || (p.Nack && f.ID == pdu.GenericNackID)
	if !okID || !slices.Contains(p.Want, f.Status) {
		want := id.Response().String()
		if p.Nack {
			want += " or generic_nack"
		}
		t.Fail("got %v, want %v with %v", f, want, statusList(p.Want))
		return
	}
	if p.Check != nil {
		p.Check(t, f)
	}
	if p.Sync {
		checkInSync(t, c)
	}
}

// checkInSync sends an enquire_link and fails unless its response comes
// back: the SMSC still reads the stream PDU by PDU.
func checkInSync(t *T, c *esmeConn) {
	f, err := c.call(&pdu.EnquireLink{})
	if err != nil {
		t.Fail("the stream is out of step afterwards: enquire_link: %v", err)
		return
	}
	if f.ID != pdu.EnquireLinkRespID {
		t.Fail("the stream is out of step afterwards: enquire_link answered with %v", f)
	}
}

// okOnly is ESME_ROK alone.
var okOnly = []pdu.Status{pdu.ESME_ROK}

// st is a list of statuses.
func st(s ...pdu.Status) []pdu.Status { return s }

// submitBody is a submit_sm body with a change applied.
func (t *T) submitWith(change func(*pdu.SubmitSM)) *pdu.SubmitSM {
	sm := t.submitPDU("conformance")
	change(sm)
	return sm
}

// rawSubmit builds a raw submit_sm whose fields are given as octets, for
// values the encoder refuses.
type rawSubmit struct {
	ServiceType, Source, Dest string
	ESMClass, Priority        byte
	Schedule, Validity        string
	Registered, Replace       byte
	DataCoding                byte
	SMLength                  int // -1: len(Short)
	Short                     []byte
	TLVs                      []byte
}

// newRawSubmit is a valid raw submit_sm of the run's addresses.
func (t *T) newRawSubmit() rawSubmit {
	return rawSubmit{Source: t.cfg.SourceAddr, Dest: t.cfg.DestAddr, SMLength: -1, Short: []byte("conformance")}
}

func cstr(b []byte, s string) []byte { return append(append(b, s...), 0) }

// bytes encodes the body.
func (r rawSubmit) bytes() []byte {
	var b []byte
	b = cstr(b, r.ServiceType)
	b = append(b, 1, 1)
	b = cstr(b, r.Source)
	b = append(b, 1, 1)
	b = cstr(b, r.Dest)
	b = append(b, r.ESMClass, 0, r.Priority)
	b = cstr(b, r.Schedule)
	b = cstr(b, r.Validity)
	b = append(b, r.Registered, r.Replace, r.DataCoding, 0)
	n := r.SMLength
	if n < 0 {
		n = len(r.Short)
	}
	b = append(b, byte(n))
	b = append(b, r.Short...)
	return append(b, r.TLVs...)
}

// pduFn returns a Raw function sending it as submit_sm.
func (r rawSubmit) pduFn() func(uint32) []byte {
	return func(seq uint32) []byte { return rawPDU(0, pdu.SubmitSMID, 0, seq, r.bytes()) }
}

// tlvBytes encodes one TLV as octets, whatever its length says.
func tlvBytes(tag uint16, length uint16, v []byte) []byte {
	return append([]byte{byte(tag >> 8), byte(tag), byte(length >> 8), byte(length)}, v...)
}

// submitRaw is a probe of a raw submit_sm on a transmitter bind.
func submitRaw(r rawSubmit, want ...pdu.Status) probe {
	return probe{Bind: pdu.BindTransmitterID, Raw: r.pduFn(), RawID: pdu.SubmitSMID, Want: want, Nack: true, Sync: true}
}

// slack is added to a declared timer before a case calls it broken.
func slack(d time.Duration) time.Duration { return d + d/2 + 2*time.Second }
