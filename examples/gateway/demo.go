//go:build !nosimulator

// The embedded operator simulator: the only file of the gateway that imports
// the simulator package. The gateway starts it for the demo (no -config), for a
// configuration with a simulator: section (the benchmark, tests), and never
// otherwise. Build with -tags nosimulator to leave it out (demo_nosim.go).

package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/esmsafrica/smpp/examples/smsc-sim/sim"
	"github.com/esmsafrica/smpp/tlv"
)

// simulatorBuiltIn says this build has the embedded simulator.
const simulatorBuiltIn = true

// embeddedSimulator is the simulator running in the gateway's process.
type embeddedSimulator = sim.Simulator

// startSimulator starts the simulator of sc on its listener and records it
// and its address in a.sim and a.SimAddr, where the upstreams named "sim"
// without addrs find it.
func (a *app) startSimulator(sc *SimConfig, log *slog.Logger) error {
	s := sim.New(sim.Config{
		Accounts:     []sim.Account{{SystemID: sc.SystemID, Password: sc.Password}},
		SystemID:     "OPERATOR",
		ReceiptDelay: sc.DLRDelay.D(),
		DedupeTLV:    tlv.Tag(sc.DedupeTLV),
		Logger:       log.With("component", "simulator"),
	})
	l, err := net.Listen("tcp", sc.Listen)
	if err != nil {
		return fmt.Errorf("simulator listener: %w", err)
	}
	a.sim, a.SimAddr = s, l.Addr().String()
	go s.Serve(l)
	return nil
}

// stopSimulator stops the simulator, if one runs.
func (a *app) stopSimulator(ctx context.Context) {
	if a.sim != nil {
		a.sim.Shutdown(ctx)
	}
}
