// Package jswork holds what the gateway's JetStream work queues share
// (package jsqueue's tickets and package jsdeliveries' receipts): the pull
// fetch that turns a consumer's messages into claims, the claims' ack, nak
// and in-progress sent to the message's reply subject and confirmed by
// the server, the bookkeeping of the claims a queue handed out (given back
// at Close), and the errors that pass by themselves.
//
// A queue keeps one Holder, and its claim type embeds a Claim, which
// provides Ack, Nak and Extend. What a message carries, how a queue finds
// its consumer, and how its Claim loop waits and retries stay with each
// queue.
package jswork
