package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/esmsafrica/smpp/examples/gateway/slots"
)

// ClusterConfig runs the gateway as one node of an active-active cluster
// whose parts (message state, queue, deliveries, limits, upstream bind
// slots) live in NATS JetStream instead of the node's own store (README
// "Cluster"). Each node runs a NATS server of its own (Embedded) that joins
// the others by routes, or connects to a NATS cluster run apart (URLs).
type ClusterConfig struct {
	// Node names this node, unique in the cluster: letters, digits, '-'
	// and '_'. Its node_id (the number in message ids) must be unique too.
	Node string `yaml:"node"`
	// URLs are the client URLs of an external NATS cluster with JetStream;
	// empty means the embedded server of Embedded.
	URLs []string `yaml:"nats_urls"`
	// Embedded configures the NATS server this process runs when URLs is
	// empty.
	Embedded EmbeddedNATSConfig `yaml:"embedded_nats"`
	// Replicas of every stream and bucket: 3 (the default) keeps what was
	// accepted when one server of three is lost; 1 for a single server.
	Replicas int `yaml:"replicas"`
}

// EmbeddedNATSConfig is the NATS server a gateway node runs in its process.
type EmbeddedNATSConfig struct {
	// Listen is the client address; the node connects to it. Default
	// 127.0.0.1:4222.
	Listen string `yaml:"listen"`
	// ClusterListen is the address other NATS servers route to.
	ClusterListen string `yaml:"cluster_listen"`
	// Routes are the other servers' cluster_listen addresses (host:port or
	// nats://host:port); the servers find each other from any one of them.
	Routes []string `yaml:"routes"`
	// Name of the NATS cluster, the same on every server; default
	// "smpp-gateway".
	Name string `yaml:"cluster_name"`
	// StoreDir holds the server's JetStream files; default data_dir/nats.
	StoreDir string `yaml:"store_dir"`
	// NoAdvertise keeps the server from telling its clients the other
	// servers' client addresses. For servers whose routes go through a
	// proxy or a NAT (see Advertise: it is what keeps a route from
	// bypassing one).
	NoAdvertise bool `yaml:"no_advertise"`
	// Advertise is the host:port the other servers are told to route to
	// this one at, when they learn of it from a third server (NATS
	// gossip); empty means cluster_listen as its peers see it. Behind a
	// proxy or a NAT, the address they reach it at: without it a server
	// that heard of this one before its configured route came up connects
	// to cluster_listen directly, around the proxy (the cluster tests
	// give an address where nothing listens, so that the only routes are
	// the configured ones, each through its proxy).
	Advertise string `yaml:"cluster_advertise"`
}

// clusterDefaults fills in what the cluster section leaves out.
func (c *Config) clusterDefaults() {
	cl := c.Cluster
	if cl == nil {
		return
	}
	if cl.Replicas == 0 {
		cl.Replicas = 3
	}
	e := &cl.Embedded
	if e.Listen == "" {
		e.Listen = "127.0.0.1:4222"
	}
	if e.Name == "" {
		e.Name = "smpp-gateway"
	}
	if e.StoreDir == "" {
		e.StoreDir = filepath.Join(c.DataDir, "nats")
	}
}

// validateCluster checks the cluster section, after clusterDefaults.
func (c *Config) validateCluster() error {
	cl := c.Cluster
	if cl == nil {
		return nil
	}
	if c.NodeID == 0 {
		return c.errorf("node_id", "a cluster node needs its own node_id, 1 to %d, so that message ids of two nodes never collide", maxNodeID)
	}
	if !slots.ValidName(cl.Node) {
		return c.errorf("cluster.node", "%q: want a name of letters, digits, '-' or '_', unique in the cluster", cl.Node)
	}
	if cl.Replicas != 1 && cl.Replicas != 3 && cl.Replicas != 5 {
		return c.errorf("cluster.replicas", "%d: want 1, 3 or 5 (3 survives the loss of one server of three)", cl.Replicas)
	}
	for i, u := range cl.URLs {
		if p, err := url.Parse(u); err != nil || p.Host == "" {
			return c.errorf(fmt.Sprintf("cluster.nats_urls[%d]", i), "%q: want nats://host:port", u)
		}
	}
	if len(cl.URLs) > 0 {
		return nil
	}
	e := cl.Embedded
	if _, _, err := net.SplitHostPort(e.Listen); err != nil {
		return c.errorf("cluster.embedded_nats.listen", "%q: want host:port", e.Listen)
	}
	if e.ClusterListen == "" && len(e.Routes) > 0 {
		return c.errorf("cluster.embedded_nats.cluster_listen", "routes are set but not cluster_listen: the other servers could not route back")
	}
	if e.ClusterListen != "" {
		if _, _, err := net.SplitHostPort(e.ClusterListen); err != nil {
			return c.errorf("cluster.embedded_nats.cluster_listen", "%q: want host:port", e.ClusterListen)
		}
	}
	if e.Advertise != "" {
		if _, _, err := net.SplitHostPort(e.Advertise); err != nil {
			return c.errorf("cluster.embedded_nats.cluster_advertise", "%q: want host:port", e.Advertise)
		}
	}
	for i, r := range e.Routes {
		if _, err := routeURL(r); err != nil {
			return c.errorf(fmt.Sprintf("cluster.embedded_nats.routes[%d]", i), "%q: want host:port or nats://host:port", r)
		}
	}
	if cl.Replicas > 1 && len(e.Routes)+1 < cl.Replicas {
		return c.errorf("cluster.replicas", "%d replicas need at least %d NATS servers; routes name %d others (or set replicas: 1 for one server)",
			cl.Replicas, cl.Replicas, len(e.Routes))
	}
	return nil
}

// routeURL reads a route as host:port or nats://host:port.
func routeURL(r string) (*url.URL, error) {
	if u, err := url.Parse(r); err == nil && u.Scheme != "" && u.Host != "" {
		return u, nil
	}
	if _, _, err := net.SplitHostPort(r); err != nil {
		return nil, err
	}
	return &url.URL{Scheme: "nats", Host: r}, nil
}

// loadNATSOnlyConfig reads a configuration for -nats-only: the cluster
// section with its embedded server is all it needs (a third NATS server
// runs no gateway: no accounts or upstreams), and node_id is not asked for.
func loadNATSOnlyConfig(path string) (*Config, error) {
	if path == "" {
		return nil, errors.New("-nats-only needs -config FILE with a cluster: section (see examples/gateway/cluster/n3.yaml)")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading config: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	cfg := defaultConfig()
	cfg.lines = keyLines{}
	if err := checkYAML(&doc, cfg.lines); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(cfg); err != nil && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if cfg.Cluster == nil {
		return nil, fmt.Errorf("config %s: -nats-only runs the NATS server of a cluster: section, and there is none", path)
	}
	if cfg.NodeID == 0 {
		cfg.NodeID = maxNodeID // not used: this process makes no message ids
	}
	cfg.clusterDefaults()
	if err := cfg.validateCluster(); err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}
