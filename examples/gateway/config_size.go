package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Sizes in the configuration (store.memtable_size, gc.memory_limit) are
// read as written in any common unit, the way GNU coreutils reads them:
// KiB, MiB, GiB, TiB and the bare K, M, G, T are powers of 1024; kB, KB, MB,
// GB, TB are powers of 1000; B or no unit is bytes. Units are not case
// sensitive, a space may separate number and unit, and the number may have a
// fraction ("1.5GiB"). A size out of range is refused with the range written
// in the unit the user wrote.

// sizeUnit is one unit a size may be written in.
type sizeUnit struct {
	name string // as the error messages write it
	mult float64
}

// sizeUnits, longest suffix first so that "MiB" is not read as "B".
var sizeUnits = []sizeUnit{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"kB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"K", 1 << 10}, {"M", 1 << 20}, {"G", 1 << 30}, {"T", 1 << 40},
	{"B", 1},
}

// parseSize reads a size and returns it in bytes with the unit it was
// written in ("" for bytes).
func parseSize(s string) (int64, sizeUnit, error) {
	v := strings.TrimSpace(s)
	unit := sizeUnit{"", 1}
	for _, u := range sizeUnits {
		if len(v) > len(u.name) && strings.EqualFold(v[len(v)-len(u.name):], u.name) {
			v, unit = strings.TrimSpace(v[:len(v)-len(u.name)]), u
			break
		}
	}
	if unit.name == "B" {
		unit.name = ""
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || strings.ContainsAny(v, "xXpP_") {
		return 0, unit, fmt.Errorf("%q is not a size like 64MiB, 64MB, 64M or a number of bytes", s)
	}
	n := f * unit.mult
	if n < 1 || n > math.MaxInt64/2 {
		return 0, unit, fmt.Errorf("%q is not a positive size", s)
	}
	return int64(n), unit, nil
}

// inUnit writes n bytes in unit u: "4MiB", "4.194MB", "4194304".
func inUnit(n int64, u sizeUnit) string {
	if u.name == "" {
		return strconv.FormatInt(n, 10)
	}
	x := strconv.FormatFloat(float64(n)/u.mult, 'f', 3, 64)
	x = strings.TrimRight(strings.TrimRight(x, "0"), ".")
	return x + u.name
}

// checkSize parses the size s of the key at path and checks it is from lo
// to hi bytes; empty s is def.
func checkSize(path, s string, def, lo, hi int64) (int64, error) {
	if strings.TrimSpace(s) == "" {
		return def, nil
	}
	n, u, err := parseSize(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if n < lo || n > hi {
		bytes := ""
		if u.name == "" {
			bytes = " bytes"
		}
		return 0, fmt.Errorf("%s: %s is out of range: want %s to %s%s", path, strings.TrimSpace(s), inUnit(lo, u), inUnit(hi, u), bytes)
	}
	return n, nil
}

// memTableSize returns the configured size or the default.
func (s StoreConfig) memTableSize() (uint64, error) {
	n, err := checkSize("store.memtable_size", s.MemTableSize, 64<<20, 4<<20, 1<<30)
	return uint64(n), err
}

// memoryLimit parses MemoryLimit ("1GiB", "512MiB", "512MB", bytes).
func (g GCConfig) memoryLimit() (int64, error) {
	return checkSize("gc.memory_limit", g.MemoryLimit, 1<<30, 1<<20, 1<<50)
}
