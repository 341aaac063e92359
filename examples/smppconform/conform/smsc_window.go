package conform

import (
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// window is the run's declared window.
func (t *T) window() int {
	if t.cfg.Window > 0 {
		return t.cfg.Window
	}
	return 10
}

// rate is the run's rate for the throttling cases.
func (t *T) rate() int {
	if t.cfg.Rate > 0 {
		return t.cfg.Rate
	}
	return 50
}

// burst writes n submit_sm at once and returns their responses' statuses by
// sequence number (the case failed when one is missing).
func burst(t *T, c *esmeConn, n int) map[uint32]frame {
	var raw []byte
	seqs := map[uint32]bool{}
	for range n {
		s := c.nextSeq()
		seqs[s] = true
		b, _ := pdu.AppendPDU(nil, s, 0, t.submitPDU("window"))
		raw = append(raw, b...)
	}
	if err := c.writeRaw(raw); err != nil {
		t.Fail("write: %v", err)
		return nil
	}
	got := map[uint32]frame{}
	for len(got) < n {
		f, err := c.next(t.timeout())
		if err != nil {
			t.Fail("%d of %d answered: %v", len(got), n, err)
			return nil
		}
		if !seqs[f.Sequence] || f.ID != pdu.SubmitSMRespID {
			t.Fail("unexpected %v", f)
			return nil
		}
		if _, dup := got[f.Sequence]; dup {
			t.Fail("sequence %d answered twice", f.Sequence)
			return nil
		}
		got[f.Sequence] = f
	}
	return got
}

func init() {
	Register(
		smsc("window", 1, "fields §14", "a full window of submit_sm is answered, each once",
			"Up to the window (3.4's guideline: about 10) requests may be outstanding; all are answered, each sequence_number once, accepted or pushed back with ESME_RTHROTTLED / ESME_RMSGQFUL.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				for s, f := range burst(t, c, t.window()) {
					if f.Status != pdu.ESME_ROK && f.Status != pdu.ESME_RTHROTTLED && f.Status != pdu.ESME_RMSGQFUL {
						t.Fail("sequence %d: %v", s, f)
					}
				}
			}),
		smsc("window", 2, "fields §14", "accepted messages in a window get distinct message_ids",
			"Every accepted submission of a window gets its own message_id.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				ids := map[string]bool{}
				for _, f := range burst(t, c, t.window()) {
					if f.Status != pdu.ESME_ROK {
						continue
					}
					p, err := f.decode()
					if err != nil {
						t.Fail("%v", err)
						return
					}
					id := p.(*pdu.SubmitSMResp).MessageID
					if ids[id] {
						t.Fail("message_id %q given twice", id)
					}
					ids[id] = true
				}
			}),
		smsc("window", 3, "status §3", "at the declared rate nothing but success or push-back comes back",
			"Below and at its rate an SMSC accepts; when it pushes back it says so with ESME_RTHROTTLED (0x58) or ESME_RMSGQFUL (0x14), nothing else, and answers at once.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				n := t.rate()
				gap := time.Second / time.Duration(n)
				for range n {
					f, err := c.call(t.submitPDU("paced"))
					if err != nil {
						t.Fail("%v", err)
						return
					}
					if f.Status != pdu.ESME_ROK && f.Status != pdu.ESME_RTHROTTLED && f.Status != pdu.ESME_RMSGQFUL {
						t.Fail("at the declared rate: %v", f)
						return
					}
					smscSleep(t, gap)
				}
			}),
		smsc("window", 4, "status §3", "beyond its rate the SMSC throttles with ESME_RTHROTTLED",
			"ESME_RTHROTTLED is the standard push-back on rate: three times the declared rate in one burst gets at least one ESME_RTHROTTLED (or ESME_RMSGQFUL), sent at once.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				for _, f := range burst(t, c, 3*t.rate()) {
					if f.Status == pdu.ESME_RTHROTTLED || f.Status == pdu.ESME_RMSGQFUL {
						return
					}
				}
				if !t.Failed() {
					t.Fail("%d submissions at once, none throttled", 3*t.rate())
				}
			}, "throttling"),
		smsc("window", 5, "status §3", "after throttling, a slower ESME is accepted again",
			"Throttling is temporary: after a pause of a second, a submission is accepted.",
			func(t *T) {
				c := bound(t, pdu.BindTransmitterID)
				if c == nil {
					return
				}
				defer c.close()
				burst(t, c, 3*t.rate())
				smscSleep(t, 1500*time.Millisecond)
				c.callOK(t.submitPDU("slower"))
			}, "throttling"),
	)
}
