// Package deliveries is the gateway's queue of deliveries waiting for
// ESMEs: receipts and MO messages, per account, durable until an ESME
// acknowledges them, consumed by whichever bind of the account is live.
// Queue is the interface; Pebble is the single-node implementation (in
// the store's DB), Memory its in-memory reference, and the next issue adds
// JetStream behind the same conformance suite (deliveriestest).
//
// # The same lease contract as the queue
//
// A claimer (the account's pusher) claims a bounded number of an
// account's deliveries, each leased to it: it sends each to one bind, acks
// it on the deliver_sm_resp, and naks it on a refusal (with the back-off
// of ESME_RTHROTTLED), a timeout or a bind gone (at once: another bind, or
// another node, takes it). A claimer that dies holds its deliveries until
// their leases end; then they are handed out again. So the pusher keeps
// no list of the deliveries it knows, has in flight or delivered recently:
// what it holds is its claims, and the queue alone decides what is handed
// out, which is what lets a second node consume the same account.
//
// The lease must be longer than the time a claimer waits for an ESME (the
// gateway's deliver_timeout), or a delivery still in flight is handed out
// again and sent twice: Lease says how long it is, and a claimer that may
// wait longer extends its claims (Extend). A JetStream consumer hands a
// message out again after AckWait in the same way.
//
// Delivery is at least once: an ack lost in a crash (the single node
// removes acked deliveries from disk in unsynced batches; a JetStream ack
// may be lost in flight) sends a delivery again. ESMEs see a receipt twice
// rarely, and never lose one.
//
// # One write with the final state
//
// A receipt is recorded with the message's final state in one atomic
// write (store.UpdateWithDelivery): either both are there after a crash,
// or neither and the upstream's repeat of the receipt is processed anew.
// On one node the queue's keyspace is in the store's DB, and Pebble.Stage
// gives the delivery's key and value for the store's own batch (as
// queue.Pebble.Stage does for a message's ticket). On JetStream the
// delivery is published with a message id made of the message id and its
// revision, so that a write retried after a crash between the record and
// the publish is stored once.
//
// # Order and isolation
//
// Seq orders an account's deliveries: they are handed out in Seq order,
// except that one naked (or whose lease ended) is handed out again before
// those not handed out yet once its delay is over, as a JetStream
// consumer redelivers before it delivers new messages. The accounts are
// independent queues: a claim names its account, and an account whose
// ESME is away holds nothing of another's.
//
// # Single node
//
// Pebble keeps each delivery under <prefix><account><Seq> (the store's
// layout before this package, kept): Add is one synced write, Stage one
// entry of the store's batch, an Ack a single delete written with the
// acks around it (unsynced, within milliseconds), a Nak and a lease
// memory only. Leases live in memory, so a restart hands out every
// delivery not acked, at once. An account's deliveries come into memory
// when it is first claimed; memory holds about MaxHeld of an account's
// deliveries besides the leased ones, the first by Seq, and reads the rest
// back in Seq order as they go out: an ESME away for a day costs disk, not
// memory. A reading of the disk skips what memory holds and what is still
// being written (placed in memory when written), and the acked ones are
// removed from disk before it, so a delivery is never held twice: the bookkeeping the pusher
// kept for that (known, spilled, loading, gone) is the queue's now.
//
// # JetStream
//
// A stream (R3, file storage) with a subject per account
// (deliveries.<account>), and a durable pull consumer per account filtered
// on its subject, shared by the nodes: the node that holds a live bind of
// the account fetches from it. Claim is a fetch, the lease is AckWait,
// Extend is in-progress, Ack an ack, Nak a nak with delay; Seq is the
// stream sequence; Pending is the consumer's pending and ack-pending
// counts; Accounts the subjects with messages. MaxDeliver stays unlimited:
// a delivery is never dropped silently.
package deliveries
