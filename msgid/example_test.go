package msgid_test

import (
	"fmt"
	"time"

	"github.com/esmsafrica/smpp/msgid"
)

func Example() {
	// Node 3 of a cluster of up to 16 nodes. The fixed clock only makes the
	// output repeatable; leave Now nil in production.
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	g, err := msgid.New(msgid.Options{Node: 3, NodeBits: 4, Now: func() time.Time { return now }})
	if err != nil {
		panic(err)
	}
	a, b := g.Next(), g.Next() // the same millisecond: the sequence counts
	fmt.Println(a, b, a < b)
	issued, node, _ := g.Parse(b)
	fmt.Println(issued, node)

	// After a restart whose clock is behind, start after the last id issued.
	now = now.Add(-time.Hour)
	restarted, _ := msgid.New(msgid.Options{Node: 3, NodeBits: 4, Now: func() time.Time { return now }})
	if err := restarted.Resume(b); err != nil {
		panic(err)
	}
	c := restarted.Next()
	fmt.Println(c, c > b)
	// Output:
	// 09f33d8180000003 09f33d8180000013 true
	// 2025-06-01 12:00:00 +0000 UTC 3
	// 09f33d8180000023 true
}
