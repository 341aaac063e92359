package main

import (
	"errors"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

const parkTimeout = 60 * time.Second

type parkedReceipt struct {
	d   pdu.PDU
	ack func(error)
	at  time.Time
}

type parking struct {
	mu sync.Mutex
	m  map[string][]parkedReceipt
}

func newParking() *parking { return &parking{m: map[string][]parkedReceipt{}} }

func (p *parking) put(route, key string, d pdu.PDU, ack func(error)) {
	p.mu.Lock()
	k := route + "\x00" + key
	p.m[k] = append(p.m[k], parkedReceipt{d, ack, time.Now()})
	p.mu.Unlock()
}

func (p *parking) take(route, key string) []parkedReceipt {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := route + "\x00" + key
	v := p.m[k]
	if v != nil {
		delete(p.m, k)
	}
	return v
}

func (p *parking) len() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.m)
}

// expire answers receipts parked too long with an error: the upstream is asked
// (ESME_RX_T_APPN) to deliver them again later.
func (p *parking) expire(now time.Time) int {
	var old []parkedReceipt
	p.mu.Lock()
	for k, v := range p.m {
		if now.Sub(v[0].at) > parkTimeout {
			old = append(old, v...)
			delete(p.m, k)
		}
	}
	p.mu.Unlock()
	for _, r := range old {
		r.ack(errors.New("receipt for an unknown message id"))
	}
	return len(old)
}
