// Package webhook posts an account's deliveries (receipts and MO messages)
// to the account's URL as JSON: durable until the receiver answers 2xx, at
// least once, signed, with jittered exponential back-off, one Sender per
// account so that a receiver down or slow holds nothing of another back.
//
// A Sender claims the deliveries from a deliveries.Queue under one key, as
// the gateway's SMPP pusher claims an account's deliveries for its binds:
// a delivery is acked when the receiver answers 2xx and naked with the
// back-off otherwise (any other status, a timeout, a connection refused),
// so it survives a crash of the gateway and is posted again after it. A
// receiver may get a delivery twice (a crash after its 2xx and before the
// ack reached the disk): the X-Webhook-ID header is the same on every
// attempt, for it to drop repeats.
//
// # Signature
//
// Each request carries
//
//	X-Webhook-Timestamp: 1765062000            (Unix seconds when it was signed)
//	X-Webhook-Signature: v1=<hex>              (HMAC-SHA256, key: the account's secret,
//	                                            message: the timestamp, ".", the raw body)
//
// The receiver recomputes the HMAC over the timestamp header, a full stop
// and the body as received, compares it in constant time, and refuses a
// timestamp too far from its clock (Verify uses 5 minutes) so that a
// captured request cannot be replayed later.
package webhook

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Header names of a webhook request.
const (
	HeaderTimestamp = "X-Webhook-Timestamp"
	HeaderSignature = "X-Webhook-Signature"
	HeaderID        = "X-Webhook-ID"
)

// Sign returns the X-Webhook-Signature value of body signed at ts.
func Sign(secret []byte, ts int64, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(strconv.AppendInt(nil, ts, 10))
	m.Write([]byte{'.'})
	m.Write(body)
	return "v1=" + hex.EncodeToString(m.Sum(nil))
}

// Errors of Verify.
var (
	ErrBadSignature = errors.New("webhook: the signature does not match the body (wrong secret, or the body was changed)")
	ErrStale        = errors.New("webhook: the timestamp is more than the tolerance away from now (a replay?)")
)

// Verify checks the headers' signature of body with secret, and that the
// timestamp is within tolerance of now (0: 5 minutes).
func Verify(secret []byte, timestamp, signature string, body []byte, now time.Time, tolerance time.Duration) error {
	if tolerance <= 0 {
		tolerance = 5 * time.Minute
	}
	ts, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return ErrBadSignature
	}
	if d := now.Sub(time.Unix(ts, 0)); d > tolerance || d < -tolerance {
		return ErrStale
	}
	want := Sign(secret, ts, body)
	if !strings.HasPrefix(signature, "v1=") || !hmac.Equal([]byte(want), []byte(signature)) {
		return ErrBadSignature
	}
	return nil
}
