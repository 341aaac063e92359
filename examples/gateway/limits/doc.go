// Package limits is the gateway's part that enforces an account's limits:
// the rate of its submissions (ESME_RTHROTTLED beyond it, never a silent
// drop) and the number of its binds (ESME_RALYBND beyond it), across all
// its binds, its HTTP sends, and, in a cluster, all the nodes. Limits is
// the interface; Local is the single-node implementation; limitstest is
// the conformance suite every implementation runs.
//
// The gateway enforces both through this part (its limits_wiring.go), not
// the server package: its Authenticate takes a bind with Bind (refusing
// with ESME_RALYBND), keeps the release on the connection, and releases it
// when the bind is refused after the hook (the server's Observer.Bind), the
// session leaves the bound state (an unbind, a lost connection: the
// session's Observer.StateChange) or the connection ends
// (Observer.ConnClosed); the submission handlers call Reserve first
// (shaping: the handler waits what it says, off the read loop, then goes
// on; refused beyond the account's shaping_max_wait) or Allow with shaping
// off; and the
// Account given to the server carries no Rate and no MaxBinds. The library
// needed no change for it.
//
// # Single node
//
// Local keeps a token bucket (golang.org/x/time/rate) and a bind count
// per account in memory: Allow costs about 100 ns with no allocation, and
// a restart forgets everything, as the server does today.
//
// # Cluster (the next issue)
//
// A token bucket shared through NATS would cost a round trip per
// submission. Instead each node enforces a share of the rate: Rate and
// Burst divided by the number of live nodes (a KV bucket of node
// heartbeats with a TTL), so the account gets its rate whichever node its
// binds are on, at the price of refusing early when its binds sit on one
// node of several (binds spread by the load balancer make this rare).
// Reserve works on the node's share the same way, with no round trip.
// Binds are counted exactly: a KV key per bind (account, node, session)
// with a TTL the node refreshes, and a compare-and-set on a per-account
// counter key, so that two nodes cannot both take the last bind and a
// dead node's binds lapse with their TTL. A bind is rare; a round trip is
// fine there.
package limits
