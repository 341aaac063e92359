//go:build nosimulator

// A gateway built with -tags nosimulator has no embedded simulator: the
// simulator package is not linked for it (TestBuildWithoutSimulator checks
// it), loadConfig refuses a simulator: section and the demo (no
// -config), and start never reaches startSimulator.

package main

import (
	"context"
	"errors"
	"log/slog"
)

// simulatorBuiltIn says this build has no embedded simulator.
const simulatorBuiltIn = false

// embeddedSimulator stands for the simulator this build does not have.
type embeddedSimulator struct{}

// startSimulator refuses: the build has no simulator.
func (a *app) startSimulator(*SimConfig, *slog.Logger) error {
	return errors.New("simulator: this gateway was built with -tags nosimulator and has no embedded simulator")
}

// stopSimulator has nothing to stop.
func (a *app) stopSimulator(context.Context) {}
