// The timer loop: enquire_link after an idle interval, the inactivity
// timeout, and the response timeout of the requests in flight. It starts
// with the first request sent or the bind.

package session

import (
	"context"
	"fmt"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

// startTimers makes the table of pending requests and starts the timer
// loop, once: at the first request sent that waits for a response, or at the
// bind, whichever comes first.
func (s *Session) startTimers() {
	if s.timing.Load() {
		return
	}
	s.mu.Lock()
	if !s.closed && !s.timing.Load() {
		s.pending.Store(newPendingTable(s.cfg.Window))
		s.clock.Store(time.Now().UnixNano())
		s.timing.Store(true)
		s.loops.Add(1)
		go s.timerLoop()
	}
	s.mu.Unlock()
}

// timerLoop runs the enquire_link, inactivity and response timers.
func (s *Session) timerLoop() {
	defer s.loops.Done()
	tick := time.Second
	for _, d := range []time.Duration{s.cfg.ResponseTimeout / 4, s.cfg.EnquireLinkInterval / 4, s.cfg.InactivityTimeout / 4} {
		if d > 0 && d < tick {
			tick = d
		}
	}
	if tick < time.Millisecond {
		tick = time.Millisecond
	}
	t := time.NewTicker(tick)
	defer t.Stop()
	var seenReads, seenTx uint64
	for {
		select {
		case <-s.ctx.Done():
			return
		case now := <-t.C:
			s.clock.Store(now.UnixNano())
			if n := s.reads.Load(); n != seenReads {
				seenReads = n
				s.lastRead.Store(now.UnixNano())
			}
			if n := s.txReads.Load(); n != seenTx {
				seenTx = n
				s.lastTx.Store(now.UnixNano())
			}
			st := s.State()
			if s.cfg.ResponseTimeout > 0 {
				s.expire(now)
			}
			if s.cfg.EnquireLinkInterval > 0 && st.Bound() {
				idle := now.Sub(time.Unix(0, s.lastRead.Load()))
				if idle >= s.cfg.EnquireLinkInterval {
					if int(s.missed.Load()) >= s.cfg.EnquireLinkMissed {
						s.closeWith(fmt.Errorf("smpp: peer did not answer %d enquire_link", s.cfg.EnquireLinkMissed))
						return
					}
					s.missed.Add(1)
					s.lastRead.Store(now.UnixNano())
					go s.enquireLink()
				}
			}
			if s.cfg.InactivityTimeout > 0 && st.Bound() && now.Sub(time.Unix(0, s.lastTx.Load())) >= s.cfg.InactivityTimeout {
				s.cfg.Logger.Info("smpp: unbinding inactive session", "remote", s.RemoteAddr().String())
				go s.Unbind(context.Background())
				s.lastTx.Store(now.UnixNano())
			}
		}
	}
}

func (s *Session) enquireLink() {
	c := newCall(&pdu.EnquireLink{})
	if err := s.send(s.ctx, c, false); err != nil {
		return
	}
	c.wait()
}

// expire completes the requests whose response is overdue.
func (s *Session) expire(now time.Time) {
	late := s.pending.Load().removeIf(func(c *Call) bool { return now.Sub(c.sentAt) >= s.cfg.ResponseTimeout })
	for _, c := range late {
		c.complete(nil, ErrTimeout)
	}
}
