package upstream

import (
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// rewriteReceipt returns a copy of an upstream receipt with only the message
// id changed (in the text and in receipted_message_id), and only the TLVs
// that SMPP 3.4 allows in deliver_sm (some client libraries fail on others).
func rewriteReceipt(in *pdu.DeliverSM, id string) *pdu.DeliverSM {
	out := *in
	out.TLVs = nil
	for _, f := range in.TLVs {
		if !deliverSMTLV(f.Tag) {
			continue
		}
		if f.Tag == tlv.ReceiptedMessageID {
			f.Value = append([]byte(id), 0)
		}
		out.TLVs = append(out.TLVs, f)
	}
	if len(in.ShortMessage) > 0 {
		out.ShortMessage = replaceTextID(in.ShortMessage, id)
	} else if p, ok := in.TLVs.MessagePayload(); ok {
		out.TLVs.Set(tlv.MessagePayload, replaceTextID(p, id))
	}
	return &out
}

// replaceTextID replaces the value of the id: field of receipt text.
func replaceTextID(text []byte, id string) []byte {
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
		out := make([]byte, 0, len(text)-(end-start)+len(id))
		out = append(out, text[:start]...)
		out = append(out, id...)
		return append(out, text[end:]...)
	}
	return append([]byte(nil), text...)
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
