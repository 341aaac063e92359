package sim

import (
	"sync"
	"time"
)

// job is a receipt due at a time (n set), or a deliver_sm to retry (d set).
type job struct {
	due int64
	n   uint64
	sys uint32
	d   *delivery
}

// scheduler holds the jobs not yet due in a min-heap, served by one goroutine.
type scheduler struct {
	s    *Simulator
	mu   sync.Mutex
	heap []job
	wake int64 // when the goroutine will look next (0: not sleeping on a timer)
	kick chan struct{}
}

func (sc *scheduler) init(s *Simulator) {
	sc.s = s
	sc.kick = make(chan struct{}, 1)
}

func (sc *scheduler) len() int {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return len(sc.heap)
}

// add schedules j; a job already due goes straight to its outbox.
func (sc *scheduler) add(j job) {
	if j.due <= time.Now().UnixNano() {
		sc.s.fire(j)
		return
	}
	sc.mu.Lock()
	sc.push(j)
	early := sc.wake == 0 || j.due < sc.wake
	sc.mu.Unlock()
	if early {
		select {
		case sc.kick <- struct{}{}:
		default:
		}
	}
}

func (sc *scheduler) push(j job) {
	h := append(sc.heap, j)
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if h[p].due <= h[i].due {
			break
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
	sc.heap = h
}

func (sc *scheduler) pop() job {
	h := sc.heap
	top := h[0]
	last := len(h) - 1
	h[0] = h[last]
	h[last] = job{}
	h = h[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(h) {
			break
		}
		m := l
		if r := l + 1; r < len(h) && h[r].due < h[l].due {
			m = r
		}
		if h[i].due <= h[m].due {
			break
		}
		h[i], h[m] = h[m], h[i]
		i = m
	}
	sc.heap = h
	return top
}

func (sc *scheduler) run() {
	defer sc.s.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	var due []job
	for {
		now := time.Now().UnixNano()
		due = due[:0]
		sc.mu.Lock()
		for len(sc.heap) > 0 && sc.heap[0].due <= now && len(due) < 4096 {
			due = append(due, sc.pop())
		}
		var wait time.Duration
		switch {
		case len(due) == 4096:
			wait = 0
		case len(sc.heap) > 0:
			sc.wake = sc.heap[0].due
			wait = time.Duration(sc.wake - now)
		default:
			sc.wake = 0
			wait = time.Hour
		}
		sc.mu.Unlock()
		for _, j := range due {
			sc.s.fire(j)
		}
		if wait <= 0 {
			continue
		}
		t.Reset(wait)
		select {
		case <-sc.s.ctx.Done():
			return
		case <-sc.kick:
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
		case <-t.C:
		}
	}
}

// fire hands a due job to its system_id's outbox.
func (s *Simulator) fire(j job) {
	d := j.d
	if d == nil {
		d = &delivery{n: j.n}
		s.stats.receiptsQueued.Add(1)
	}
	s.box(j.sys).put(d, false)
}
