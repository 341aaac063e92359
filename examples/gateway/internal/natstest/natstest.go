// Package natstest starts NATS servers with JetStream inside a test process, on
// loopback, for the tests of the gateway's JetStream backends: one server, or a
// cluster of servers joined by routes whose JetStream streams can have three
// replicas. Each server keeps its files in a folder of the test's, so a server
// stopped with Shutdown and started again with Restart finds its streams.
package natstest

import (
	"fmt"
	"net"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/esmsafrica/smpp/examples/internal/freeport"
)

// readyTimeout bounds how long a server may take to accept connections, and
// a cluster to elect its JetStream meta leader.
const readyTimeout = 30 * time.Second

// Node is one NATS server of a test.
type Node struct {
	t    testing.TB
	opts server.Options
	srv  *server.Server
}

// Server starts one JetStream server on a free loopback port; it is shut down
// when the test ends.
func Server(t testing.TB) *Node {
	t.Helper()
	n := &Node{t: t, opts: baseOptions(t, "n1")}
	n.start()
	return n
}

// Cluster starts size servers joined by routes in one cluster, and waits until
// JetStream in the cluster has a meta leader, so that streams with up to size
// replicas can be created at once. The servers are shut down when the test
// ends.
func Cluster(t testing.TB, size int) []*Node {
	t.Helper()
	if size < 1 {
		t.Fatalf("natstest: cluster of %d servers: want at least 1", size)
	}
	// Every server's route port is chosen first, so that each lists all the
	// others, and a server restarted alone finds them again.
	ports := freePorts(t, 2*size)
	nodes := make([]*Node, size)
	for i := range nodes {
		o := baseOptions(t, fmt.Sprintf("n%d", i+1))
		o.Port = ports[2*i]
		o.Cluster = server.ClusterOpts{Name: "test", Host: "127.0.0.1", Port: ports[2*i+1]}
		for j := 0; j < size; j++ {
			if j != i {
				o.Routes = append(o.Routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", ports[2*j+1])})
			}
		}
		nodes[i] = &Node{t: t, opts: o}
	}
	for _, n := range nodes {
		n.launch()
	}
	for _, n := range nodes {
		n.ready()
	}
	WaitJetStream(t, nodes...)
	return nodes
}

// freePorts returns n loopback ports that were free a moment ago, outside
// the kernel's ephemeral range (package freeport): a server's cluster port
// is named in the others' routes before it listens.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range ports {
		p, err := strconv.Atoi(freeport.Port(t))
		if err != nil {
			t.Fatalf("natstest: free port: %v", err)
		}
		ports[i] = p
	}
	return ports
}

func baseOptions(t testing.TB, name string) server.Options {
	return server.Options{
		ServerName: name,
		Host:       "127.0.0.1",
		Port:       -1,
		JetStream:  true,
		StoreDir:   t.TempDir(),
		NoLog:      true,
		NoSigs:     true,
		// Tests make servers fast to notice a dead peer.
		PingInterval: time.Second,
		MaxPingsOut:  2,
	}
}

func (n *Node) start() {
	n.t.Helper()
	n.launch()
	n.ready()
}

// launch starts the server without waiting for it.
func (n *Node) launch() {
	n.t.Helper()
	o := n.opts
	s, err := server.NewServer(&o)
	if err != nil {
		n.t.Fatalf("natstest: server %s: %v", o.ServerName, err)
	}
	go s.Start()
	n.srv = s
	n.t.Cleanup(n.Shutdown)
}

// ready waits until the server accepts clients, and keeps its client port
// for a restart.
func (n *Node) ready() {
	n.t.Helper()
	if !n.srv.ReadyForConnections(readyTimeout) {
		n.Shutdown()
		n.t.Fatalf("natstest: server %s not ready after %v", n.opts.ServerName, readyTimeout)
	}
	n.opts.Port = n.srv.Addr().(*net.TCPAddr).Port
}

// Server returns the running server, or nil after Shutdown.
func (n *Node) Server() *server.Server { return n.srv }

// URL returns the server's client URL.
func (n *Node) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", n.opts.Port) }

// Shutdown stops the server and waits until it has stopped. It may be called
// more than once.
func (n *Node) Shutdown() {
	if n.srv == nil {
		return
	}
	n.srv.Shutdown()
	n.srv.WaitForShutdown()
	n.srv = nil
}

// Restart starts a server stopped with Shutdown again, with its files and
// ports.
func (n *Node) Restart() {
	n.t.Helper()
	if n.srv != nil {
		n.t.Fatalf("natstest: restart of %s, which is running", n.opts.ServerName)
	}
	n.start()
}

// Connect returns a connection to the given servers (any one of them), closed
// when the test ends.
func Connect(t testing.TB, nodes ...*Node) *nats.Conn {
	t.Helper()
	urls := ""
	for i, n := range nodes {
		if i > 0 {
			urls += ","
		}
		urls += n.URL()
	}
	nc, err := nats.Connect(urls, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	if err != nil {
		t.Fatalf("natstest: connect %s: %v", urls, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// WaitJetStream waits until JetStream answers on every given server: on a
// cluster, until the meta leader is elected, known to all, and has heard
// from every server, so that it places replicated streams at once.
func WaitJetStream(t testing.TB, nodes ...*Node) {
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for _, n := range nodes {
		for {
			if n.srv != nil && n.srv.JetStreamEnabled() && (len(nodes) == 1 || n.srv.JetStreamIsCurrent()) {
				if len(nodes) == 1 || placementReady(nodes) {
					break
				}
			}
			if time.Now().After(deadline) {
				t.Fatalf("natstest: JetStream not ready on %s after %v", n.opts.ServerName, readyTimeout)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// placementReady reports whether a leader is known and has heard from
// every server (online, with JetStream and its stats): until then it may
// refuse to place a replicated stream ("no suitable peers for placement,
// peer offline"), as it did right after a cluster's start under load.
func placementReady(nodes []*Node) bool {
	for _, n := range nodes {
		if n.srv != nil && n.srv.JetStreamIsLeader() {
			return len(n.srv.JetStreamClusterPeers()) >= len(nodes)
		}
	}
	return false
}
