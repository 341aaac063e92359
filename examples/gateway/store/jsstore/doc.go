// Package jsstore is store.Store on NATS JetStream key-value buckets, for
// a gateway of several nodes sharing one state. Any node reads
// and changes any message; Pebble (package store) stays the single-node
// default.
//
// # Buckets
//
// Options.Bucket+"_records": one entry per message, key = the message id
// (ids of package msgid are valid keys; any other id is "=" and its
// base64url), value = a version byte, the message in the store package's
// record encoding (store.AppendMessage, Rev included), and the upstream
// index entries recorded for it (so that Purge removes them with it).
// Options.Bucket+"_upstream": the index, key = "=" base64url(route) ".="
// base64url(upstream id), value = the message id; and one key per node,
// "lastid.<node_id>". Both keep one version per key (History 1).
//
// The buckets' streams are made by this package, not by CreateKeyValue:
// without direct get, so that every read goes to the stream's leader and
// sees every write acknowledged before it, from any node (a follower
// answering a direct get may lag, and Get must return the newest revision);
// with per-message TTLs; and with deletes allowed, so that Purge removes a
// record's message rather than adding a marker.
//
// # Revisions and compare-and-set
//
// Message.Rev is kept in the record: 1 at Accept, one more per change. A
// change is a JetStream publish expecting the key's last sequence (the KV
// revision) to be the one the record was read at, so the servers refuse
// it if any node wrote in between: the store then reads the record again
// and answers store.ErrConflict if its Rev moved, store.ErrNotFound if it
// is gone, and otherwise writes again on the new KV revision (the key
// moved without the message changing: the sweep took an outbox, a write
// whose answer was lost was stored, a read came from behind). A
// bounded cache (Options.Cache) keeps the record and KV revision of the
// messages on their way that this node wrote or read last, so that a
// change usually costs one round trip, not two; a stale entry costs a
// refusal and a read, never a wrong write.
//
// # Durability and the crash windows
//
// Every write returns once the servers have stored it: on R3 a majority of
// the replicas, which is what makes it survive the loss of a node
// (JetStream's files are synced every two minutes by default, not at every
// write). What one node does in one atomic write takes two or three here:
//
//   - Accept writes the record (Create: refused if the id exists), then
//     enqueues the ticket in Options.Queue; the ESME is answered after
//     both. A crash between them leaves a Queued record that no ticket
//     names and that no ESME was told of: it is never sent, and it is not
//     swept: it lives out its TTL (its validity plus Retention) and goes.
//     query_sm could find it only by guessing its id.
//   - MapUpstream writes the record (naming the index entry, and flagged
//     so), then the entry. A crash between them leaves the record Enroute
//     with no entry (the claimer that gets its ticket back acks it:
//     Enroute needs nothing more); the sweep below writes the entries of
//     the records still flagged after Options.OutboxAge that are missing
//     (a read of the entry per message whose receipt has not come by
//     then; the record's next write drops the flag). A receipt that comes
//     before the sweep waits its WaitUpstream time and is unmatched.
//     (Writing the entry first is not the answer: a receipt would find a
//     message not yet Enroute, and a refused MapUpstream must leave no
//     entry.)
//   - UpdateWithDelivery writes the final state with the receipt in the
//     record (its outbox), adds the receipt to Options.Deliveries, then
//     writes the record again without it. A crash before the add leaves
//     the receipt in the record: every node sweeps (Options.Sweep, at
//     start over every record, then over those written lately) and adds
//     the receipts left there for longer than Options.OutboxAge, taking
//     each by compare-and-set so that one node adds it. A crash after the
//     add and before the clearing write has the sweep add it again: a
//     duplicate for the ESME, never a loss. The clearing write keeps the
//     message's Rev (the message did not change), so the caller's revision
//     still holds. It costs one write more per receipt, and the sweep
//     costs each node a read of every record about twice (each pass reads
//     those written since OutboxAge + Sweep before the previous one began;
//     at start, all).
//
// Mark is Update here: the Inflight mark is a durable compare-and-set
// before the submit leaves, with or without a dedupe key. On one node a
// crash restarts every dispatcher with the store, so a mark kept in memory
// only can be forgotten safely; here the ticket comes back to a claimer on
// another node, which must see the mark to apply the crash policy (and
// Get must return the newest revision everywhere). It costs one R3 write
// per message sent towards an upstream with a dedupe key.
//
// # Lifetime and memory
//
// Every record write carries a TTL: a final message lives Retention (72 h
// by default, the gateway's retention) from its final write; a message
// not final lives until its validity ends (Expires, or Validity from now
// when Expires is zero) plus Retention, which also bounds the orphans of
// Accept's crash window. An index entry lives as long as its record did
// when it was written. So query_sm answers for a message until Retention
// after it became final; for an older id the record is gone and the
// gateway answers as for an unknown id (ESME_RQUERYFAIL), as on one node
// after Purge. Purge(before) removes earlier: it lists the records' keys
// (every live message) and removes the final ones done before the time,
// each by deleting the exact message it read (a record written since has
// another sequence and stays), then their index entries that still name
// them.
//
// The servers keep an in-memory index of every key of a bucket (about 350
// bytes a key was measured before this package): with a record and an
// index entry per message, the memory is per message live in the buckets,
// that is per message accepted within validity + retention of now. See
// BenchmarkMemory and PARTS.md for the figure per million messages.
//
// # LastID
//
// Ids carry the node's number (node_id), so each node resumes its own
// sequence: LastID returns the greatest id accepted by this node, kept in
// its key "lastid.<node_id>", written at most every 100 ms when it changed
// and at Close. After a crash the key may miss the ids of the last 100 ms;
// msgid issues ids from the current millisecond, so a node restarted with
// a clock not set back more than that issues greater ids anyway.
//
// # WaitUpstream
//
// WaitUpstream looks the entry up, and if it is not there watches its key
// (an ordered consumer of one subject, which delivers the entry if it was
// written meanwhile) until the entry comes, ctx ends (store.ErrNotFound),
// or the store is closed (store.ErrClosed).
package jsstore
