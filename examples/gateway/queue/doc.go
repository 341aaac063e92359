// Package queue is the gateway's queue of accepted messages waiting for an
// upstream: claim with a lease, ack, nak with a delay, and a lease that
// ends hands the message out again. Queue is the interface; Pebble is the
// single-node implementation, Memory its in-memory reference, and the next
// issue adds JetStream behind the same conformance suite (queuetest).
//
// # Tickets, not messages
//
// The queue holds tickets: a message id, the revision of the message's
// record in the state part when the ticket was made, and a due time. The
// record is the truth (body, validity, state) and changes only by
// compare-and-set on its revision; the ticket never changes. cancel_sm and
// replace_sm are changes of the record, not of the queue, because a
// JetStream work queue cannot find a queued message by id, nor change or
// remove one that a claimer on another node may be holding: the state's
// compare-and-set is what decides between a cancel and a dispatch racing
// on two nodes, so it decides on one node too.
//
// # The claim protocol
//
// A claimer (the upstream part) resolves each claimed ticket against the
// record it reads then:
//
//   - no record, or a revision below the ticket's: its reader is behind (a
//     replica, a per-node projection): Nak with a short delay;
//   - a final record (delivered, cancelled, expired, ...): Ack, nothing to
//     do;
//   - Queued: compare-and-set it to Inflight, which fails if a cancel or a
//     replace got there first (read again); send what the record holds now,
//     so a replace_sm is seen by the next claim; record the answer by
//     compare-and-set (Enroute, final, or Queued again for a retry), and
//     only then Ack, or Nak with the back-off;
//   - Inflight: the ticket was handed out again while in flight, so the
//     claimer that sent it lost its lease (crashed, or was too slow): the
//     crash policy decides (send again with a dedupe key, or UNKNOWN), by
//     compare-and-set.
//
// A message keeps one ticket from acceptance to its upstream's answer, so
// the queue is also the list of unfinished work: after a crash the
// tickets of the messages in flight are handed out again when their leases
// end (at once after a restart on one node; after the lease on JetStream,
// to any node), and the crash policy runs then. No start-up scan of the
// store is needed. The expiry by validity period is the claimer's too: a
// record past its validity is finished EXPIRED when claimed, and a claimer
// bounds each delay by the validity, so the queue knows no validity (a
// replace_sm may move it, a JetStream message cannot change, and a queue
// that dropped a message by age would send no EXPIRED receipt).
//
// A late call of a claimer that lost its lease must be harmless: the
// single-node queue refuses it (ErrLeaseLost), but JetStream acks a stream
// sequence whichever delivery the ack came from. Acking only after one's
// own compare-and-set made the ticket useless keeps it so.
//
// # Single node
//
// Pebble keeps the tickets in a keyspace of a Pebble DB it is given, by
// due time: Enqueue is one synced write (NoSync when the DB is shared with
// the state's record, written and synced after the ticket: one log, one
// sync; or Stage, to put the ticket in the record's own batch), a Nak one
// unsynced write, Acks one unsynced batch per Claim; leases live in
// memory, so a restart hands out every ticket not acked. Memory holds
// about MaxHeld waiting tickets (12 MiB by default), the ones due first; the rest stays on disk and is read
// back in order: an upstream down for an hour queues tens of millions of
// messages, which the channel and delay heap before it held in memory,
// bodies included.
//
// # JetStream
//
// A work-queue stream (R3, file storage, MaxMsgs for ErrFull with
// DiscardNew) of ticket messages, published with Nats-Msg-Id set to
// id/revision so that a publish retried is stored once; one durable pull
// consumer shared by the nodes. Claim is a fetch, the lease is AckWait,
// Deliveries is the delivery count, Ack is an ack, Extend is in-progress,
// Nak is a nak with delay, and a due time at Enqueue a nak with delay when
// the ticket is first fetched early (message schedules refuse DiscardNew);
// a naked ticket stays in the consumer's pending set, bounded by
// MaxAckPending. Due tickets go out in stream order, not by due time.
// MaxDeliver stays unlimited: a ticket is never dropped silently. Package
// jsqueue implements it.
package queue
