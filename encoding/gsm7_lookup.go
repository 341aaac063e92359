package encoding

import (
	"fmt"
	"sync"
	"sync/atomic"
)

// revTable maps characters back to the codes of one table.
type revTable struct {
	low   [128]int16 // code of each rune below 0x80, or -1
	ascii [256]uint8 // code of each byte below 0x80, 0xFF for none and for bytes >= 0x80
	high  map[rune]uint8
}

func (t *revTable) build(src *[128]rune) {
	for i := range t.low {
		t.low[i] = -1
	}
	for i := range t.ascii {
		t.ascii[i] = 0xFF
	}
	t.high = make(map[rune]uint8)
	for code, r := range src {
		if r == 0 || code == esc {
			continue
		}
		if r < 0x80 {
			if t.low[r] < 0 {
				t.low[r] = int16(code)
				t.ascii[r] = uint8(code)
			}
			continue
		}
		if _, dup := t.high[r]; !dup {
			t.high[r] = uint8(code)
		}
	}
}

// code returns the code of r in the table, or -1.
func (t *revTable) code(r rune) int {
	if r < 0x80 {
		if r < 0 {
			return -1
		}
		return int(t.low[r])
	}
	if c, ok := t.high[r]; ok {
		return int(c)
	}
	return -1
}

// lazyRev builds a reverse table on first use, without allocating afterwards.
type lazyRev struct {
	ready atomic.Bool
	mu    sync.Mutex
	t     revTable
}

func (e *lazyRev) get(src *[128]rune) *revTable {
	if !e.ready.Load() {
		e.mu.Lock()
		if !e.ready.Load() {
			e.t.build(src)
			e.ready.Store(true)
		}
		e.mu.Unlock()
	}
	return &e.t
}

var revLocking, revSingle [numLanguages]lazyRev

// tables is the pair of GSM 7-bit tables in use for one text.
type tables struct {
	lock, single *revTable
}

func tablesFor(locking, single Language) (tables, error) {
	if !locking.HasLocking() || !single.Known() {
		return tables{}, fmt.Errorf("%w: locking %s, single shift %s", ErrLanguage, locking, single)
	}
	return tables{
		lock:   revLocking[locking].get(lockingTables[locking]),
		single: revSingle[single].get(singleTables[single]),
	}, nil
}

// code returns the septet(s) for r: c < 0x80 is one septet, c >= 0x100 is the
// escape followed by c&0x7F, and -1 means r is not representable.
func (t tables) code(r rune) int {
	if c := t.lock.code(r); c >= 0 {
		return c
	}
	if c := t.single.code(r); c >= 0 {
		return 0x100 | c
	}
	return -1
}

// septets returns the number of septets r takes (1 or 2), or 0.
func (t tables) septets(r rune) int {
	c := t.code(r)
	switch {
	case c < 0:
		return 0
	case c >= 0x100:
		return 2
	}
	return 1
}

// replacementCode resolves a replacement rune to its code, or -1 when none is
// asked for.
func (t tables) replacementCode(repl rune) (int, error) {
	if repl == 0 {
		return -1, nil
	}
	c := t.code(repl)
	if c < 0 {
		return -1, fmt.Errorf("%w: replacement %q", ErrUnencodable, repl)
	}
	return c, nil
}
