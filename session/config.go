package session

import (
	"context"
	"log/slog"
	"time"

	"github.com/esmsafrica/smpp/codec"
	"github.com/esmsafrica/smpp/pdu"
)

// Defaults used for the zero values of Config.
const (
	DefaultWindow              = 100
	DefaultInboundWindow       = 100
	DefaultResponseTimeout     = 30 * time.Second
	DefaultEnquireLinkInterval = 30 * time.Second
	DefaultEnquireLinkMissed   = 3
	DefaultBindTimeout         = 30 * time.Second
	DefaultUnbindTimeout       = 5 * time.Second

	// DefaultMaxUnboundPDULen is the largest PDU an SMSC-role session reads
	// before the bind. Until then an ESME may send only bind, enquire_link,
	// generic_nack or unbind, and the largest of them, a bind with every
	// field at its maximum, is 98 octets; 512 leaves room for peers that
	// overrun a field or two (the lenient decoder takes them), and for a
	// submit_sm of ordinary size sent too early to get its
	// ESME_RINVBNDSTS rather than a closed connection.
	DefaultMaxUnboundPDULen = 512
)

// Config configures a Session. The zero value of every field is a documented default.
type Config struct {
	// Role is the side this session plays; zero means ESME.
	Role Role

	// Handler handles the peer's requests other than bind, unbind and
	// enquire_link (which the session answers itself). Nil answers every
	// request with the status DefaultStatus gives (ESME_RSUBMITFAIL for a
	// submission to an SMSC, ESME_RX_T_APPN for a delivery to an ESME).
	Handler Handler

	// InlineHandler runs Handler on the read loop instead of one goroutine per
	// request: much faster for a handler that answers at once without
	// blocking (no I/O, no waiting on locks). While it runs, the session reads
	// nothing, so a handler that must wait calls Hold and answers from another
	// goroutine, or is wrapped in OffLoop, which hands its requests to the
	// session's handler goroutines. False (the default) runs each request on
	// a goroutine of its own, taken from the session's idle handler
	// goroutines when one waits.
	InlineHandler bool

	// RecycleRequests, with InlineHandler, reuses each submit_sm and
	// deliver_sm request's memory for the next one once the handler has
	// returned: the Request, its PDU and Body and every string and slice of
	// the PDU are valid only until then. A handler that keeps something copies it
	// (strings.Clone, or the PDU's Clone method); one that calls Hold keeps
	// the whole request, which is then not reused. It saves the one
	// allocation per request. In builds with the race detector (go test
	// -race) the memory is not reused but poisoned as the handler returns:
	// a kept string then reads Poison, and a read of it from another
	// goroutine is reported as a race. False (the default) gives every
	// request its own memory, which the handler may keep.
	RecycleRequests bool

	// OnBind authenticates a bind received by an SMSC-role session. It runs on
	// the read loop (nothing else is legal before the bind completes). It returns
	// the response body (nil for a default one) and the status; a non-zero status
	// refuses the bind and leaves the session OPEN. A refusal's bind_resp is
	// header-only, as SMPP 3.4 has it, unless the body has BodyOnError set:
	// then it carries the body's system_id (and TLVs), which some ESMEs read
	// from every bind_resp. Nil accepts every bind.
	OnBind func(ctx context.Context, s *Session, b *pdu.Bind) (*pdu.BindResp, pdu.Status)

	// OnOutbind is called when an ESME-role session receives outbind. Nil ignores it.
	OnOutbind func(s *Session, o *pdu.Outbind)

	// Window is the most requests this side has in flight at once; a send waits
	// while it is full. Zero means DefaultWindow (100).
	Window int

	// InboundWindow is the most peer requests handled at once; past it the peer
	// gets ESME_RTHROTTLED. Zero means DefaultInboundWindow (100).
	InboundWindow int

	// ResponseTimeout bounds the wait for each response, to within a tick of
	// the timer loop (a quarter of the timeout, at most a second). Zero means
	// DefaultResponseTimeout (30 s); negative disables it.
	ResponseTimeout time.Duration

	// EnquireLinkInterval is the idle time after which an enquire_link is sent.
	// Zero means DefaultEnquireLinkInterval (30 s); negative disables it.
	EnquireLinkInterval time.Duration

	// EnquireLinkMissed is how many enquire_links may go unanswered before the
	// session is closed as dead. Zero means DefaultEnquireLinkMissed (3).
	EnquireLinkMissed int

	// BindTimeout closes an SMSC-role connection that has not bound within it.
	// Zero means DefaultBindTimeout (30 s); negative disables it.
	BindTimeout time.Duration

	// InactivityTimeout closes a bound session that exchanged no request or
	// response other than enquire_link for this long. Zero disables it.
	InactivityTimeout time.Duration

	// UnbindTimeout bounds the wait for unbind_resp when unbinding, and for the
	// peer to close after we answered its unbind. Zero means 5 s.
	UnbindTimeout time.Duration

	// MaxPDULen is the largest command_length accepted. Zero means codec.DefaultMaxLen.
	MaxPDULen int

	// MaxUnboundPDULen is the largest command_length accepted before the
	// session is bound (states OPEN and OUTBOUND); MaxPDULen applies from the
	// bind on. A larger PDU is answered generic_nack ESME_RINVCMDLEN and the
	// connection is closed, so a peer that has not authenticated cannot make
	// the session read or hold a large PDU. Zero means
	// DefaultMaxUnboundPDULen (512) in the SMSC role and MaxPDULen in the
	// ESME role (the SMSC is a peer the ESME chose, and its bind_resp may
	// carry vendor TLVs). A value above MaxPDULen means MaxPDULen.
	MaxUnboundPDULen int

	// Decode selects strict or lenient decoding of bodies. The zero value is strict.
	Decode pdu.DecodeOptions

	// Sequence, when set, returns the sequence number for each request sent
	// (tests use it). Nil uses a per-session counter 1..0x7FFFFFFF that wraps.
	Sequence func() uint32

	// Observer receives events for metrics and logs. Its nil fields are skipped.
	Observer Observer

	// Logger logs session events. Nil uses slog.Default() at debug level for
	// routine events.
	Logger *slog.Logger
}

// Observer is a set of hooks. They run on the session's goroutines and must not block.
type Observer struct {
	PDUIn       func(s *Session, h pdu.Header)                    // every PDU read
	PDUOut      func(s *Session, h pdu.Header)                    // every PDU queued for writing
	StateChange func(s *Session, from, to State)                  // state transitions
	Error       func(s *Session, err error)                       // protocol errors and the session's end
	Response    func(s *Session, h pdu.Header, rtt time.Duration) // a response matched to our request
}

func (c *Config) setDefaults() {
	if c.Role == 0 {
		c.Role = ESME
	}
	if c.Window <= 0 {
		c.Window = DefaultWindow
	}
	if c.InboundWindow <= 0 {
		c.InboundWindow = DefaultInboundWindow
	}
	if c.ResponseTimeout == 0 {
		c.ResponseTimeout = DefaultResponseTimeout
	}
	if c.EnquireLinkInterval == 0 {
		c.EnquireLinkInterval = DefaultEnquireLinkInterval
	}
	if c.EnquireLinkMissed <= 0 {
		c.EnquireLinkMissed = DefaultEnquireLinkMissed
	}
	if c.BindTimeout == 0 {
		c.BindTimeout = DefaultBindTimeout
	}
	if c.UnbindTimeout <= 0 {
		c.UnbindTimeout = DefaultUnbindTimeout
	}
	if c.MaxPDULen <= 0 {
		c.MaxPDULen = codec.DefaultMaxLen
	}
	if c.MaxUnboundPDULen <= 0 {
		c.MaxUnboundPDULen = c.MaxPDULen
		if c.Role == SMSC {
			c.MaxUnboundPDULen = DefaultMaxUnboundPDULen
		}
	}
	c.MaxUnboundPDULen = min(c.MaxUnboundPDULen, c.MaxPDULen)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Handler == nil {
		c.Handler = defaultHandler{}
	}
}
