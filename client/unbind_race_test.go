package client_test

import (
	"context"
	"errors"
	"net"
	"sync"
	"testing"
	"testing/synctest"

	"github.com/esmsafrica/smpp/client"
	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
)

// TestSubmitWaitingWhenSMSCUnbinds: a submit that waits for the window while
// the SMSC unbinds is not sent on that connection; the client sends it on
// the next bind, as it does with what a broken connection did not send.
// It failed with the session's ErrNotAllowed instead (FuzzClientSession,
// with a submit resent after ESME_RTHROTTLED).
func TestSubmitWaitingWhenSMSCUnbinds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var mu sync.Mutex
		dials := 0
		dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
			a, b := net.Pipe()
			mu.Lock()
			dials++
			first := dials == 1
			mu.Unlock()
			go func() {
				defer a.Close()
				rd := codec.NewReader(a, 0)
				write := func(seq uint32, p pdu.PDU) {
					b, _ := pdu.AppendPDU(nil, seq, 0, p)
					a.Write(b)
				}
				var submits []uint32
				answered := make(chan struct{}) // the unbind and the answer are written
				for {
					f, err := rd.Read()
					if err != nil {
						return
					}
					switch f.ID {
					case pdu.BindTransceiverID:
						write(f.Sequence, &pdu.BindResp{ID: pdu.BindTransceiverRespID, SystemID: "SMSC"})
					case pdu.SubmitSMID:
						if !first {
							write(f.Sequence, &pdu.SubmitSMResp{MessageID: "second"})
							continue
						}
						// The first connection: the SMSC unbinds, then
						// answers the submit that took the window.
						submits = append(submits, f.Sequence)
						if len(submits) > 1 {
							t.Errorf("a second submit_sm on the first connection")
						}
						go func() {
							defer close(answered)
							synctest.Wait() // the next submit waits for the window
							write(1000, &pdu.Unbind{})
							write(submits[0], &pdu.SubmitSMResp{MessageID: "first"})
						}()
					case pdu.UnbindRespID:
						// Close once the answer is read: net.Pipe's Write
						// returns when the client has read it all (closing
						// earlier lost it, now and then).
						if first {
							<-answered
						}
						return
					}
				}
			}()
			return b, nil
		}
		ctx := context.Background()
		c, err := client.Dial(ctx, "smsc", client.Config{SystemID: "esme", DialContext: dial, Logger: quiet, Session: session.Config{Window: 1}})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close(ctx)
		first := c.SubmitAsync(ctx, &pdu.SubmitSM{DestinationAddr: "1"})
		resp, err := c.Submit(ctx, &pdu.SubmitSM{DestinationAddr: "1"})
		if err != nil || resp.MessageID != "second" {
			t.Errorf("the submit that waited while the SMSC unbound: %v, %v", resp, err)
		}
		if resp, err := first.Wait(ctx); err != nil || resp.MessageID != "first" {
			t.Errorf("the first submit: %v, %v", resp, err)
		}
	})
}

// TestCloseWhileWaitingForWindow: a submit still waiting for the window
// when Close runs completes with ErrClosed, as Close documents; it completed
// with a *LostError that said it was not sent (FuzzClientSession).
func TestCloseWhileWaitingForWindow(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := &pipeSMSC{handler: session.HandlerFunc(func(w session.ResponseWriter, r *session.Request) { w.Hold() })}
		ctx := context.Background()
		c, err := client.Dial(ctx, "smsc", client.Config{SystemID: "esme", DialContext: p.dial, Logger: quiet, Session: session.Config{Window: 1}})
		if err != nil {
			t.Fatal(err)
		}
		first := c.SubmitAsync(ctx, &pdu.SubmitSM{DestinationAddr: "1"})
		waiting := make(chan error, 1)
		go func() {
			_, err := c.Submit(ctx, &pdu.SubmitSM{DestinationAddr: "1"})
			waiting <- err
		}()
		synctest.Wait()
		c.Close(ctx)
		if err := <-waiting; !errors.Is(err, client.ErrClosed) || !client.NotSent(err) {
			t.Errorf("the submit waiting for the window: %v, want ErrClosed", err)
		}
		var le *client.LostError
		if _, err := first.Wait(ctx); !errors.As(err, &le) || !le.Sent {
			t.Errorf("the submit in flight: %v, want a LostError, sent", err)
		}
		p.close()
	})
}
