package pdu_test

import (
	"encoding/hex"
	"errors"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// A refused bind's bind_resp is header-only unless BodyOnError asks for the
// body; with it, the bytes are those Net::SMPP writes
// (testdata/vectors/bind_transceiver_resp_error.json), and they decode to the
// status and the system_id.
func TestBindRespBodyOnError(t *testing.T) {
	sc := tlv.List{{Tag: tlv.ScInterfaceVersion, Value: []byte{0x34}}}
	for _, tc := range []struct {
		name   string
		resp   *pdu.BindResp
		status pdu.Status
		hex    string
	}{
		{"error, no BodyOnError: header only", &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "SMSC"}, pdu.ESME_RINVPASWD,
			"00000010800000090000000e00000003"},
		{"error with BodyOnError: Net::SMPP's bytes", &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "SMSC", BodyOnError: true}, pdu.ESME_RINVPASWD,
			"00000015800000090000000e00000003534d534300"},
		{"error with BodyOnError, empty system_id: one NUL", &pdu.BindResp{ID: pdu.BindTransmitterRespID, BodyOnError: true}, pdu.ESME_RBINDFAIL,
			"00000011800000020000000d0000000300"},
		{"error with BodyOnError and a TLV", &pdu.BindResp{ID: pdu.BindReceiverRespID, SystemID: "S", TLVs: sc, BodyOnError: true}, pdu.ESME_RALYBND,
			"00000017800000010000000500000003530002100001" + "34"},
		{"ESME_ROK: the body either way", &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "SMSC", BodyOnError: true}, pdu.ESME_ROK,
			"00000015800000090000000000000003534d534300"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := pdu.AppendPDU(nil, 3, tc.status, tc.resp)
			must(t, err)
			if got := hex.EncodeToString(out); got != tc.hex {
				t.Fatalf("got  %s\nwant %s", got, tc.hex)
			}
			h, p, err := pdu.Decode(out, pdu.DecodeOptions{})
			must(t, err)
			r := p.(*pdu.BindResp)
			if h.Status != tc.status || (len(out) > pdu.HeaderLen && r.SystemID != tc.resp.SystemID) || r.BodyOnError {
				t.Fatalf("decoded %+v %+v", h, r)
			}
		})
	}

	// BodyOnError is for bind_resp only: other error responses stay
	// header-only whatever their fields.
	out, err := pdu.AppendPDU(nil, 3, pdu.ESME_RTHROTTLED, &pdu.SubmitSMResp{MessageID: "1"})
	must(t, err)
	if len(out) != pdu.HeaderLen {
		t.Errorf("submit_sm_resp error: %x", out)
	}

	// A body out of bounds is refused as with ESME_ROK.
	_, err = pdu.AppendPDU(nil, 3, pdu.ESME_RINVPASWD, &pdu.BindResp{SystemID: "0123456789abcdef", BodyOnError: true})
	if !errors.Is(err, pdu.ESME_RINVSYSID) {
		t.Errorf("long system_id: %v", err)
	}
}
