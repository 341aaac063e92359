package jsdeliveries

import (
	"strings"
	"testing"
	"time"
)

func TestToken(t *testing.T) {
	names := []string{"acct", "ESME-1", "a_b", "a.b", "a b", "*", ">", "a_2eb", "ü", "\x00", strings.Repeat("x", 16)}
	seen := map[string]string{}
	for _, name := range names {
		tok := token(name)
		if strings.ContainsAny(tok, ". *>/\\\t\r\n") {
			t.Errorf("token(%q) = %q: not a subject token or consumer name", name, tok)
		}
		if other, dup := seen[tok]; dup {
			t.Errorf("token(%q) = token(%q) = %q", name, other, tok)
		}
		seen[tok] = name
		if back, ok := account(tok); !ok || back != name {
			t.Errorf("account(token(%q)) = %q, %v", name, back, ok)
		}
	}
	if token("esme01") != "esme01" {
		t.Errorf("a plain system_id is not kept: %q", token("esme01"))
	}
	for _, bad := range []string{"_", "_4", "_zz", "a_4"} {
		if _, ok := account(bad); ok {
			t.Errorf("account(%q) accepted", bad)
		}
	}
}

func TestDeliveryCodec(t *testing.T) {
	now := time.Unix(0, time.Now().UnixNano())
	for _, created := range []time.Time{{}, now} {
		for _, bind := range []string{"", "3.9f2c01d4.17"} {
			b := appendDelivery(nil, created, bind, []byte("body"))
			if want := byte(codecV1); bind != "" {
				want = codecV2
				if b[0] != want {
					t.Errorf("version %d for a bind, want %d", b[0], want)
				}
			} else if b[0] != want {
				t.Errorf("version %d without a bind, want %d (readable by every version)", b[0], want)
			}
			c, gotBind, body, err := parseDelivery(b)
			if err != nil || !c.Equal(created) || gotBind != bind || string(body) != "body" {
				t.Errorf("round trip of %v %q: %v %q %q %v", created, bind, c, gotBind, body, err)
			}
		}
	}
	for _, bad := range [][]byte{nil, {3}, {1}, {1, 0x80}, {2, 0}, {2, 0, 0}, {2, 0, 5, 'a'}} {
		if _, _, _, err := parseDelivery(bad); err == nil {
			t.Errorf("parseDelivery(%x) accepted", bad)
		}
	}
}

// TestDeliveryCodecVersion1 decodes a message as the version before the
// bind wrote it (version 1, created 1700000000.000000001, body "dlr"):
// a stream kept from it is still read.
func TestDeliveryCodecVersion1(t *testing.T) {
	old := []byte{0x01, 0x82, 0x80, 0xd0, 0xe2, 0xc6, 0xbf, 0xce, 0x97, 0x2f, 'd', 'l', 'r'}
	c, bind, body, err := parseDelivery(old)
	if err != nil || !c.Equal(time.Unix(1700000000, 1)) || bind != "" || string(body) != "dlr" {
		t.Fatalf("version 1 message: %v %q %q %v", c, bind, body, err)
	}
}
