package server

import (
	"net"
	"net/netip"
	"testing"
)

// MaxUnboundPerAddr counts IPv4 addresses one by one (an IPv4-mapped IPv6
// address as its IPv4 one) and IPv6 addresses by /64.
func TestAddrKey(t *testing.T) {
	tcp := func(s string) net.Addr { return net.TCPAddrFromAddrPort(netip.MustParseAddrPort(s)) }
	for _, tc := range []struct {
		addr net.Addr
		want string
	}{
		{tcp("192.0.2.7:2775"), "192.0.2.7"},
		{tcp("[::ffff:192.0.2.7]:1"), "192.0.2.7"},
		{tcp("[2001:db8:1:2:3:4:5:6]:1"), "2001:db8:1:2::"},
		{tcp("[2001:db8:1:2:ffff::1]:9"), "2001:db8:1:2::"},
		{tcp("[fe80::1%eth0]:9"), "fe80::"},
		{&net.UDPAddr{IP: net.ParseIP("198.51.100.1"), Port: 5}, "198.51.100.1"},
		{pipe{}, "invalid IP"},
		{nil, "invalid IP"},
	} {
		if got := addrKey(tc.addr).String(); got != tc.want {
			t.Errorf("addrKey(%v) = %s, want %s", tc.addr, got, tc.want)
		}
	}
}

type pipe struct{}

func (pipe) Network() string { return "pipe" }
func (pipe) String() string  { return "pipe" }
