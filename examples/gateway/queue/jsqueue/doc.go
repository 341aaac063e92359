// Package jsqueue is the gateway's queue.Queue on NATS JetStream, for a
// gateway that runs on several nodes: a work-queue stream of tickets (R1 on
// one server, R3 on three) and one durable pull consumer that every node
// claims from.
//
// # The mapping
//
//   - Enqueue publishes the ticket (id, revision, due time in the body)
//     with Nats-Msg-Id "id/rev", and returns once the stream stored it (on
//     a majority of its replicas): a publish retried within the stream's
//     duplicate window (Options.Duplicates) is stored once. A full stream
//     (Options.MaxLen, DiscardNew) is queue.ErrFull.
//   - Claim is a pull request (what is there now, else wait for one); the
//     lease is the consumer's AckWait; Ack, Nak (with delay) and Extend
//     (in progress) are sent to the message's reply subject and wait for
//     the server's confirmation, so that Len and the next Claim see them.
//   - A ticket due in the future is handed out once by the consumer, seen
//     to be early by the claiming Queue and naked with a delay that ends at
//     its due time, without reaching the caller. It then waits in the
//     consumer's pending set, as does a ticket naked with a delay: both
//     count against Options.MaxHeld (MaxAckPending), beyond which the
//     consumer hands out nothing new. Message schedules would keep them
//     out of the pending set, but nats-server 2.15.3 refuses them on a
//     stream with DiscardNew, which MaxLen (queue.ErrFull) needs.
//   - Len is the consumer's ack-pending count plus the tickets stored after
//     the last one it handed out (see Len).
//   - Close naks the claims this Queue handed out and that are not acked,
//     so that another node need not wait for their leases.
//
// # What differs from the single-node queue
//
// At least once, and said so: JetStream acks a stream sequence, whichever
// delivery the ack came from, so a claimer whose lease ended can still ack
// or nak the ticket its successor holds (queue.ErrLeaseLost is returned
// only for a second call on the same claim). The claim protocol of package
// queue makes this harmless: a claimer acks only after its own
// compare-and-set on the record made the ticket useless. A crashed node's
// leases end after AckWait, and its tickets go to any node then.
//
// A lease may end up to a second early after the consumer's leader
// changes (a server lost): the servers keep the delivery times of leased
// messages to the second in the consumer's replicated state (nats-server
// 2.15.3). Leases are meant to be tens of seconds.
//
// Order: tickets already due are handed out in stream order, not by due
// time among themselves, and a ticket naked without delay, or whose lease
// ended, goes before the tickets not handed out yet (queuetest's
// StreamOrder). A ticket is never handed out before its due time.
//
// Deliveries is the consumer's delivery count, less the one early hand-out
// of a ticket enqueued with a due time in the future; a ticket first
// fetched after its due time is then counted one short after a
// redelivery. Nothing depends on it for correctness.
//
// Expiry by validity stays the claimer's: the queue drops nothing by age
// (MaxDeliver and MaxAge are unlimited).
package jsqueue
