// Package httpapi is the gateway's HTTP front door: a versioned JSON API to
// send messages (POST /v1/messages), read their state (GET
// /v1/messages/{id}) and cancel them while queued (DELETE
// /v1/messages/{id}), with its OpenAPI document at /v1/openapi.json.
//
// The package parses and checks requests, splits text into segments (with
// the library's udh and encoding packages, as client.SendText does),
// authenticates the caller through its Backend, keeps the first answer to
// each Idempotency-Key (Keeper) and writes every error as JSON:
//
//	{"error": {"code": "text_too_long", "message": "...", "field": "text", "smpp_status": "ESME_RINVMSGLEN"}}
//
// The gateway's package main implements Backend: it turns a Submission into
// one stored message per segment and destination, exactly as it does for
// submit_sm, so that a message sent over HTTP is routed, throttled, stored,
// queried and receipted like one sent over SMPP.
//
// A request is checked whole before anything of it is stored: a bad field,
// a destination that cannot be routed or a text needing more than the
// maximum segments refuses the request and stores nothing. Only a failure of
// the store itself while a multi-message request is being stored (a disk
// error) can leave part of it stored: the answer is then 503 with code
// "store_failed" and, in "stored", the ids that were stored and will be
// sent; the client must not resend those.
package httpapi
