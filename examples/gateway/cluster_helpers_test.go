package main

// Helpers of the cluster tests: a cluster of three NATS servers on loopback,
// two of them embedded in gateway nodes a and b and the third a gateway
// -nats-only process, in front of one smsc-sim operator whose binds the
// nodes share.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/internal/netsim"
)

// clusterNodeConf is one node's ports and folder, kept for a restart.
type clusterNodeConf struct {
	name                    string
	nodeID                  int
	listen, plain, http     string
	natsListen, natsCluster string
	dataDir, configFile     string
	routes                  []string
	noAdvertise             bool
	advertise               string // cluster_advertise, with regions
	httpAPI                 bool   // http_api: on, on a loopback port of its own
}

// testCluster is a running three-server cluster with gateway nodes a and b.
type testCluster struct {
	t       *testing.T
	sim     *simProc
	journal string
	confs   map[string]*clusterNodeConf
	mu      sync.Mutex
	nodes   map[string]*gateway
	n3      *proc
	// links are the proxies of the routes between the sites (with
	// clusterOpts.regions): links[x][y] carries x's route to y.
	links map[string]map[string]*netsim.Proxy
}

// clusterOpts shapes a test cluster.
type clusterOpts struct {
	// regions puts each NATS server on a site of its own: every route
	// between two servers goes through a proxy (testCluster.links) that
	// can delay or cut it, and the servers use only their configured
	// routes (cluster_advertise: the gossip of a third server names an
	// address where nothing listens).
	regions bool
	// httpAPI turns http_api: on on nodes a and b (each on a port of its
	// own: gateway.apiAddr).
	httpAPI bool
}

// clusterAccounts are the accounts of the cluster tests: load (no rate
// limit) and paced (200 msg/s, policed: ESME_RTHROTTLED at once beyond).
const clusterAccounts = "  - {system_id: load, password: loadpw, unlimited: true}\n" +
	"  - {system_id: paced, password: pacedpw, rate: 200, burst: 20, shaping: false}\n"

func (c *clusterNodeConf) yaml(upstream string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "listen: %q\nplaintext_listen: %q\nhttp_listen: %q\ndata_dir: %q\nnode_id: %d\nwindow: 1000\n",
		c.listen, c.plain, c.http, c.dataDir, c.nodeID)
	b.WriteString("failed_binds: {per_minute: 600, burst: 100}\n")
	fmt.Fprintf(&b, "cluster:\n  node: %s\n  embedded_nats:\n    listen: %q\n    cluster_listen: %q\n    routes: [%s]\n    no_advertise: %v\n",
		c.name, c.natsListen, c.natsCluster, `"`+strings.Join(c.routes, `", "`)+`"`, c.noAdvertise)
	if c.advertise != "" {
		fmt.Fprintf(&b, "    cluster_advertise: %q\n", c.advertise)
	}
	if upstream == "" {
		return b.String() // -nats-only
	}
	b.WriteString("accounts:\n" + clusterAccounts)
	fmt.Fprintf(&b, "upstreams:\n  - {name: op, addrs: [%q], system_id: gateway, password: sim, binds: 4, window: 1000, dedupe_tlv: 0x1501}\n", upstream)
	b.WriteString("routes:\n  - {prefix: \"\", upstreams: [op]}\nmo_routes:\n  - {prefix: \"\", account: load}\n")
	if c.httpAPI {
		b.WriteString("http_api: {listen: \"127.0.0.1:0\"}\n")
	}
	return b.String()
}

// startTestCluster starts the operator, the third NATS server and nodes a
// and b (in parallel: a node waits for the quorum before its banner).
func startTestCluster(t *testing.T, o clusterOpts) *testCluster {
	t.Helper()
	tc := &testCluster{t: t, journal: filepath.Join(t.TempDir(), "journal.jsonl"), confs: map[string]*clusterNodeConf{}, nodes: map[string]*gateway{},
		links: map[string]map[string]*netsim.Proxy{}}
	tc.sim = startSim(t, "127.0.0.1:0", tc.journal)
	names := []string{"a", "b", "n3"}
	for i, n := range names {
		tc.confs[n] = &clusterNodeConf{name: n, nodeID: i + 1, listen: freePort(t), plain: freePort(t), http: freePort(t),
			natsListen: freePort(t), natsCluster: freePort(t), dataDir: t.TempDir(), httpAPI: o.httpAPI}
	}
	for _, n := range names {
		c := tc.confs[n]
		tc.links[n] = map[string]*netsim.Proxy{}
		for _, other := range names {
			if other == n {
				continue
			}
			route := tc.confs[other].natsCluster
			if o.regions {
				p, err := netsim.New(route)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { p.Close() })
				tc.links[n][other] = p
				route = p.Addr()
				c.noAdvertise = true
				// Where nothing listens: a server that hears of
				// another from a third before its own route to it
				// is up does not route to it around the proxy.
				c.advertise = freePort(t)
			}
			c.routes = append(c.routes, route)
		}
		up := tc.sim.Addr
		if n == "n3" {
			up = ""
		}
		c.configFile = filepath.Join(t.TempDir(), n+".yaml")
		if err := os.WriteFile(c.configFile, []byte(c.yaml(up)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tc.n3 = startNATSOnly(t, tc.confs["n3"].configFile)
	var wg sync.WaitGroup
	for _, n := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tc.start(n)
		}()
	}
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	return tc
}

// start starts node n (again, after a kill: same folder and ports).
func (tc *testCluster) start(n string) *gateway {
	g := startGatewayBin(tc.t, bin(tc.t, "gateway"), "-config", tc.confs[n].configFile, "-log-level", "warn")
	tc.mu.Lock()
	tc.nodes[n] = g
	tc.mu.Unlock()
	return g
}

// setDelay sets the delay of every link between two sites, each way.
func (tc *testCluster) setDelay(d time.Duration) {
	for _, to := range tc.links {
		for _, p := range to {
			p.SetDelay(d)
		}
	}
}

func (tc *testCluster) node(n string) *gateway {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	return tc.nodes[n]
}

// startNATSOnly runs gateway -nats-only and waits for its banner.
func startNATSOnly(t *testing.T, config string) *proc {
	t.Helper()
	p := startProc(t, "nats-only", bin(t, "gateway"), "-nats-only", "-config", config, "-log-level", "warn")
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line := <-p.lines:
			if strings.Contains(line, "NATS server ready") {
				return p
			}
		case <-p.done:
			t.Fatalf("gateway -nats-only exited: %v\n%s", p.err, p.stderr.String())
		case <-deadline:
			t.Fatal("gateway -nats-only: no banner within 30 s")
		}
	}
}
