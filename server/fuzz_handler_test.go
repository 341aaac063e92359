package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/server"
	"github.com/esmsafrica/smpp/session"
)

// fuzzSystemIDs are the accounts of fuzzAuth.
var fuzzSystemIDs = []string{"esme", "rate", "rx", "panic"}

// fuzzAuth accepts "esme", "rate" (one submission a second) and "rx"
// (receiver only) with the password "secret", and panics for "panic".
func fuzzAuth(_ context.Context, r *server.BindRequest) (*server.Account, pdu.Status) {
	if r.Bind.SystemID == "panic" {
		panic("fuzz: Authenticate panics")
	}
	if r.Bind.Password != "secret" {
		return nil, pdu.ESME_RINVPASWD
	}
	switch r.Bind.SystemID {
	case "rate":
		return &server.Account{Rate: 1, Burst: 1}, pdu.ESME_ROK
	case "rx":
		return &server.Account{Modes: server.ModeReceiver}, pdu.ESME_ROK
	}
	return nil, pdu.ESME_ROK
}

// authStatus is the status fuzzAuth and the server give a bind.
func authStatus(b *pdu.Bind) pdu.Status {
	switch {
	case b.SystemID == "panic":
		return pdu.ESME_RBINDFAIL // the session recovers the panic
	case b.Password != "secret":
		return pdu.ESME_RINVPASWD
	case b.SystemID == "rx" && b.ID != pdu.BindReceiverID:
		return pdu.ESME_RBINDFAIL
	}
	return pdu.ESME_ROK
}

// fuzzHandler answers submit_sm, submit_multi, data_sm and query_sm in one of
// eight ways chosen by the sequence number; handlerStatus is the status each
// way leads to. cancel_sm and replace_sm have no handler.
func fuzzHandler(t *testing.T) server.Handler {
	mux := server.NewServeMux()
	h := func(w server.ResponseWriter, r *server.Request) {
		id := r.Header.ID
		switch r.Header.Sequence % 8 {
		case 0:
			w.Respond(okBody(id), pdu.ESME_ROK)
		case 1:
			w.Respond(nil, pdu.ESME_RINVDSTADR)
		case 2:
			panic("fuzz: handler panics")
		case 3:
			w.Hold()
			go w.Respond(okBody(id), pdu.ESME_ROK)
		case 4:
			// No answer: the session sends session.DefaultStatus.
		case 5:
			if err := w.Respond(&pdu.EnquireLinkResp{}, pdu.ESME_ROK); err == nil {
				t.Errorf("%s answered with enquire_link_resp: no error", id)
			}
		case 6:
			w.Respond(okBody(id), pdu.ESME_ROK)
			if err := w.Respond(okBody(id), pdu.ESME_ROK); !errors.Is(err, session.ErrResponded) {
				t.Errorf("second Respond to %s: %v, want ErrResponded", id, err)
			}
		case 7:
			w.Respond(badBody(id), pdu.ESME_ROK)
		}
	}
	for _, id := range []pdu.CommandID{pdu.SubmitSMID, pdu.SubmitMultiID, pdu.DataSMID, pdu.QuerySMID} {
		mux.HandleFunc(id, h)
	}
	return mux
}

func okBody(id pdu.CommandID) pdu.PDU {
	switch id {
	case pdu.SubmitSMID:
		return &pdu.SubmitSMResp{MessageID: "id1"}
	case pdu.SubmitMultiID:
		return &pdu.SubmitMultiResp{MessageID: "id1"}
	case pdu.DataSMID:
		return &pdu.DataSMResp{MessageID: "id1"}
	case pdu.QuerySMID:
		return &pdu.QuerySMResp{MessageID: "id1", MessageState: 2}
	}
	return nil
}

// badBody is a response body that cannot be encoded (a message_id too long).
func badBody(id pdu.CommandID) pdu.PDU {
	long := strings.Repeat("9", 70)
	switch id {
	case pdu.SubmitSMID:
		return &pdu.SubmitSMResp{MessageID: long}
	case pdu.SubmitMultiID:
		return &pdu.SubmitMultiResp{MessageID: long}
	case pdu.DataSMID:
		return &pdu.DataSMResp{MessageID: long}
	case pdu.QuerySMID:
		return &pdu.QuerySMResp{MessageID: long}
	}
	return nil
}

// handlerStatus is the status fuzzHandler answers a request with.
func handlerStatus(id pdu.CommandID, seq uint32) pdu.Status {
	if okBody(id) == nil {
		return session.DefaultStatus(session.SMSC, id)
	}
	switch seq % 8 {
	case 1:
		return pdu.ESME_RINVDSTADR
	case 2, 5:
		return pdu.ESME_RSYSERR
	case 4:
		return session.DefaultStatus(session.SMSC, id)
	case 7:
		_, err := pdu.AppendPDU(nil, seq, 0, badBody(id))
		return pdu.StatusOf(err)
	}
	return pdu.ESME_ROK
}
