package jsqueue

import (
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/queue"
)

func TestTicketCodec(t *testing.T) {
	due := time.Unix(0, time.Now().UnixNano())
	for _, tk := range []queue.Ticket{
		{ID: "a"},
		{ID: "0123456789abcdef", Rev: 1<<64 - 1, Due: due},
		{ID: "x/y", Rev: 7, Due: time.Unix(-5, 0)},
	} {
		got, err := parseTicket(appendTicket(nil, tk))
		if err != nil || got.ID != tk.ID || got.Rev != tk.Rev || !got.Due.Equal(tk.Due) {
			t.Errorf("round trip of %+v: %+v, %v", tk, got, err)
		}
	}
	for _, bad := range [][]byte{nil, {2, 0, 0, 'a'}, {1}, {1, 0x80}, {1, 0, 0}} {
		if _, err := parseTicket(bad); err == nil {
			t.Errorf("parseTicket(%x) accepted", bad)
		}
	}
	if id := msgID(queue.Ticket{ID: "m", Rev: 3}); id != "m/3" {
		t.Errorf("msgID = %q", id)
	}
}
