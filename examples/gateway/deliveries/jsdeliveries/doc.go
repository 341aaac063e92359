// Package jsdeliveries is the gateway's deliveries.Queue on NATS JetStream,
// for a gateway that runs on several nodes: receipts and MO messages wait in
// a work-queue stream (R1 on one server, R3 on three), on a subject per
// account, and the pusher of whichever node holds a live receiver bind of
// the account claims them through the account's durable pull consumer.
//
// # The mapping
//
//   - Add publishes on Prefix.<token>, where the token is the account name
//     with every byte other than a letter, a digit or '-' written as '_'
//     and two hex digits (system_ids may hold characters that subjects and
//     consumer names may not); Seq is the stream sequence.
//   - The first Claim of an account on a Queue creates or updates its
//     consumer (durable "dlv-<token>", filtered on the account's subject,
//     AckWait = Lease, MaxDeliver unlimited). Claim is a pull request;
//     Ack, Nak (with delay) and Extend (in progress) go to the message's
//     reply subject and wait for the server's confirmation.
//   - Order: an account's deliveries come in stream order, and one naked
//     or whose lease ended comes back before those not handed out yet:
//     the consumer's redeliveries go first.
//   - Pending is the account's count in the stream, checked against its
//     consumer's (see Pending); Accounts lists the subjects that hold
//     messages (stream info with a subject filter).
//   - Close naks the claims this Queue handed out and that are not acked.
//
// A lease may end up to a second early after a consumer's leader changes
// (a server lost): the servers keep the delivery times of leased messages
// to the second in the consumer's replicated state (nats-server 2.15.3).
//
// # Accounts that go away
//
// An account's consumer is deleted by the servers once no Claim has asked
// it for anything for Options.Idle (InactiveThreshold, a day by default)
// and the last lease it gave has ended Idle ago, so accounts removed from
// the configuration leave no consumers behind. Nothing is lost: the
// deliveries stay in the stream (a work queue drops a message only when it
// is acked), and a later Claim creates the consumer again, which hands out
// every delivery not acked.
//
// # At least once
//
// JetStream acks a stream sequence, whichever hand-out the ack came from,
// so a claimer whose lease ended can ack the delivery its successor is
// sending (deliveries.ErrLeaseLost is returned only for a second call on
// the same claim): the ESME may get a delivery twice, never none. An Add
// that fails may have been stored, and an Add retried then stores it
// twice.
package jsdeliveries
