package client_test

import (
	"context"
	"net"
	"testing"
	"testing/synctest"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
)

// TestGenericNackWithOK: an SMSC that answers generic_nack with ESME_ROK
// refuses: the bind fails (Dial returned a client it took for bound, whose
// requests then waited for ever) and the submit_sm fails (Submit returned a
// nil response and a nil error). Found by FuzzClientSession.
func TestGenericNackWithOK(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		nackBind := true
		dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			a, b := net.Pipe()
			nack := nackBind
			go func() {
				defer a.Close()
				rd := codec.NewReader(a, 0)
				for {
					f, err := rd.Read()
					if err != nil {
						return
					}
					var resp []byte
					switch {
					case f.ID.IsBind() && !nack:
						resp, _ = pdu.AppendPDU(nil, f.Sequence, 0, &pdu.BindResp{ID: f.ID.Response(), SystemID: "SMSC"})
					case f.ID == pdu.UnbindID:
						resp, _ = pdu.AppendPDU(nil, f.Sequence, 0, &pdu.UnbindResp{})
					default:
						resp, _ = pdu.AppendPDU(nil, f.Sequence, 0, &pdu.GenericNack{})
					}
					a.Write(resp)
				}
			}()
			return b, nil
		}
		ctx := context.Background()
		cfg := client.Config{SystemID: "esme", DialContext: dial, Logger: quiet}
		if c, err := client.Dial(ctx, "smsc", cfg); err == nil {
			c.Close(ctx)
			t.Fatal("Dial succeeded on a bind answered by generic_nack ESME_ROK")
		}

		nackBind = false
		c, err := client.Dial(ctx, "smsc", cfg)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.Submit(ctx, &pdu.SubmitSM{DestinationAddr: "1"})
		if err == nil {
			t.Errorf("submit_sm answered by generic_nack ESME_ROK: response %v and no error", resp)
		}
		c.Close(ctx)
	})
}
