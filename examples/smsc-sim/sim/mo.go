package sim

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/udh"
)

// MO is a mobile-originated message to deliver to an ESME.
type MO struct {
	// SystemID is the ESME to deliver to. Empty: Config.MOSystemID, else
	// the first account, else every system_id bound now.
	SystemID string
	// From and To are the source (the handset) and destination (the
	// ESME's short code or number).
	From, To string
	// Text is the message; a long one is split into segments with a
	// concatenation UDH (8-bit reference), in GSM 7-bit or UCS-2.
	Text string
	// Binary, when not nil, is sent instead of Text with DataCoding (0x04
	// when zero), split likewise.
	Binary     []byte
	DataCoding uint8
}

var moRefs udh.Counter

// SendMO queues an MO message for delivery; it returns the number of
// deliver_sm (segments × system_ids) queued. Delivery waits for a receiver
// to bind, like receipts.
func (s *Simulator) SendMO(mo MO) (int, error) {
	sys := mo.SystemID
	if sys == "" {
		sys = s.cfg.MOSystemID
	}
	if sys == "" && len(s.cfg.Accounts) > 0 {
		sys = s.cfg.Accounts[0].SystemID
	}
	var targets []string
	if sys != "" {
		targets = []string{sys}
	} else {
		targets = s.boundSystems()
		if len(targets) == 0 {
			return 0, errors.New("sim: no system_id given and none bound")
		}
	}
	opts := udh.Options{Refs: &moRefs}
	var msg udh.Message
	var err error
	if mo.Binary != nil {
		dc := mo.DataCoding
		if dc == 0 {
			dc = 0x04
		}
		msg, err = udh.NewSplitter(opts).SplitBinary(mo.Binary, dc)
	} else {
		msg, err = udh.NewSplitter(opts).Split(mo.Text)
	}
	if err != nil {
		return 0, err
	}
	n := 0
	for _, t := range targets {
		box := s.box(s.store.intern(t))
		for _, seg := range msg.Segments {
			d := &pdu.DeliverSM{
				SourceAddrTON: 1, SourceAddrNPI: 1, SourceAddr: strings.TrimPrefix(mo.From, "+"),
				DestAddrTON: 0, DestAddrNPI: 1, DestinationAddr: strings.TrimPrefix(mo.To, "+"),
				DataCoding:   seg.DataCoding,
				ShortMessage: append([]byte(nil), seg.ShortMessage...),
			}
			if seg.UDHI {
				d.ESMClass = 0x40
			}
			box.put(&delivery{d: d, mo: true}, false)
			n++
		}
	}
	return n, nil
}

func (s *Simulator) boundSystems() []string {
	seen := map[string]bool{}
	var out []string
	s.store.sysMu.RLock()
	names := append([]string(nil), s.store.sysTab...)
	s.store.sysMu.RUnlock()
	for _, n := range names {
		if !seen[n] && len(s.srv.Receivers(n)) > 0 {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}

// moLoop sends Config.MORate MO messages per second.
func (s *Simulator) moLoop() {
	defer s.wg.Done()
	every := time.Duration(float64(time.Second) / s.cfg.MORate)
	t := time.NewTicker(max(every, time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-s.ctx.Done():
			return
		case <-t.C:
		}
		k := s.moCount.Add(1)
		from := s.cfg.MOFrom
		if from == "" {
			from = "2547" + fmt.Sprintf("%08d", rand.IntN(100_000_000))
		}
		text := strings.ReplaceAll(s.cfg.MOText, "{n}", strconv.FormatUint(k, 10))
		if _, err := s.SendMO(MO{SystemID: s.cfg.MOSystemID, From: from, To: s.cfg.MOTo, Text: text}); err != nil {
			continue // nobody bound yet
		}
	}
}
