package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
)

// natsReadyTimeout bounds how long the embedded NATS server may take to
// accept clients.
const natsReadyTimeout = 30 * time.Second

// startEmbeddedNATS starts the NATS server of the cluster section in this
// process, with JetStream, joined to the others by its routes.
func startEmbeddedNATS(cl *ClusterConfig, log *slog.Logger) (*server.Server, error) {
	e := cl.Embedded
	host, port, err := splitPort(e.Listen)
	if err != nil {
		return nil, fmt.Errorf("cluster.embedded_nats.listen %q: %w", e.Listen, err)
	}
	o := &server.Options{
		ServerName: cl.Node, Host: host, Port: port,
		JetStream: true, StoreDir: e.StoreDir,
		NoSigs: true, NoLog: true,
		// A dead peer is noticed within seconds, not minutes.
		PingInterval: 2 * time.Second, MaxPingsOut: 3,
	}
	if e.ClusterListen != "" {
		ch, cp, err := splitPort(e.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("cluster.embedded_nats.cluster_listen %q: %w", e.ClusterListen, err)
		}
		o.Cluster = server.ClusterOpts{Name: e.Name, Host: ch, Port: cp, NoAdvertise: e.NoAdvertise, Advertise: e.Advertise}
		for _, r := range e.Routes {
			u, err := routeURL(r)
			if err != nil {
				return nil, fmt.Errorf("cluster.embedded_nats.routes: %q: %w", r, err)
			}
			o.Routes = append(o.Routes, u)
		}
	}
	s, err := server.NewServer(o)
	if err != nil {
		return nil, fmt.Errorf("embedded NATS server: %w", err)
	}
	go s.Start()
	if !s.ReadyForConnections(natsReadyTimeout) {
		s.Shutdown()
		return nil, fmt.Errorf("embedded NATS server on %s not ready after %v (is the port in use?)", e.Listen, natsReadyTimeout)
	}
	log.Info("embedded NATS server running", "listen", e.Listen, "cluster_listen", e.ClusterListen, "routes", len(o.Routes))
	return s, nil
}

func splitPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	return h, n, nil
}

// connectNATS connects to the cluster: to the external URLs, or to the
// embedded server (which knows its routes' servers, so the connection
// fails over to them). It reconnects forever: a node without NATS accepts
// nothing (the state is there) until NATS is back.
func connectNATS(cl *ClusterConfig, log *slog.Logger) (*nats.Conn, error) {
	urls := cl.URLs
	if len(urls) == 0 {
		urls = []string{(&url.URL{Scheme: "nats", Host: cl.Embedded.Listen}).String()}
	}
	servers := ""
	for i, u := range urls {
		if i > 0 {
			servers += ","
		}
		servers += u
	}
	nc, err := nats.Connect(servers,
		nats.Name("smpp-gateway "+cl.Node),
		nats.MaxReconnects(-1), nats.ReconnectWait(250*time.Millisecond),
		nats.RetryOnFailedConnect(false),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("NATS connection lost", "err", err)
		}),
		nats.ReconnectHandler(func(c *nats.Conn) {
			log.Info("NATS connection back", "server", c.ConnectedUrlRedacted())
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s: %w", servers, err)
	}
	return nc, nil
}

// runNATSOnly runs the NATS server of the configuration's cluster section
// alone, without a gateway, until SIGINT or SIGTERM: the third server of a
// cluster of two gateway nodes, which keeps the quorum when one goes.
func runNATSOnly(cfg *Config, log *slog.Logger) error {
	cl := cfg.Cluster
	if cl == nil || len(cl.URLs) > 0 {
		return errors.New("-nats-only runs the embedded NATS server of the cluster: section: the configuration has none (no cluster:, or nats_urls set)")
	}
	srv, err := startEmbeddedNATS(cl, log)
	if err != nil {
		return err
	}
	fmt.Printf("NATS server ready\n  clients: %s\n  routes:  %s\n", srv.ClientURL(), cl.Embedded.ClusterListen)
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	sig := <-sigs
	log.Info("NATS server shutting down", "signal", sig.String())
	srv.Shutdown()
	srv.WaitForShutdown()
	return nil
}
