package server

import (
	"fmt"
	"sync"

	"github.com/esmsafrica/smpp/pdu"
)

// ServeMux routes requests to handlers by command id, like http.ServeMux routes
// by path. A request whose command id has no handler gets the default answer
// (DefaultStatus: ESME_RSUBMITFAIL for submit_sm, submit_multi and data_sm,
// ESME_RQUERYFAIL for query_sm, and so on). The zero value is ready to use;
// register every handler before serving.
type ServeMux struct {
	mu sync.RWMutex
	m  map[pdu.CommandID]Handler
}

// NewServeMux returns an empty ServeMux.
func NewServeMux() *ServeMux { return &ServeMux{} }

// Handle registers h for requests with command id id. It panics when id is a
// response id, when h is nil, or when id already has a handler.
func (m *ServeMux) Handle(id pdu.CommandID, h Handler) {
	if h == nil {
		panic("smpp: nil handler")
	}
	if id.IsResponse() {
		panic(fmt.Sprintf("smpp: cannot route response %s", id))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.m == nil {
		m.m = make(map[pdu.CommandID]Handler)
	}
	if _, dup := m.m[id]; dup {
		panic(fmt.Sprintf("smpp: multiple handlers for %s", id))
	}
	m.m[id] = h
}

// HandleFunc registers f for requests with command id id.
func (m *ServeMux) HandleFunc(id pdu.CommandID, f func(w ResponseWriter, r *Request)) {
	m.Handle(id, HandlerFunc(f))
}

// Handler returns the handler for id: the registered one, or one that
// answers DefaultStatus.
func (m *ServeMux) Handler(id pdu.CommandID) Handler {
	m.mu.RLock()
	h := m.m[id]
	m.mu.RUnlock()
	if h == nil {
		return defaultHandler{}
	}
	return h
}

// ServeSMPP dispatches r to the handler registered for its command id.
func (m *ServeMux) ServeSMPP(w ResponseWriter, r *Request) {
	m.Handler(r.Header.ID).ServeSMPP(w, r)
}
