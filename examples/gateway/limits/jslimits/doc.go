// Package jslimits is limits.Limits across the nodes of a gateway cluster,
// on NATS JetStream key-value buckets: each node enforces a share of every
// account's rate, and the binds are counted over all the nodes.
//
// # Rate: a share per live node
//
// Each node keeps a heartbeat key (its instance, a random id per start) in
// a bucket whose entries live Options.TTL; it writes it every TTL/3 and
// lists the bucket as often. With n instances live, it enforces Rate/n and
// Burst/n of every account locally (limits.Local, so Allow and Reserve stay
// in memory, about 100 ns, no allocation), and sets the shares again when n
// changes: a node that joins takes its share within TTL/3, and one that
// stops (a crash: its key expires within TTL; Close: it deletes its key at
// once) gives its share to the others within TTL (+ TTL/3).
//
// Why not a shared budget (a token bucket in a KV key, decremented by
// compare-and-set): it costs a round trip to the servers, and on R3 a Raft
// commit, on every submission, which at 10,000 submissions a second is
// 10,000 contended writes on one key per account, and every submit_sm_resp
// waits for one. The share costs nothing per submission; its price is that
// an account whose binds all sit on one node of n gets Rate/n until they
// spread (ESMEs bound to both nodes, or a load balancer, spread them), and
// that for up to TTL after a node dies the survivors still enforce the
// smaller shares (the account gets less than its rate, never more).
//
// # Binds: counted over the nodes
//
// An account's binds are one KV entry: the list of binds held, each named
// by the instance that holds it and a random bind id. Bind reads it, counts
// the binds of live instances (an instance is live while its heartbeat key
// is: one that was not in this node's last list is looked up before its
// binds are dropped), refuses at MaxBinds, and writes the list with its
// bind added by compare-and-set on the entry's revision (another node's
// write in between: read again and decide again), so two nodes cannot both
// take the last bind. Release writes it without the bind the same way. A
// dead node's binds stop counting when its heartbeat key expires (TTL), and
// leave the list at the next write of the account. Within a node, the
// writes of one account are serialised, and the entry as last written is
// kept, so a bind usually costs one round trip.
package jslimits
