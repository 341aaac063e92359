package conform

import (
	"slices"
	"testing"
)

// peerProfile is what an ESME under test declares.
type peerProfile struct {
	// Capabilities are the optional ones it supports (Profile).
	Capabilities []string `json:"capabilities"`
	// Window is the most requests it keeps outstanding; 0: none declared.
	Window int `json:"window"`
	// Alone lists the cases after which it cannot go on (it stops
	// reconnecting, say): each runs with a peer of its own, and a fresh
	// peer takes the cases after it.
	Alone []string `json:"alone"`
}

func (p peerProfile) profile() Profile {
	out := Profile{}
	for _, c := range p.Capabilities {
		out[c] = true
	}
	return out
}

// units splits cs into the runs of one peer process each: every case of
// Alone on its own, the cases between them together.
func (p peerProfile) units(cs []*Case) [][]*Case {
	var out [][]*Case
	var cur []*Case
	for _, c := range cs {
		if !slices.Contains(p.Alone, c.ID) {
			cur = append(cur, c)
			continue
		}
		if len(cur) > 0 {
			out = append(out, cur)
			cur = nil
		}
		out = append(out, []*Case{c})
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// allSkipped reports whether the profile skips every case of unit.
func allSkipped(p Profile, unit []*Case) bool {
	for _, c := range unit {
		need := false
		for _, n := range c.Needs {
			if !p[n] {
				need = true
			}
		}
		if !need {
			return false
		}
	}
	return true
}

// TestPeerProfileUnits: the cases a peer declares it cannot go on after
// each run alone, and the others keep their order between them.
func TestPeerProfileUnits(t *testing.T) {
	cs := []*Case{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}, {ID: "e"}}
	ids := func(us [][]*Case) [][]string {
		var out [][]string
		for _, u := range us {
			var ids []string
			for _, c := range u {
				ids = append(ids, c.ID)
			}
			out = append(out, ids)
		}
		return out
	}
	for _, tc := range []struct {
		alone []string
		want  [][]string
	}{
		{nil, [][]string{{"a", "b", "c", "d", "e"}}},
		{[]string{"b"}, [][]string{{"a"}, {"b"}, {"c", "d", "e"}}},
		{[]string{"a", "e"}, [][]string{{"a"}, {"b", "c", "d"}, {"e"}}},
		{[]string{"c", "d"}, [][]string{{"a", "b"}, {"c"}, {"d"}, {"e"}}},
	} {
		got := ids(peerProfile{Alone: tc.alone}.units(cs))
		if !slices.EqualFunc(got, tc.want, slices.Equal) {
			t.Errorf("alone %v: units %v, want %v", tc.alone, got, tc.want)
		}
	}
	p := peerProfile{Capabilities: []string{"data_sm"}}.profile()
	if !allSkipped(p, []*Case{{ID: "o", Needs: []string{"outbind"}}}) {
		t.Error("a unit of cases needing outbind is not all skipped without it")
	}
	if allSkipped(p, []*Case{{ID: "o", Needs: []string{"outbind"}}, {ID: "d", Needs: []string{"data_sm"}}}) {
		t.Error("a unit with a case the profile allows is all skipped")
	}
}
