package pdu_test

import (
	"errors"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/pdu"
)

func TestParseTime(t *testing.T) {
	now := time.Date(2024, 3, 15, 10, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		in   string
		want time.Time
	}{
		{"", time.Time{}},
		{"240315143000004+", time.Date(2024, 3, 15, 13, 30, 0, 0, time.UTC)},
		{"240315143000004-", time.Date(2024, 3, 15, 15, 30, 0, 0, time.UTC)},
		{"240315143000000+", time.Date(2024, 3, 15, 14, 30, 0, 0, time.UTC)},
		{"240315143005748+", time.Date(2024, 3, 15, 2, 30, 5, 700e6, time.UTC)},
		{"240101003000022+", time.Date(2023, 12, 31, 19, 0, 0, 0, time.UTC)}, // 00:30 at UTC+05:30
		{"240229235959900+", time.Date(2024, 2, 29, 23, 59, 59, 900e6, time.UTC)},
		{"000001060000000R", now.Add(30 * time.Hour)},
		{"000001060000000r", now.Add(30 * time.Hour)},
		{"010200000000000R", time.Date(2025, 5, 15, 10, 0, 0, 0, time.UTC)},
		{"000000000130000R", now.Add(90 * time.Second)},
	} {
		got, err := pdu.ParseTime(tc.in, now)
		if err != nil || !got.Equal(tc.want) {
			t.Errorf("ParseTime(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestParseTimeErrors(t *testing.T) {
	for _, in := range []string{
		"2403151430",        // short
		"2403151430000004+", // long
		"240315143000004*",  // bad sign
		"24031514300000a+",  // bad digit
		"241315143000004+",  // month 13
		"240230143000004+",  // 30 February
		"240315243000004+",  // hour 24
		"240315146000004+",  // minute 60
		"240315143060004+",  // second 60
		"240315143000049+",  // offset 49 quarters
		"00000106000000xR",  // relative with a non-digit
	} {
		if _, err := pdu.ParseTime(in, time.Now()); !errors.Is(err, pdu.ErrBadTime) {
			t.Errorf("ParseTime(%q): %v", in, err)
		}
	}
}

func TestTimeFieldStatus(t *testing.T) {
	m := pdu.SubmitSM{ScheduleDeliveryTime: "24031514300000x+", ValidityPeriod: "bad"}
	if _, err := m.ScheduleTime(time.Now()); !errors.Is(err, pdu.ESME_RINVSCHED) || !errors.Is(err, pdu.ErrBadTime) {
		t.Errorf("schedule: %v", err)
	}
	if _, err := m.ValidityTime(time.Now()); !errors.Is(err, pdu.ESME_RINVEXPIRY) || pdu.StatusOf(err) != pdu.ESME_RINVEXPIRY {
		t.Errorf("validity: %v", err)
	}
	mm := pdu.SubmitMulti{ScheduleDeliveryTime: "x", ValidityPeriod: "y"}
	if _, err := mm.ScheduleTime(time.Now()); pdu.StatusOf(err) != pdu.ESME_RINVSCHED {
		t.Errorf("multi schedule: %v", err)
	}
	if _, err := mm.ValidityTime(time.Now()); pdu.StatusOf(err) != pdu.ESME_RINVEXPIRY {
		t.Errorf("multi validity: %v", err)
	}
	r := pdu.ReplaceSM{ScheduleDeliveryTime: "x", ValidityPeriod: "000001060000000R"}
	if _, err := r.ScheduleTime(time.Now()); pdu.StatusOf(err) != pdu.ESME_RINVSCHED {
		t.Errorf("replace schedule: %v", err)
	}
	now := time.Now()
	if v, err := r.ValidityTime(now); err != nil || !v.Equal(now.Add(30*time.Hour)) {
		t.Errorf("replace validity: %v %v", v, err)
	}
	q := pdu.QuerySMResp{FinalDate: "240315143000004+"}
	if f, err := q.FinalTime(); err != nil || !f.Equal(time.Date(2024, 3, 15, 13, 30, 0, 0, time.UTC)) {
		t.Errorf("final: %v %v", f, err)
	}
}

func TestFormatAbsolute(t *testing.T) {
	cet := time.FixedZone("CET", 3600)
	ist := time.FixedZone("IST", 5*3600+1800)
	nst := time.FixedZone("NST", -(3*3600 + 1800))
	odd := time.FixedZone("odd", 17*60)
	for _, tc := range []struct {
		t    time.Time
		want string
	}{
		{time.Time{}, ""},
		{time.Date(2024, 3, 15, 14, 30, 0, 0, cet), "240315143000004+"},
		{time.Date(2024, 3, 15, 13, 30, 0, 0, time.UTC), "240315133000000+"},
		{time.Date(2024, 3, 15, 0, 30, 0, 0, ist), "240315003000022+"},
		{time.Date(2024, 3, 15, 9, 0, 5, 750e6, nst), "240315090005714-"},
		{time.Date(2024, 3, 15, 9, 17, 0, 0, odd), "240315090000000+"},
	} {
		got := pdu.FormatAbsolute(tc.t)
		if got != tc.want {
			t.Errorf("FormatAbsolute(%v) = %q, want %q", tc.t, got, tc.want)
			continue
		}
		if got == "" {
			continue
		}
		back, err := pdu.ParseTime(got, time.Time{})
		if err != nil || !back.Equal(tc.t.Truncate(100*time.Millisecond)) {
			t.Errorf("round trip %q: %v %v", got, back, err)
		}
	}
}

func TestSMPPTimeRoundTrip(t *testing.T) {
	for _, s := range []string{"", "240315143000004+", "240315143000948-", "000001060000000R", "991231235959900+", "991231235959000R"} {
		st, err := pdu.ParseSMPPTime(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got := st.String(); got != s {
			t.Errorf("%q round trips to %q", s, got)
		}
		if st.IsZero() != (s == "") {
			t.Errorf("%q: IsZero %v", s, st.IsZero())
		}
	}
}

func TestFormatRelative(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{0, "000000000000000R"},
		{-time.Hour, "000000000000000R"},
		{30 * time.Hour, "000001060000000R"},
		{90*time.Second + 500*time.Millisecond, "000000000130000R"},
		{99 * 24 * time.Hour, "000099000000000R"},
		{(365 + 45) * 24 * time.Hour, "010115000000000R"},
		{200 * 365 * 24 * time.Hour, "990000000000000R"},
	} {
		if got := pdu.FormatRelative(tc.d); got != tc.want {
			t.Errorf("FormatRelative(%v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

func TestTimeAllocs(t *testing.T) {
	buf := make([]byte, 0, 32)
	ts := time.Date(2024, 3, 15, 14, 30, 0, 0, time.FixedZone("CET", 3600))
	if n := testing.AllocsPerRun(100, func() {
		buf = pdu.AppendAbsoluteTime(buf[:0], ts)
		if _, err := pdu.ParseTime("240315143000004+", ts); err != nil {
			t.Fatal(err)
		}
		buf = pdu.AppendRelativeTime(buf[:0], time.Hour)
	}); n != 0 {
		t.Fatalf("time parse/format allocates %v", n)
	}
}
