package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestClusterConfigErrors: a cluster section that cannot work is refused at
// load with the key and what to write instead.
func TestClusterConfigErrors(t *testing.T) {
	cases := []struct{ name, yaml, want string }{
		{"no node_id", opYAML + "cluster: {node: a, replicas: 1}\n",
			"node_id: a cluster node needs its own node_id, 1 to 255"},
		{"bad node name", opYAML + "node_id: 1\ncluster: {node: \"a b\", replicas: 1}\n",
			`cluster.node: "a b": want a name of letters, digits`},
		{"replicas", opYAML + "node_id: 1\ncluster: {node: a, replicas: 2}\n",
			"cluster.replicas: 2: want 1, 3 or 5"},
		{"too few servers for R3", opYAML + "node_id: 1\ncluster:\n  node: a\n  embedded_nats: {cluster_listen: \"127.0.0.1:6222\", routes: [\"127.0.0.1:6223\"]}\n",
			"cluster.replicas: 3 replicas need at least 3 NATS servers; routes name 1 others"},
		{"routes without cluster_listen", opYAML + "node_id: 1\ncluster:\n  node: a\n  replicas: 1\n  embedded_nats: {routes: [\"127.0.0.1:6223\"]}\n",
			"cluster.embedded_nats.cluster_listen: routes are set but not cluster_listen"},
		{"bad route", opYAML + "node_id: 1\ncluster:\n  node: a\n  embedded_nats:\n    cluster_listen: \"127.0.0.1:6222\"\n    routes: [\"nowhere\", \"127.0.0.1:6224\"]\n",
			`cluster.embedded_nats.routes[0]: "nowhere": want host:port`},
		{"bad advertise", opYAML + "node_id: 1\ncluster:\n  node: a\n  embedded_nats:\n    cluster_listen: \"127.0.0.1:6222\"\n    cluster_advertise: \"proxy\"\n    routes: [\"127.0.0.1:6223\", \"127.0.0.1:6224\"]\n",
			`cluster.embedded_nats.cluster_advertise: "proxy": want host:port`},
		{"bad url", opYAML + "node_id: 1\ncluster: {node: a, nats_urls: [\"::\"]}\n",
			`cluster.nats_urls[0]: "::": want nats://host:port`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadYAML(t, c.yaml)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestClusterConfigDefaults: a node of three on the embedded server gets
// replicas 3, the default client address and name, and its JetStream files
// in its data folder.
func TestClusterConfigDefaults(t *testing.T) {
	cfg, err := loadYAML(t, opYAML+"node_id: 2\ndata_dir: /var/lib/gw\ncluster:\n  node: b\n  embedded_nats:\n    cluster_listen: \"127.0.0.1:6223\"\n    routes: [\"127.0.0.1:6222\", \"nats://127.0.0.1:6224\"]\n")
	if err != nil {
		t.Fatal(err)
	}
	cl := cfg.Cluster
	if cl.Replicas != 3 || cl.Embedded.Listen != "127.0.0.1:4222" || cl.Embedded.Name != "smpp-gateway" ||
		cl.Embedded.StoreDir != filepath.Join("/var/lib/gw", "nats") {
		t.Fatalf("defaults: %+v", *cl)
	}
}
