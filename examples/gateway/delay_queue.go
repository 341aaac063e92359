package main

import (
	"container/heap"
	"context"
	"sync"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/store"
)

type delayItem struct {
	m  *store.Message
	at time.Time
}

type delayHeap []delayItem

func (h delayHeap) Len() int           { return len(h) }
func (h delayHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h delayHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *delayHeap) Push(x any)        { *h = append(*h, x.(delayItem)) }
func (h *delayHeap) Pop() any {
	old := *h
	it := old[len(old)-1]
	*h = old[:len(old)-1]
	return it
}

// delayQueue releases messages at their time, with one goroutine and one timer.
type delayQueue struct {
	mu    sync.Mutex
	h     delayHeap
	wake  chan struct{}
	ready func(*store.Message)
}

func newDelayQueue(ready func(*store.Message)) *delayQueue {
	return &delayQueue{wake: make(chan struct{}, 1), ready: ready}
}

func (q *delayQueue) add(m *store.Message, at time.Time) {
	q.mu.Lock()
	heap.Push(&q.h, delayItem{m, at})
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

// releaseAll makes every waiting message due now.
func (q *delayQueue) releaseAll() {
	q.mu.Lock()
	now := time.Now()
	for i := range q.h {
		q.h[i].at = now
	}
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *delayQueue) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.h)
}

func (q *delayQueue) run(ctx context.Context) {
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	for {
		q.mu.Lock()
		now := time.Now()
		var due []*store.Message
		for len(q.h) > 0 && !q.h[0].at.After(now) {
			due = append(due, heap.Pop(&q.h).(delayItem).m)
		}
		next := time.Hour
		if len(q.h) > 0 {
			next = q.h[0].at.Sub(now)
		}
		q.mu.Unlock()
		for _, m := range due {
			q.ready(m)
		}
		t.Reset(next)
		select {
		case <-ctx.Done():
			return
		case <-q.wake:
		case <-t.C:
		}
	}
}
