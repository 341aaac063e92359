// Package smppapi answers the message requests of the gateway's ESMEs:
// submit_sm, data_sm and submit_multi, which it checks and accepts into the
// state (package store) with a new message id, and query_sm, cancel_sm and
// replace_sm, which it answers from the state for the messages of the
// ESME's own account. Handlers is built from Options (the store, the ids,
// the routes, the rate hook, the account and bind of a request, the
// metrics) and installed on the server's mux with Register.
//
// # Where they run
//
// The handlers are made for a server whose sessions run them on the read
// loop (session.Config InlineHandler): a submit_sm or data_sm is checked
// there and handed to the store (Store.AcceptAsync), and its answer is sent
// by the goroutine that committed the store's group of writes, so that
// neither the read loop nor a handler goroutine waits for the disk. What may
// wait is handed to the connection's handler goroutines (server.OffLoop): a
// submission of an account whose rate is shaped (Options.ThrottleWaits),
// submit_multi (several writes), and query_sm, cancel_sm and replace_sm (the
// store's blocking reads and writes).
//
// # A submission
//
// The rate comes first (Options.Throttle may hold the request until the
// account's rate allows it, or answer it ESME_RTHROTTLED); then the
// destination must be routable (Check: ESME_RINVDSTADR otherwise), every
// field within its SMPP 3.4 limit and every value allowed (Refused), and
// the schedule and validity times readable. The message is then stored with
// its ticket in one durable write (AcceptAsync), and only then answered
// ESME_ROK with its id: an ESME never holds the id of a message the gateway
// could lose. The body stored is the request's own, as it came: once every
// field is within its limit it is the strict encoding (see server.Request).
//
// A message with no validity_period expires Options.DefaultValidity after
// it was accepted (Expiry). One with a schedule_delivery_time in the future
// stays queued in the gateway until then, so that cancel_sm and replace_sm
// work until it leaves, and goes upstream without the schedule.
//
// submit_multi stores one submit_sm per SME destination, with the ids
// "<id>-1", "<id>-2"...; a distribution list is not provisioned and is
// reported unsuccessful, as is any destination refused or not stored. It is
// refused ESME_RSUBMITFAIL only when none was accepted.
//
// # Query, cancel and replace
//
// An ESME sees the messages of its own account only: another account's id
// is answered as an id unknown. cancel_sm and replace_sm change a message
// still queued in the gateway by a compare-and-set on its record
// (store.ErrConflict when it changed since it was read): a dispatcher that
// marked it Inflight first wins, and the cancel or replace fails; any other
// change in between (another replace) is read again and decided anew.
// cancel_sm by address (no message_id) is not supported.
package smppapi
