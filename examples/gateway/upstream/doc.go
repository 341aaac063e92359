// Package upstream takes the gateway's queued messages to the operator SMSCs
// and brings their answers, receipts and MO messages back: a Dispatcher
// claims the queue's tickets (package queue), sends each message over an
// SMSC's client (package client), records the answer in the state (package
// store), and hands receipts and MO messages to the ESME side.
//
// # The claim protocol
//
// The queue carries tickets (id, revision); the message's record holds the
// truth, and it is read when a ticket is claimed, so that a cancel_sm or a
// replace_sm (a compare-and-set on the record) and a dispatcher racing are
// decided by the record's revision:
//
//   - no record: purged, final long ago: ack;
//   - a record older than the ticket: the reader is behind the writer (a
//     replica): nak briefly, look again;
//   - final, or Enroute: the ticket is no longer needed: ack;
//   - Queued: past its validity it is finished EXPIRED; scheduled later,
//     the ticket goes back until then; else it is written Inflight
//     (compare-and-set), sent with what the record holds now (a replace is
//     seen here), and the upstream's answer is recorded (Enroute, with the
//     index entry from the upstream's id to the message) before the ticket
//     is acked; a refusal that is safe to send again writes it Queued again
//     and gives the ticket back after a back-off;
//   - Inflight: the ticket was handed out again because its previous
//     claimer's lease ended (the gateway stopped, or a cluster node died):
//     the crash policy below.
//
// A ticket is acked only once the claimer's own write made it useless: a
// late ack is harmless, and a message keeps its ticket until its upstream's
// answer is recorded, so the queue is the list of unfinished work and a
// restart needs no recovery scan.
//
// # Crash policy
//
// A message found Inflight had its submit sent (or about to be) when its
// claimer stopped, and its answer was not recorded. If its SMSC has a dedupe
// key (an idempotency TLV the SMSC honours, Config.Dedupe), it is sent again
// with the same key, and the SMSC answers with the message id it already
// gave. Without one it is never sent again: it is marked UNKNOWN, and an
// ESME that asked for a receipt gets one with stat UNKNOWN. For the same
// reason the Inflight mark is written durably before a submit leaves only
// towards an SMSC without a dedupe key (store.Store.Mark otherwise).
//
// A submit that may have been sent and was not answered (a timeout, a lost
// connection after the write) is treated the same way at once.
//
// # Receipts
//
// A receipt names the SMSC's message id, which the state's index maps to the
// gateway's. A receipt may come before the submit_sm_resp of its message is
// recorded: its answer to the SMSC is then held until the index entry
// appears, or for a minute, after which the SMSC is asked to deliver it again
// later. The final state and the receipt for the ESME (with the gateway's
// message id in place of the SMSC's) are written in one atomic write, so
// that a receipt the SMSC repeats is recognised by the final state.
//
// # Where it runs
//
// What an SMSC sends is handled on its bind's read loop (the client's
// InlineHandler), which never waits for the store: a receipt's write and
// an acceptance's index entry are handed over (Store.UpdateWithDeliveryAsync,
// Store.MapUpstreamAsync), and the SMSC's deliver_sm is answered, or the
// claim acked, by the goroutine that commits the write. Whatever may wait
// runs elsewhere: a receipt parked for its message's answer on a goroutine
// of its own, an MO message and the answers other than an acceptance on a
// completion worker (Options.Later), as does a receipt's second reading
// after its write met a newer revision.
package upstream
