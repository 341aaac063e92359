package upstream

import (
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// appendReceipt appends the body of the deliver_sm that carries an
// upstream receipt to the ESME: the upstream's receipt with only the
// message id changed (in the text and in receipted_message_id), and only
// the TLVs that SMPP 3.4 allows in deliver_sm (some client libraries fail
// on others). The receipt itself is not changed. Besides dst's growth it
// allocates the space for the new id and text, once.
func appendReceipt(dst []byte, in *pdu.DeliverSM, id string) ([]byte, error) {
	out := *in
	var fields [8]tlv.Field // enough for a receipt's TLVs, on the stack
	var scratch [160]byte   // the new receipted_message_id and text
	buf := scratch[:0]
	out.TLVs = fields[:0]
	for _, f := range in.TLVs {
		switch {
		case !deliverSMTLV(f.Tag):
			continue
		case f.Tag == tlv.ReceiptedMessageID:
			n := len(buf)
			buf = append(append(buf, id...), 0)
			f.Value = buf[n:len(buf):len(buf)]
		case f.Tag == tlv.MessagePayload && len(in.ShortMessage) == 0:
			n := len(buf)
			buf = appendTextID(buf, f.Value, id)
			f.Value = buf[n:len(buf):len(buf)]
		}
		out.TLVs = append(out.TLVs, f)
	}
	if len(in.ShortMessage) > 0 {
		n := len(buf)
		buf = appendTextID(buf, in.ShortMessage, id)
		out.ShortMessage = buf[n:]
	}
	return out.AppendBinary(dst)
}

// appendTextID appends receipt text with the value of its id: field
// replaced by id to dst.
func appendTextID(dst, text []byte, id string) []byte {
	for j := 0; j+3 <= len(text); j++ {
		// The label, in any case, at the start or after a space.
		if (j > 0 && text[j-1] != ' ') || text[j]|0x20 != 'i' || text[j+1]|0x20 != 'd' || text[j+2] != ':' {
			continue
		}
		start := j + 3
		end := start
		for end < len(text) && text[end] != ' ' {
			end++
		}
		dst = append(dst, text[:start]...)
		dst = append(dst, id...)
		return append(dst, text[end:]...)
	}
	return append(dst, text...)
}

// deliverTLVs are the TLVs SMPP 3.4 defines for deliver_sm.
var deliverTLVs = map[tlv.Tag]bool{
	tlv.UserMessageReference: true, tlv.SourcePort: true, tlv.DestinationPort: true, tlv.SarMsgRefNum: true,
	tlv.SarTotalSegments: true, tlv.SarSegmentSeqnum: true, tlv.UserResponseCode: true, tlv.PrivacyIndicator: true,
	tlv.PayloadType: true, tlv.MessagePayload: true, tlv.CallbackNum: true, tlv.SourceSubaddress: true,
	tlv.DestSubaddress: true, tlv.LanguageIndicator: true, tlv.ItsSessionInfo: true, tlv.NetworkErrorCode: true,
	tlv.MessageState: true, tlv.ReceiptedMessageID: true, tlv.UssdServiceOp: true,
}

// deliverSMTLV reports whether SMPP 3.4 defines t for deliver_sm.
func deliverSMTLV(t tlv.Tag) bool { return deliverTLVs[t] }

// deliverSMTLVs keeps, in place, the TLVs that SMPP 3.4 defines for
// deliver_sm: some ESMEs (python smpplib) fail on any other tag, and an
// operator's vendor TLVs mean nothing to the gateway's customers.
func deliverSMTLVs(l tlv.List) tlv.List {
	out := l[:0]
	for _, f := range l {
		if deliverSMTLV(f.Tag) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}
