//go:build race

package session

// raceEnabled is set in builds with the race detector: memory that
// RecycleRequests would reuse is poisoned instead (see poison).
const raceEnabled = true
