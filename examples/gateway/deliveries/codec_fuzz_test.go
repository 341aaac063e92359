package deliveries

import (
	"bytes"
	"testing"
	"time"
)

// FuzzDecodeValue: any bytes decode or fail with errCorrupt, never panic;
// what decodes encodes back to a value that decodes to the same delivery;
// and a key splits back into the account and Seq it was made of.
func FuzzDecodeValue(f *testing.F) {
	f.Add(appendValue(nil, &Delivery{Body: []byte("deliver"), Created: time.Unix(1, 2)}), "acct", uint64(7))
	f.Add(appendValue(nil, &Delivery{}), "a", uint64(1))
	f.Add(appendValue(nil, &Delivery{Body: []byte("dlr"), Bind: "1.ab.2"}), "a", uint64(3))
	f.Add([]byte{deliveryV1, 1, 0x80}, "", uint64(0))
	f.Fuzz(func(t *testing.T, v []byte, account string, seq uint64) {
		d, err := decodeValue(v, account, seq)
		if err != nil {
			if err != errCorrupt {
				t.Fatalf("decodeValue: %v, want errCorrupt", err)
			}
		} else {
			again, err := decodeValue(appendValue(nil, d), account, seq)
			if err != nil || !bytes.Equal(again.Body, d.Body) || !again.Created.Equal(d.Created) || again.Account != account || again.Seq != seq || again.Bind != d.Bind {
				t.Fatalf("round trip: %+v, %v; want %+v", again, err, d)
			}
		}
		if account == "" {
			return // a key names an account
		}
		prefix := []byte("d")
		acc, s, ok := splitKey(prefix, appendKey(nil, prefix, account, seq))
		if !ok || string(acc) != account || s != seq {
			t.Fatalf("splitKey(appendKey(%q, %d)) = %q, %d, %v", account, seq, acc, s, ok)
		}
	})
}
