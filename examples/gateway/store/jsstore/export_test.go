package jsstore

import "errors"

// ErrCrashed is what UpdateWithDelivery returns after CrashAfterFinal.
var ErrCrashed = errors.New("jsstore test: crashed between the final state and the delivery")

// CrashAfterFinal makes s's UpdateWithDelivery stop after writing the final
// state, before adding the delivery, as a crash there would.
func CrashAfterFinal(s *Store) { s.crashAfterFinal = func() error { return ErrCrashed } }

// Outbox returns the account of the delivery in the outbox of the record
// of id, or "" when it has none.
func Outbox(s *Store, id string) (string, error) {
	ctx, cancel := s.ctx()
	defer cancel()
	r, _, err := s.read(ctx, id)
	if err != nil || r.out == nil {
		return "", err
	}
	return r.out.d.Account, nil
}
