package pdu_test

import "fmt"

func fmtSscan(s string, v *uint32) (int, error) { return fmt.Sscanf(s, "0x%x", v) }
