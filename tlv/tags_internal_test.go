package tlv

import "testing"

// LengthOK's index agrees with tagInfo for every tag and a range of lengths.
func TestLengthOKMatchesTable(t *testing.T) {
	for tag := 0; tag <= 0xFFFF; tag++ {
		i, known := tagInfo[Tag(tag)]
		for _, n := range []int{0, 1, 2, 3, 4, 5, 17, 23, 24, 65, 66, 256, 257, 65535} {
			want := !known || (n >= i.min && n <= i.max)
			if got := Tag(tag).LengthOK(n); got != want {
				t.Fatalf("%s length %d: got %v want %v", Tag(tag), n, got, want)
			}
		}
	}
}
