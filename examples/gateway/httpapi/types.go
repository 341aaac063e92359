package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/netip"
	"time"
)

// SendRequest is the body of POST /v1/messages. Exactly one of Text and
// Binary is set.
type SendRequest struct {
	// From is the source address: "+254700000001" (international), digits
	// (unknown type of number) or letters (alphanumeric), as
	// client.ParseAddress reads them. It must be one the account may send
	// from (its routes).
	From string `json:"from"`
	// To is one destination or a list of them (at most MaxDestinations).
	To Recipients `json:"to"`
	// Text is the message as Unicode text: the gateway picks GSM 7-bit or
	// UCS-2 and splits it into segments with a concatenation UDH.
	Text *string `json:"text,omitempty"`
	// Binary is a message of one segment given as octets.
	Binary *Binary `json:"binary,omitempty"`
	// Receipt asks for a delivery receipt per segment; absent means true.
	Receipt *bool `json:"receipt,omitempty"`
	// Validity is how long the message may wait for delivery, as a Go
	// duration ("30m", "48h"); empty means the gateway's default_validity.
	Validity string `json:"validity,omitempty"`
	// Reference is the client's own reference, at most 64 characters,
	// echoed in GET /v1/messages/{id} and in receipt webhooks.
	Reference string `json:"reference,omitempty"`
}

// Binary is a message given as octets: the UDH (optional) and the data,
// base64 in JSON, at most 140 octets together.
type Binary struct {
	// DataCoding is the SMPP data_coding (e.g. 4 for 8-bit data, 8 for
	// UCS-2 already encoded).
	DataCoding uint8 `json:"data_coding"`
	// Data is the user data after the UDH.
	Data []byte `json:"data"`
	// UDH is the user data header as sent, starting with its length octet;
	// empty means none. With one, esm_class gets the UDHI bit.
	UDH []byte `json:"udh,omitempty"`
}

// Recipients is one destination or several: JSON "to" may be a string or
// an array of strings.
type Recipients []string

// UnmarshalJSON reads a string or an array of strings.
func (r *Recipients) UnmarshalJSON(b []byte) error {
	if b = bytes.TrimSpace(b); len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*r = Recipients{s}
		return nil
	}
	var l []string
	if err := json.Unmarshal(b, &l); err != nil {
		return err
	}
	*r = l
	return nil
}

// SendResponse is the answer of POST /v1/messages (201): the ids of the
// stored messages, one per segment, grouped per destination in the order of
// the request.
type SendResponse struct {
	// Messages has one entry per destination.
	Messages []SentTo `json:"messages"`
	// Segments is how many segments each destination gets.
	Segments int `json:"segments"`
	// Encoding is "gsm7", "ucs2", "latin1" or "binary".
	Encoding string `json:"encoding"`
	// Reference is the request's reference, if any.
	Reference string `json:"reference,omitempty"`
}

// SentTo is the messages stored for one destination.
type SentTo struct {
	// To is the destination as given.
	To string `json:"to"`
	// IDs are the message ids of its segments, in order: each is an SMPP
	// message id too (query_sm, receipts).
	IDs []string `json:"ids"`
}

// Message is the answer of GET /v1/messages/{id}: the state query_sm gives
// and what the gateway knows of the message.
type Message struct {
	// ID is the message id.
	ID string `json:"id"`
	// From and To are the source and destination addresses as stored.
	From string `json:"from"`
	To   string `json:"to"`
	// State is the SMPP message_state name query_sm would give: ENROUTE,
	// DELIVERED, EXPIRED, DELETED, UNDELIVERABLE, ACCEPTED, UNKNOWN,
	// REJECTED.
	State string `json:"state"`
	// Queued is true while the message waits in the gateway (cancellable).
	Queued bool `json:"queued"`
	// ErrorCode is query_sm's error_code (the receipt's err), 0 when none.
	ErrorCode int `json:"error_code"`
	// Submitted is when the gateway accepted the message.
	Submitted time.Time `json:"submitted"`
	// Expires is the end of its validity.
	Expires time.Time `json:"expires"`
	// Done is when it reached a final state (the receipt's done date), if
	// it has.
	Done *time.Time `json:"done,omitempty"`
	// Reference is the client reference given when it was sent over HTTP.
	Reference string `json:"reference,omitempty"`
}

// Segment is one submit_sm's user data: short_message (the UDH, if any,
// then the encoded text), data_coding, and whether esm_class has UDHI.
type Segment struct {
	// ShortMessage is the short_message value.
	ShortMessage []byte
	// DataCoding is the data_coding value.
	DataCoding byte
	// UDHI says short_message starts with a UDH.
	UDHI bool
}

// Submission is a checked send request, as the Backend stores it: the same
// segments to each destination.
type Submission struct {
	// Account is the authenticated account's system_id.
	Account string
	// From is the source address as given (see SendRequest.From).
	From string
	// To are the destinations as given.
	To []string
	// Segments is the user data of each message to each destination.
	Segments []Segment
	// Receipt asks for a receipt per segment.
	Receipt bool
	// Validity is the validity period; zero means the gateway's default.
	Validity time.Duration
	// Reference is the client reference (may be empty).
	Reference string
}

// Credentials are what a request authenticates with: HTTP Basic (an
// account's system_id and password) or a bearer API key.
type Credentials struct {
	// User and Password are the Basic credentials; empty with an API key.
	User, Password string
	// APIKey is the bearer token; empty with Basic.
	APIKey string
	// Remote is the client's address, for the account's allow_ips.
	Remote netip.Addr
}

// Backend is what the API sends to: the gateway's accounts, limits, store
// and routes. Its methods return *Error for answers other than 500.
type Backend interface {
	// Authenticate returns the system_id of the account the credentials
	// name, or an *Error: 401 for unknown or wrong credentials, 403 for an
	// address outside the account's allow_ips.
	Authenticate(ctx context.Context, c Credentials) (string, error)
	// Send checks the whole submission (routes, addresses, rate) and
	// stores one message per segment and destination, or nothing; it
	// returns the ids per destination in order (429 with RetryAfter past
	// the account's rate).
	Send(ctx context.Context, s *Submission) ([]SentTo, error)
	// Message returns a message of the account (404 when it has none with
	// that id).
	Message(ctx context.Context, account, id string) (*Message, error)
	// Cancel cancels a queued message of the account: 404 for none, 409
	// when it is no longer queued.
	Cancel(ctx context.Context, account, id string) error
}
