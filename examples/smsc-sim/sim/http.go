package sim

import (
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
)

// HTTPHandler returns an HTTP API for the simulator:
//
//	POST /mo          form or JSON {system_id, from, to, text | hex, data_coding}: queue an MO message
//	GET  /stats       the counters as JSON
//	GET  /messages/ID a stored message as JSON
func (s *Simulator) HTTPHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/mo", s.httpMO)
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, s.Stats())
	})
	mux.HandleFunc("GET /messages/{id}", func(w http.ResponseWriter, r *http.Request) {
		m, ok := s.store.Lookup(r.PathValue("id"))
		if !ok {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "no such message"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{
			"id": m.ID, "system_id": m.SystemID, "source": m.Source, "dest": m.Dest,
			"state": m.State.String(), "err": m.Err, "submitted": m.Submitted, "final": m.Final,
			"registered_delivery": m.RegisteredDelivery, "text": m.Text,
		})
	})
	return mux
}

func (s *Simulator) httpMO(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost && r.Method != http.MethodGet {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"error": "use POST"})
		return
	}
	var req struct {
		SystemID   string `json:"system_id"`
		From       string `json:"from"`
		To         string `json:"to"`
		Text       string `json:"text"`
		Hex        string `json:"hex"`
		DataCoding uint8  `json:"data_coding"`
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
	} else {
		req.SystemID, req.From, req.To = r.FormValue("system_id"), r.FormValue("from"), r.FormValue("to")
		req.Text, req.Hex = r.FormValue("text"), r.FormValue("hex")
		if v := r.FormValue("data_coding"); v != "" {
			n, _ := strconv.ParseUint(v, 0, 8)
			req.DataCoding = uint8(n)
		}
	}
	mo := MO{SystemID: req.SystemID, From: req.From, To: req.To, Text: req.Text, DataCoding: req.DataCoding}
	if mo.From == "" {
		mo.From = "254700000001"
	}
	if mo.To == "" {
		mo.To = s.cfg.MOTo
	}
	if req.Hex != "" {
		b, err := hex.DecodeString(req.Hex)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "hex: " + err.Error()})
			return
		}
		mo.Binary = b
	}
	n, err := s.SendMO(mo)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]int{"queued": n})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v)
}
