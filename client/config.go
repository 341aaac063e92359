package client

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"time"

	"github.com/esmsafrica/smpp/encoding"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/session"
	"github.com/esmsafrica/smpp/udh"
)

// Mode is how the client binds to each endpoint.
type Mode uint8

// The bind modes. The zero value is Transceiver.
const (
	// Transceiver binds once per endpoint with bind_transceiver: submits and
	// deliveries share one connection.
	Transceiver Mode = iota
	// Transmitter binds once per endpoint with bind_transmitter (submit only).
	Transmitter
	// Receiver binds once per endpoint with bind_receiver (deliveries only).
	Receiver
	// Pair binds twice per endpoint, a transmitter and a receiver, managed as
	// one: submits go over the transmitter, deliveries arrive on the receiver.
	Pair
)

// String returns "transceiver", "transmitter", "receiver" or "pair".
func (m Mode) String() string {
	switch m {
	case Transceiver:
		return "transceiver"
	case Transmitter:
		return "transmitter"
	case Receiver:
		return "receiver"
	case Pair:
		return "pair"
	}
	return "Mode(?)"
}

// bindIDs returns the bind command of each slot a mode opens per endpoint.
func (m Mode) bindIDs() []pdu.CommandID {
	switch m {
	case Transmitter:
		return []pdu.CommandID{pdu.BindTransmitterID}
	case Receiver:
		return []pdu.CommandID{pdu.BindReceiverID}
	case Pair:
		return []pdu.CommandID{pdu.BindTransmitterID, pdu.BindReceiverID}
	}
	return []pdu.CommandID{pdu.BindTransceiverID}
}

// Endpoint is one SMSC address.
type Endpoint struct {
	// Addr is "host:port".
	Addr string
	// TLS, when not nil, dials with TLS using this configuration (nil:
	// Config.TLS). Certificates are verified unless it says otherwise; an
	// empty ServerName is taken from Addr.
	TLS *tls.Config
}

// Defaults of the zero values of Config.
const (
	DefaultMinBackoff      = 100 * time.Millisecond
	DefaultMaxBackoff      = 30 * time.Second
	DefaultDialTimeout     = 10 * time.Second
	DefaultThrottleBackoff = 200 * time.Millisecond
	DefaultMaxRetries      = 10
)

// Split says how SendText carries a text too long for one short message.
type Split uint8

// The split methods. The zero value is SplitUDH8.
const (
	// SplitUDH8 puts a user data header with an 8-bit reference in each
	// segment's short_message (esm_class UDHI).
	SplitUDH8 Split = iota
	// SplitUDH16 is SplitUDH8 with 16-bit references.
	SplitUDH16
	// SplitSAR sends each segment with the sar_msg_ref_num,
	// sar_total_segments and sar_segment_seqnum TLVs (16-bit references);
	// the SMSC builds the UDH.
	SplitSAR
	// SplitPayload sends the whole text in one submit_sm's message_payload
	// TLV and lets the SMSC split it.
	SplitPayload
)

// Config configures a Client. The zero value of every field is a documented
// default; SystemID and Password are what most SMSCs require.
type Config struct {
	// SystemID, Password, SystemType, AddrTON, AddrNPI and AddressRange are
	// the fields of the bind request. InterfaceVersion zero means 0x34.
	SystemID         string
	Password         string
	SystemType       string
	InterfaceVersion uint8
	AddrTON, AddrNPI uint8
	AddressRange     string

	// Mode is how to bind to each endpoint; zero is Transceiver.
	Mode Mode

	// Endpoints are the SMSC addresses besides the one given to Dial. All are
	// bound at once (active-active); requests use the first live bind in this
	// order (Dial's address first) unless Spread is set, and fail over to the
	// next when a bind is down.
	Endpoints []Endpoint
	// Spread sends requests round-robin over all live transmitting binds
	// instead of preferring the first.
	Spread bool
	// StartInactive starts every bind switched off: none binds until
	// Client.SetActive names it. For processes that share an SMSC's bind
	// limit and bind only the binds they hold. Use New, not Dial (Dial
	// waits for a first bind).
	StartInactive bool

	// TLS, when not nil, is the TLS configuration of every endpoint that has
	// none of its own. Nil dials plain TCP.
	TLS *tls.Config
	// DialContext dials the TCP connection (nil: a net.Dialer). Tests use it
	// to connect through net.Pipe.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// DialTimeout bounds connecting, the TLS handshake and the bind. Zero
	// means DefaultDialTimeout (10 s).
	DialTimeout time.Duration

	// MinBackoff and MaxBackoff bound the jittered exponential back-off
	// between reconnection attempts of one bind. Zero means
	// DefaultMinBackoff (100 ms) and DefaultMaxBackoff (30 s).
	MinBackoff, MaxBackoff time.Duration

	// Session configures the session of every bind: Window (the most
	// requests in flight per bind), InboundWindow (deliveries handled at
	// once), ResponseTimeout, EnquireLinkInterval, InactivityTimeout,
	// decoding, InlineHandler for the delivery handler, its Observer... The
	// zero value of each field is the session package's default (see
	// session.Config: a window of 100, 30 s timers). The client sets Role,
	// Handler, OnBind and OnOutbind itself (what they hold here is
	// ignored), turns RecycleRequests off (a Delivery owns its memory), and
	// sets Logger to Config.Logger when nil.
	Session session.Config

	// Rate is the most requests per second per bind (golang.org/x/time/rate),
	// with Burst. Zero means unlimited until the SMSC throttles.
	Rate float64
	// TotalRate is the most requests per second across all binds. Zero
	// means unlimited.
	TotalRate float64
	// Burst is the limiters' burst. Zero means max(1, Rate/10) for Rate and
	// likewise for TotalRate.
	Burst int
	// MinRate is the lowest rate, per second, that throttling reduces a bind
	// to. Zero means 1.
	MinRate float64
	// ThrottleBackoff is the first pause after ESME_RTHROTTLED or
	// ESME_RMSGQFUL; it doubles with each throttle in a row (at most 32×).
	// Zero means DefaultThrottleBackoff (200 ms).
	ThrottleBackoff time.Duration
	// RetryThrottled resends a request the SMSC answered with
	// ESME_RTHROTTLED or ESME_RMSGQFUL (it was refused, so it cannot be
	// duplicated), after the pause, up to MaxRetries times.
	RetryThrottled bool
	// MaxRetries bounds the resends of one request after throttling. Zero
	// means DefaultMaxRetries (10). Requests lost before they were written
	// (a connection that broke under them) are resent regardless, until
	// their context ends.
	MaxRetries int

	// Handler receives deliver_sm and data_sm from the SMSC: MO messages
	// (reassembled) and delivery receipts (parsed). Nil answers them all
	// with ESME_RX_T_APPN so that the SMSC keeps them for later.
	Handler Handler
	// DetectReceiptText treats a deliver_sm or data_sm whose esm_class does not
	// mark it as a receipt, but whose text has both an id: and a stat: field,
	// as a receipt (some SMSCs send receipts with esm_class 0). False trusts
	// esm_class alone.
	DetectReceiptText bool
	// Reassembly bounds the reassembly of long MO messages (TTL, memory).
	// Its Default is set from Default.
	Reassembly udh.Config

	// Default is what data_coding 0 means to this SMSC (and whether it
	// wants GSM 7-bit packed); zero is GSM 7-bit unpacked.
	Default encoding.Default
	// Encoding selects the alphabets SendText may choose from (national
	// tables, Latin-1).
	Encoding encoding.Options
	// Split is how SendText carries a long text; zero is SplitUDH8.
	Split Split
	// RegisteredDelivery is the registered_delivery of the messages SendText
	// submits: 1 asks for a receipt of every message. Zero asks for none.
	RegisteredDelivery uint8
	// MaxSegments bounds the segments of one SendText (0: 255).
	MaxSegments int
	// MaxShortMessage, when not zero, also bounds the octets of each
	// segment's short_message (set 140 for SMSCs that count unpacked GSM
	// 7-bit septets as octets). Zero: only the 140-octet air interface limit
	// applies, so an unpacked GSM 7-bit segment may take 6+153 octets.
	MaxShortMessage int

	// OnStateChange, when not nil, is called on every change of a bind's
	// state, from the goroutine that manages that bind; it must not block
	// for long.
	OnStateChange func(StateEvent)

	// Logger logs connection events. Nil uses slog.Default().
	Logger *slog.Logger
}

// BindState is the state of one bind slot.
type BindState uint8

// The bind states an application sees.
const (
	// Connecting: dialling and binding.
	Connecting BindState = iota + 1
	// Bound: the bind is up and carries requests.
	Bound
	// Disconnected: the connection or the bind failed; a reconnection
	// follows after a back-off (Err says why).
	Disconnected
	// Closed: the client was closed; this bind will not come back.
	Closed
)

// String returns the state's name.
func (s BindState) String() string {
	switch s {
	case Connecting:
		return "connecting"
	case Bound:
		return "bound"
	case Disconnected:
		return "disconnected"
	case Closed:
		return "closed"
	}
	return "BindState(?)"
}

// StateEvent reports a state change of one bind.
type StateEvent struct {
	Endpoint string        // the endpoint's address
	Bind     pdu.CommandID // bind_transmitter, bind_receiver or bind_transceiver
	// Slot tells the client's binds apart, also several to one address:
	// 0, 1, ... in the order of the endpoints, then of the binds of each.
	Slot    int
	State   BindState
	Err     error         // why a bind went down or failed; nil otherwise
	Backoff time.Duration // with Disconnected: the wait before the next attempt
}

func (c *Config) setDefaults() {
	if c.InterfaceVersion == 0 {
		c.InterfaceVersion = 0x34
	}
	if c.DialTimeout <= 0 {
		c.DialTimeout = DefaultDialTimeout
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = c.MinBackoff
	}
	if c.ThrottleBackoff <= 0 {
		c.ThrottleBackoff = DefaultThrottleBackoff
	}
	if c.MinRate <= 0 {
		c.MinRate = 1
	}
	if c.MaxRetries <= 0 {
		c.MaxRetries = DefaultMaxRetries
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	c.Reassembly.Default = c.Default
}
