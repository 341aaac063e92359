package jsqueue

import (
	"encoding/binary"
	"errors"
	"strconv"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

// errCorrupt is returned when a stream message is not a ticket.
var errCorrupt = errors.New("gateway jsqueue: a stream message is not a ticket (another writer on the queue's subject?)")

// codecVersion is the first byte of a ticket message.
const codecVersion = 1

// appendTicket encodes t as a message body: the version, Rev and Due (Unix
// nanoseconds, 0 for the zero time) as varints, then the id.
func appendTicket(dst []byte, t queue.Ticket) []byte {
	dst = append(dst, codecVersion)
	dst = binary.AppendUvarint(dst, t.Rev)
	var due int64
	if !t.Due.IsZero() {
		due = t.Due.UnixNano()
	}
	dst = binary.AppendVarint(dst, due)
	return append(dst, t.ID...)
}

// parseTicket decodes a body written by appendTicket.
func parseTicket(b []byte) (queue.Ticket, error) {
	if len(b) < 1 || b[0] != codecVersion {
		return queue.Ticket{}, errCorrupt
	}
	b = b[1:]
	rev, n := binary.Uvarint(b)
	if n <= 0 {
		return queue.Ticket{}, errCorrupt
	}
	b = b[n:]
	due, n := binary.Varint(b)
	if n <= 0 || len(b) == n {
		return queue.Ticket{}, errCorrupt
	}
	t := queue.Ticket{ID: string(b[n:]), Rev: rev}
	if due != 0 {
		t.Due = time.Unix(0, due)
	}
	return t, nil
}

// msgID is the ticket's Nats-Msg-Id: the stream stores a ticket republished
// within its duplicate window once.
func msgID(t queue.Ticket) string {
	return t.ID + "/" + strconv.FormatUint(t.Rev, 10)
}
