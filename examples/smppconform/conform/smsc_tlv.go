package conform

import (
	"github.com/esmsafrica/smpp/pdu"
)

func init() {
	Register(
		smsc("tlv", 1, "tlv §6", "a vendor TLV (0x1401) is ignored, not an error",
			"An unknown tag, vendor range 0x1400–0x3FFF included, is skipped by its length; the PDU is processed as if it were absent.",
			withTLVs(tlvBytes(0x1401, 3, []byte("abc")), okOnly...)),
		smsc("tlv", 2, "tlv §6", "an unknown non-vendor TLV is ignored",
			"Any tag the receiver does not recognise is skipped; 0x00FF is not an error.",
			withTLVs(tlvBytes(0x00FF, 2, []byte{1, 2}), okOnly...)),
		smsc("tlv", 3, "tlv §6", "an unknown TLV of length 0 is ignored",
			"A TLV with an empty value is well formed; an unknown one is skipped.",
			withTLVs(tlvBytes(0x1402, 0, nil), okOnly...)),
		smsc("tlv", 4, "tlv §6", "twenty unknown TLVs are ignored",
			"Unknown TLVs are skipped one after the other; twenty of them do not fail the PDU.",
			func(t *T) {
				var b []byte
				for i := range 20 {
					b = append(b, tlvBytes(uint16(0x1500+i), 2, []byte{byte(i), 0})...)
				}
				withTLVs(b, okOnly...)(t)
			}),
		smsc("tlv", 5, "tlv §6", "a known TLV not allowed in submit_sm is ignored or refused by name",
			"A known tag not permitted for the PDU (ms_availability_status in submit_sm) is ignored by default; a strict SMSC answers ESME_ROPTPARNOTALLWD. Anything else is wrong.",
			withTLVs(tlvBytes(0x0422, 1, []byte{0}), pdu.ESME_ROK, pdu.ESME_ROPTPARNOTALLWD)),
		smsc("tlv", 6, "tlv §6", "a TLV whose length runs past command_length gets ESME_RINVOPTPARSTREAM",
			"A TLV length that runs past command_length breaks the TLV stream: ESME_RINVOPTPARSTREAM (or ESME_RINVCMDLEN / generic_nack), and the stream stays in step.",
			withTLVs(tlvBytes(0x1401, 50, []byte("short")), pdu.ESME_RINVOPTPARSTREAM, pdu.ESME_RINVCMDLEN, pdu.ESME_RINVPARLEN)),
		smsc("tlv", 7, "tlv §6", "a TLV area of 3 octets gets ESME_RINVOPTPARSTREAM",
			"Fewer than 4 octets left for a TLV header is a broken TLV stream: ESME_RINVOPTPARSTREAM (or ESME_RINVCMDLEN).",
			withTLVs([]byte{0x14, 0x01, 0x00}, pdu.ESME_RINVOPTPARSTREAM, pdu.ESME_RINVCMDLEN, pdu.ESME_RINVPARLEN)),
		smsc("tlv", 8, "tlv §6", "a fixed-size TLV of the wrong length is refused or ignored",
			"user_message_reference is 2 octets; with length 1 it is refused with ESME_RINVPARLEN, or leniently ignored (ESME_ROK).",
			withTLVs(tlvBytes(0x0204, 1, []byte{7}), pdu.ESME_RINVPARLEN, pdu.ESME_ROK, pdu.ESME_RINVOPTPARAMVAL)),
		smsc("tlv", 9, "tlv §4", "a submit_sm with user_message_reference is accepted",
			"user_message_reference (0x0204, 2 octets) is a 3.4 TLV of submit_sm.",
			withTLVs(tlvBytes(0x0204, 2, []byte{0, 7}), okOnly...)),
		smsc("tlv", 10, "tlv §4", "a submit_sm with the three sar_* TLVs is accepted",
			"sar_msg_ref_num, sar_total_segments and sar_segment_seqnum mark a segment of a long message; a full set is accepted.",
			withTLVs(append(append(tlvBytes(0x020C, 2, []byte{0, 9}), tlvBytes(0x020E, 1, []byte{2})...), tlvBytes(0x020F, 1, []byte{1})...), okOnly...)),
		smsc("tlv", 11, "tlv §6", "sar_segment_seqnum above sar_total_segments is refused or ignored",
			"A value out of range is ESME_RINVOPTPARAMVAL; the spec's default for an inconsistent sar_* set is to ignore it (ESME_ROK).",
			withTLVs(append(append(tlvBytes(0x020C, 2, []byte{0, 9}), tlvBytes(0x020E, 1, []byte{2})...), tlvBytes(0x020F, 1, []byte{3})...), pdu.ESME_RINVOPTPARAMVAL, pdu.ESME_ROK)),
		smsc("tlv", 12, "tlv §6", "a data_sm with a vendor TLV is accepted",
			"Unknown TLVs are ignored in every PDU; data_sm with a vendor TLV beside message_payload is accepted.",
			func(t *T) {
				d := &pdu.DataSM{SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: t.cfg.SourceAddr, DestAddrTON: 1, DestAddrNPI: 1, DestinationAddr: t.cfg.DestAddr}
				d.TLVs.SetMessagePayload([]byte("data"))
				d.TLVs.Add(0x1401, []byte("vendor"))
				probe{Bind: pdu.BindTransmitterID, Req: d, Want: okOnly, Sync: true}.run(t)
			}, "data_sm"),
	)
}

// withTLVs submits a raw submit_sm carrying the TLV octets given.
func withTLVs(tlvs []byte, want ...pdu.Status) func(*T) {
	return rawField(func(r *rawSubmit) { r.TLVs = tlvs }, want...).run
}
