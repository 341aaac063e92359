package store

import (
	"testing"
	"time"
)

// FuzzDecodeRecords feeds arbitrary bytes to the decoders of the message
// and state records (a store file damaged on disk must give errCorrupt,
// never a panic), and checks that whatever decodes encodes again to a
// record that decodes the same. (The deliveries' records are the
// deliveries part's.)
func FuzzDecodeRecords(f *testing.F) {
	m := fullMessage("0123456789abcdef")
	m.State, m.Route, m.UpstreamID, m.Done = Delivered, "r1", "UP", time.Unix(1700000000, 5)
	m.Rev = 1 << 40
	f.Add(appendMessage(nil, m))
	f.Add(appendState(nil, m, &meta{upKey: "\x02r1up", upMore: true}))
	f.Add([]byte{messageV1})
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, err := decodeMessage(b); err == nil {
			again, err := decodeMessage(appendMessage(nil, got))
			if err != nil || !equalMessage(again, got) {
				t.Fatalf("message %+v re-encoded: %+v, %v", got, again, err)
			}
		}
		var st Message
		var mt meta
		if err := decodeState(b, &st, &mt); err == nil {
			var again Message
			var againMeta meta
			if err := decodeState(appendState(nil, &st, &mt), &again, &againMeta); err != nil ||
				!equalMessage(&again, &st) || againMeta != mt {
				t.Fatalf("state %+v %+v re-encoded: %+v %+v, %v", st, mt, again, againMeta, err)
			}
		}
	})
}
