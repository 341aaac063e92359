package main

import (
	"encoding/json"
	"os"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
)

// journal is the file of -journal: one JSON line per submission answered
// with ESME_ROK and per receipt acknowledged, so that a test (or an
// operator) can count what an ESME or a gateway delivered, across its
// restarts:
//
//	{"ev":"submit","t":"2026-01-02T15:04:05.123456789Z","key":"0a1b2c","id":"41","dup":false,"text":"hello"}
//	{"ev":"receipt","t":"...","id":"41","stat":"DELIVRD"}
//
// key is the idempotency key (-dedupe-tlv; "" without), id the message id
// answered, dup true when the key had been seen (answered with the id it
// got, nothing stored again), text the short_message (or message_payload)
// as sent, UDH included. A receipt's id is the message id it refers to and
// stat its final state. Each line is one write, so a kill leaves only
// complete lines.
type journal struct {
	mu sync.Mutex
	f  *os.File
	b  []byte
}

type journalLine struct {
	Ev   string    `json:"ev"`
	T    time.Time `json:"t"`
	Key  *string   `json:"key,omitempty"`
	ID   string    `json:"id"`
	Dup  *bool     `json:"dup,omitempty"`
	Text *string   `json:"text,omitempty"`
	Stat string    `json:"stat,omitempty"`
}

// openJournal appends to path.
func openJournal(path string) (*journal, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	return &journal{f: f}, nil
}

func (j *journal) write(l *journalLine) {
	j.mu.Lock()
	defer j.mu.Unlock()
	b, err := json.Marshal(l)
	if err != nil {
		return
	}
	j.b = append(append(j.b[:0], b...), '\n')
	j.f.Write(j.b)
}

// submit is a sim.Config.OnSubmit.
func (j *journal) submit(s *sim.Submission) {
	text := string(s.Message)
	j.write(&journalLine{Ev: "submit", T: time.Now(), Key: &s.Key, ID: s.ID, Dup: &s.Dup, Text: &text})
}

// receipt is a sim.Config.OnReceipt.
func (j *journal) receipt(r *sim.ReceiptAck) {
	j.write(&journalLine{Ev: "receipt", T: time.Now(), ID: r.ID, Stat: r.State.Stat()})
}
