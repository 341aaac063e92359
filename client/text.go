package client

import (
	"context"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
	"github.com/esmsafrica/smpp/udh"
)

// SendText sends a text message from one address to another and returns the
// message id of each segment, in order.
//
// It picks the cheapest encoding for the text (GSM 7-bit, in the SMSC's
// default alphabet as Config.Default says, national tables and Latin-1 when
// Config.Encoding allows them, else UCS-2), splits a long text as
// Config.Split says (a UDH with an 8- or 16-bit reference, SAR TLVs, or one
// message_payload), numbers the segments with one reference from the
// client's counter, asks for receipts per Config.RegisteredDelivery, and
// submits the segments concurrently.
//
// Addresses: "+" followed by digits is international (TON 1, NPI 1, sent
// without the "+"); digits alone are sent with TON 0 (unknown) and NPI 1;
// anything else is alphanumeric (TON 5, NPI 0). Use SendTextWith to set them
// and the other submit_sm fields yourself.
//
// On error, ids holds the ids of the segments that were accepted (an empty
// string for the others), and err is the first segment's error, as for Submit.
func (c *Client) SendText(ctx context.Context, from, to, text string) (ids []string, err error) {
	sm := pdu.SubmitSM{RegisteredDelivery: c.cfg.RegisteredDelivery}
	sm.SourceAddrTON, sm.SourceAddrNPI, sm.SourceAddr = ParseAddress(from)
	sm.DestAddrTON, sm.DestAddrNPI, sm.DestinationAddr = ParseAddress(to)
	return c.SendTextWith(ctx, &sm, text)
}

// SendTextWith is SendText with every submit_sm field but the user data
// taken from tmpl (addresses, TON/NPI, service_type, validity,
// registered_delivery, TLVs...): tmpl's ShortMessage and DataCoding are
// ignored, the UDHI bit is added to its ESMClass when a segment starts with a
// UDH. tmpl is not modified.
func (c *Client) SendTextWith(ctx context.Context, tmpl *pdu.SubmitSM, text string) (ids []string, err error) {
	sp, _ := c.splitter.Get().(*udh.Splitter)
	if sp == nil {
		sp = udh.NewSplitter(c.splitOptions())
	}
	msg, err := sp.Split(text)
	if err != nil {
		c.splitter.Put(sp)
		return nil, err
	}
	n := len(msg.Segments)
	size := 0
	for _, s := range msg.Segments {
		size += len(s.ShortMessage) + len(s.MessagePayload)
	}
	buf := make([]byte, 0, size) // the segments outlive the splitter's buffer
	subs := make([]pdu.SubmitSM, n)
	for i, seg := range msg.Segments {
		s := &subs[i]
		*s = *tmpl
		if seg.MessagePayload != nil || seg.HasSAR {
			s.TLVs = append(tlv.List(nil), tmpl.TLVs...) // never tmpl's
		}
		s.DataCoding = seg.DataCoding
		s.ShortMessage = nil
		if seg.UDHI {
			s.ESMClass |= 0x40
		}
		if seg.MessagePayload != nil {
			start := len(buf)
			buf = append(buf, seg.MessagePayload...)
			s.TLVs.SetMessagePayload(buf[start:len(buf):len(buf)])
		} else {
			start := len(buf)
			buf = append(buf, seg.ShortMessage...)
			s.ShortMessage = buf[start:len(buf):len(buf)]
		}
		if seg.HasSAR {
			s.TLVs.SetSAR(seg.SAR)
		}
	}
	c.splitter.Put(sp)

	if n == 1 {
		r, err := c.Submit(ctx, &subs[0])
		if err != nil {
			return []string{""}, err
		}
		return []string{r.MessageID}, nil
	}
	fs := make([]*Future[*pdu.SubmitSMResp], n)
	for i := range subs {
		fs[i] = c.SubmitAsync(ctx, &subs[i])
	}
	ids = make([]string, n)
	for i, f := range fs {
		<-f.Done()
		r, e := f.Result()
		if e != nil {
			if err == nil {
				err = e
			}
			continue
		}
		ids[i] = r.MessageID
	}
	return ids, err
}

func (c *Client) splitOptions() udh.Options {
	o := udh.Options{
		Refs:            &c.refs,
		Encoding:        c.cfg.Encoding,
		Default:         c.cfg.Default,
		MaxSegments:     c.cfg.MaxSegments,
		MaxShortMessage: c.cfg.MaxShortMessage,
	}
	switch c.cfg.Split {
	case SplitUDH16:
		o.Ref16 = true
	case SplitSAR:
		o.Method, o.Ref16 = udh.SARTLVs, true
	case SplitPayload:
		o.Method = udh.MessagePayload
	}
	return o
}

// ParseAddress returns the TON, NPI and address to send for an address as a
// user writes it: "+254700000001" is international (TON 1, NPI 1, without the
// +), "0700000001" or "1000" is unknown/ISDN (TON 0, NPI 1), and anything with
// letters, "MyBrand", is alphanumeric (TON 5, NPI 0). SendText uses it for
// from and to.
func ParseAddress(a string) (ton, npi uint8, addr string) {
	if a == "" {
		return 0, 0, ""
	}
	if a[0] == '+' && digits(a[1:]) {
		return 1, 1, a[1:]
	}
	if digits(a) {
		return 0, 1, a
	}
	return 5, 0, a
}

func digits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
