package main

import (
	"bufio"
	"encoding/json"
	"os"
	"sync"
	"time"
)

// recorder writes bench -record: one JSON line per answered submit_sm and
// per receipt, so that lost and duplicated messages can be counted against
// an SMSC's own log.
//
//	{"ev":"resp","t":"2026-01-02T15:04:05.123456789Z","n":1,"status":"ESME_ROK","id":"0a1b2c"}
//	{"ev":"resp","t":"...","n":2,"status":"lost"}
//	{"ev":"receipt","t":"...","id":"0a1b2c","stat":"DELIVRD"}
//
// n is the message's number (from 1, across binds: the {n} of -text); status
// is the command_status name of the submit_sm_resp, or what happened instead
// (timeout, lost: the connection broke after the request was written,
// not_sent, error); id is the message id the SMSC gave (ESME_ROK only). A
// receipt's id is the message id it refers to and stat its state as in the
// receipt text (DELIVRD, UNDELIV, UNKNOWN...). Lines are written in the
// order the events happened, and flushed at least every 200 ms.
type recorder struct {
	mu     sync.Mutex
	f      *os.File
	w      *bufio.Writer
	enc    *json.Encoder
	err    error
	closed bool
	stop   chan struct{}
	done   chan struct{}
	once   sync.Once
}

// record is one line of the file.
type record struct {
	Ev     string    `json:"ev"`
	T      time.Time `json:"t"`
	N      int64     `json:"n,omitempty"`
	Status string    `json:"status,omitempty"`
	ID     string    `json:"id,omitempty"`
	Stat   string    `json:"stat,omitempty"`
}

func newRecorder(path string) (*recorder, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	r := &recorder{f: f, w: bufio.NewWriterSize(f, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	r.enc = json.NewEncoder(r.w)
	go r.flushLoop()
	return r, nil
}

func (r *recorder) flushLoop() {
	defer close(r.done)
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-t.C:
			r.mu.Lock()
			if err := r.w.Flush(); err != nil && r.err == nil {
				r.err = err
			}
			r.mu.Unlock()
		}
	}
}

func (r *recorder) write(rec *record) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	if err := r.enc.Encode(rec); err != nil && r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
}

// resp records the answer to submit n: status "ESME_ROK" and the id, or the
// error's name.
func (r *recorder) resp(n int64, at time.Time, status, id string) {
	r.write(&record{Ev: "resp", T: at, N: n, Status: status, ID: id})
}

// receipt records a receipt of message id.
func (r *recorder) receipt(at time.Time, id, stat string) {
	r.write(&record{Ev: "receipt", T: at, ID: id, Stat: stat})
}

// close flushes and closes the file, once; it returns the first error.
func (r *recorder) close() error {
	r.once.Do(func() {
		close(r.stop)
		<-r.done
		r.mu.Lock()
		defer r.mu.Unlock()
		r.closed = true
		if err := r.w.Flush(); err != nil && r.err == nil {
			r.err = err
		}
		if err := r.f.Close(); err != nil && r.err == nil {
			r.err = err
		}
	})
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}
