package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Error is an API error: the HTTP status, a stable code for programs, a
// message for people, the request field at fault and the SMPP status behind
// it, when there is one. The Backend returns it to choose the answer; any
// other error is answered 500 "internal".
type Error struct {
	// Status is the HTTP status (400, 401, 403, 404, 409, 413, 422, 429,
	// 500, 503).
	Status int `json:"-"`
	// Code is the stable, machine-readable reason, e.g. "text_too_long".
	Code string `json:"code"`
	// Message says what is wrong and what to do, for people.
	Message string `json:"message"`
	// Field is the request field at fault ("to[1]", "text"); empty when
	// none is.
	Field string `json:"field,omitempty"`
	// SMPPStatus is the SMPP command_status an SMPP client would have got
	// ("ESME_RINVDSTADR"); empty when none applies.
	SMPPStatus string `json:"smpp_status,omitempty"`
	// RetryAfter, with 429 or 503, is when to try again (rounded up to
	// whole seconds in the Retry-After header); zero says nothing.
	RetryAfter time.Duration `json:"-"`
	// Stored lists the ids of the messages stored before the store failed
	// (code "store_failed"): they will be sent.
	Stored []string `json:"stored,omitempty"`
}

// Error implements error.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("gateway http api: %d %s: %s: %s", e.Status, e.Code, e.Field, e.Message)
	}
	return fmt.Sprintf("gateway http api: %d %s: %s", e.Status, e.Code, e.Message)
}

// Errorf returns an *Error.
func Errorf(status int, code, field, smppStatus, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Field: field, SMPPStatus: smppStatus, Message: fmt.Sprintf(format, args...)}
}

// errorBody is the JSON of an error answer.
type errorBody struct {
	Error *Error `json:"error"`
}

// writeError writes e as JSON with its status and headers.
func writeError(w http.ResponseWriter, e *Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((e.RetryAfter+time.Second-1)/time.Second)))
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="smpp-gateway", charset="UTF-8"`)
	}
	writeJSON(w, e.Status, errorBody{e})
}

// encodeError returns the body of an error answer.
func encodeError(e *Error) []byte {
	b, err := json.Marshal(errorBody{e})
	if err != nil { // an Error always encodes
		return []byte(`{"error":{"code":"internal","message":"encoding the error failed"}}`)
	}
	return b
}

// writeJSON writes v as the JSON body of an answer with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, encodeError(Errorf(500, "internal", "", "", "encoding the answer: %v", err))
	}
	writeRaw(w, status, b)
}

// writeRaw writes a JSON body as it is.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	// The client may be gone: nothing else to do then.
	if _, err := w.Write(append(b, '\n')); err != nil {
		return
	}
}
