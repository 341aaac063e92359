package diskseq

import (
	"errors"
	"testing"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/vfs"
)

var errBad = errors.New("bad counter")

func TestCounter(t *testing.T) {
	db, err := pebble.Open("", &pebble.Options{FS: vfs.NewMem()})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	key := []byte("s")
	c, err := Open(db, key, errBad)
	if err != nil {
		t.Fatal(err)
	}
	for want := uint64(1); want <= 3; want++ {
		if got, err := c.Next(); err != nil || got != want {
			t.Fatalf("Next = %d, %v; want %d", got, err, want)
		}
	}
	// Opened again (a restart), it starts after the block reserved.
	c, err = Open(db, key, errBad)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := c.Next(); err != nil || got != Block+1 {
		t.Fatalf("Next after reopening = %d, %v; want %d", got, err, Block+1)
	}
	if c.Last() != Block+1 {
		t.Fatalf("Last = %d", c.Last())
	}
	if err := db.Set(key, []byte("short"), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(db, key, errBad); !errors.Is(err, errBad) {
		t.Fatalf("Open of a corrupt value: %v", err)
	}
	// The zero value counts in memory.
	var m Counter
	if got, _ := m.Next(); got != 1 {
		t.Fatalf("zero Counter's Next = %d", got)
	}
}
