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
		b := appendDelivery(nil, created, []byte("body"))
		c, body, err := parseDelivery(b)
		if err != nil || !c.Equal(created) || string(body) != "body" {
			t.Errorf("round trip of %v: %v %q %v", created, c, body, err)
		}
	}
	for _, bad := range [][]byte{nil, {2}, {1}, {1, 0x80}} {
		if _, _, err := parseDelivery(bad); err == nil {
			t.Errorf("parseDelivery(%x) accepted", bad)
		}
	}
}
