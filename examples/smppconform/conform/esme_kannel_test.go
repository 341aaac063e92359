//go:build interop

package conform

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/internal/kannel"
)

// kannelProfile is what Kannel 1.4.5's bearerbox, as configured by
// kannelConf, declares.
var kannelProfile = peerProfile{
	// smsc_smpp.c answers data_sm from the SMSC.
	Capabilities: []string{"data_sm"},
	// max-pending-submits in kannelConf.
	Window: 5,
	// A bind refused with ESME_RINVPASWD (or RINVSYSID) makes bearerbox
	// stop that SMSC connection for good ("SMSC rejected login", killed
	// as wrong password): a deliberate policy, not a protocol error, but
	// the cases after it need a fresh bearerbox.
	Alone: []string{"esme.bind.6"},
}

// kannelConfig is a bearerbox bound as a transceiver to the tool at port.
// MO messages get no reply, so that only driven submits reach the tool.
func kannelConfig(port string) kannel.Config {
	return kannel.Config{
		Port: port, SystemID: "conform", Password: "secret",
		Core: []string{"sms-resend-freq = 1"},
		SMSC: []string{"reconnect-delay = 1", "enquire-link-interval = 300",
			"max-pending-submits = 5"}, // kannelProfile's Window
		User: []string{"max-messages = 10", "concatenation = true"},
	}
}

// kannelFailures are Kannel 1.4.5's deviations as an ESME (gw/smsc/smsc_smpp.c).
var kannelFailures = map[string]string{
	// pdus §3 (notes), fields §10, §11: an unknown (or reserved) command_id
	// gets generic_nack ESME_RINVCMDID carrying the request's
	// sequence_number. bearerbox cannot unpack the PDU and nacks every
	// PDU it cannot unpack alike: generic_nack ESME_RINVCMDLEN with
	// sequence_number 0 (io_thread: send_gnack(..., SMPP_ESME_RINVCMDLEN,
	// 0)); the session goes on.
	"esme.nack.1": "an unknown command_id gets generic_nack ESME_RINVCMDLEN with sequence_number 0 (pdus §3 notes, fields §10)",
	"esme.nack.2": "a reserved command_id gets generic_nack ESME_RINVCMDLEN with sequence_number 0 (pdus §3 notes, fields §10)",
}

// startKannel starts bearerbox and smsbox bound to addr; its driver
// submits through sendsms.
func startKannel(t *testing.T, addr string) *peerInstance {
	_, port, _ := net.SplitHostPort(addr)
	k := kannel.Start(t, kannelConfig(port))
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	// send asks smsbox to send text; smsbox queues it in bearerbox, which
	// submits it once bound. A refusal (smsbox not yet connected to
	// bearerbox) is retried for 10 s; what is not taken by then is the
	// case's failure to see.
	send := func(text, coding string) {
		q := url.Values{"from": {"1000"}, "to": {"254700000001"}, "text": {text}, "charset": {"UTF-8"}, "coding": {coding}}
		wg.Go(func() {
			if err := k.SendWithin(ctx, 10*time.Second, q); err != nil && ctx.Err() == nil {
				t.Logf("kannel sendsms %q: %v", text, err)
			}
		})
	}
	return &peerInstance{
		drive: func(kind string) error {
			switch kind {
			case DriveSubmit:
				send("Hello from Kannel", "0")
			case DriveUnicode:
				send("Привет, мир", "2")
			case DriveLong:
				send(strings.Repeat("A long text that no single message can hold. ", 9), "0")
			case DriveBurst:
				for range 20 {
					send("burst message", "0")
				}
			default:
				return fmt.Errorf("unknown kind %q", kind)
			}
			return nil
		},
		stop: func() {
			cancel()
			wg.Wait()
			k.Stop()
		},
	}
}

// TestESMEKannel plays the ESME cases against Kannel's bearerbox bound as a
// transceiver, with smsbox's sendsms interface as the driver.
func TestESMEKannel(t *testing.T) {
	t.Parallel()
	if _, _, err := kannel.Paths(); err != nil {
		t.Fatal(err)
	}
	runESMEPeer(t, esmePeer{
		name:     "Kannel 1.4.5 bearerbox",
		profile:  kannelProfile,
		expected: kannelFailures,
		start:    startKannel,
	})
}
