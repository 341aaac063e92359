package pdu

import "time"

// SMPP time strings (schedule_delivery_time, validity_period, final_date) are
// either empty (a lone NUL on the wire) or 16 characters:
//
//	YYMMDDhhmmsstnnp   absolute: local time, tenths, offset nn quarter hours, p '+' or '-'
//	YYMMDDhhmmss000R   relative: years, months, days, hours, minutes, seconds from now
//
// The functions below convert them to and from time.Time without allocating,
// except for the string-returning Format functions.

// SMPPTime is a decoded SMPP time string: an absolute instant or an offset from
// the SMSC's current time. The zero value is "not set" (an empty string).
type SMPPTime struct {
	// Absolute is the instant of an absolute time, in UTC, with its tenths of
	// a second. Zero for a relative or unset time.
	Absolute time.Time
	// Quarters is the offset from UTC, in quarter hours (-48..48), that the
	// absolute string was written in; Append writes it back. Zero means UTC.
	Quarters int
	// Relative holds the parts of a relative time. Zero for an absolute time.
	Relative RelativeTime
	// IsRelative reports a relative time ("…R"). False for absolute and unset.
	IsRelative bool
}

// RelativeTime is the six fields of a relative SMPP time. Each is 0–99; months
// and years are calendar units, applied with time.Time.AddDate.
type RelativeTime struct {
	Years   int // YY: calendar years; zero for none
	Months  int // MM: calendar months; zero for none
	Days    int // DD: days; zero for none
	Hours   int // hh: hours; zero for none
	Minutes int // mm: minutes; zero for none
	Seconds int // ss: seconds; zero for none
}

// IsZero reports whether t is unset (the empty string).
func (t SMPPTime) IsZero() bool { return !t.IsRelative && t.Absolute.IsZero() }

// Time returns the instant t denotes: Absolute, or now plus the relative
// offset. It returns the zero time for an unset t.
func (t SMPPTime) Time(now time.Time) time.Time {
	if t.IsRelative {
		return t.Relative.From(now)
	}
	return t.Absolute
}

// From returns now advanced by r: years, months and days by AddDate, then the
// hours, minutes and seconds.
func (r RelativeTime) From(now time.Time) time.Time {
	return now.AddDate(r.Years, r.Months, r.Days).Add(time.Duration(r.Hours)*time.Hour +
		time.Duration(r.Minutes)*time.Minute + time.Duration(r.Seconds)*time.Second)
}

// Append appends the 16-character relative form "YYMMDDhhmmss000R" to dst.
// Fields outside 0–99 are clamped.
func (r RelativeTime) Append(dst []byte) []byte {
	for _, v := range [6]int{r.Years, r.Months, r.Days, r.Hours, r.Minutes, r.Seconds} {
		dst = append2(dst, clamp99(v))
	}
	return append(dst, '0', '0', '0', 'R')
}

// String returns the 16-character relative form.
func (r RelativeTime) String() string { return string(r.Append(make([]byte, 0, 16))) }

// Append appends t in SMPP form to dst: nothing for an unset time, else 16
// characters (no NUL; the PDU encoder adds it).
func (t SMPPTime) Append(dst []byte) []byte {
	if t.IsRelative {
		return t.Relative.Append(dst)
	}
	if t.Absolute.IsZero() {
		return dst
	}
	q := t.Quarters
	if q < -48 || q > 48 {
		q = 0
	}
	return appendAbsolute(dst, t.Absolute.UTC().Add(time.Duration(q)*15*time.Minute), q)
}

// String returns t in SMPP form ("" when unset).
func (t SMPPTime) String() string { return string(t.Append(make([]byte, 0, 16))) }

// ParseSMPPTime decodes a schedule_delivery_time, validity_period or final_date
// value. The empty string gives the zero SMPPTime. A malformed value returns an
// error wrapping ErrBadTime; callers that know the field wrap it further (see
// SubmitSM.ScheduleTime), so a server answers ESME_RINVSCHED or ESME_RINVEXPIRY.
// A lower-case 'r' is accepted for a relative time, and the three digits before
// it need not be "000". It does not allocate.
func ParseSMPPTime(s string) (SMPPTime, error) {
	if s == "" {
		return SMPPTime{}, nil
	}
	if len(s) != 16 {
		return SMPPTime{}, ErrBadTime
	}
	var f [6]int
	for i := range 6 {
		v, ok := digits2(s, 2*i)
		if !ok {
			return SMPPTime{}, ErrBadTime
		}
		f[i] = v
	}
	tenths, ok := digit(s[12])
	nn, ok2 := digits2(s, 13)
	if !ok || !ok2 {
		return SMPPTime{}, ErrBadTime
	}
	switch s[15] {
	case 'R', 'r':
		return SMPPTime{IsRelative: true, Relative: RelativeTime{f[0], f[1], f[2], f[3], f[4], f[5]}}, nil
	case '+', '-':
	default:
		return SMPPTime{}, ErrBadTime
	}
	if nn > 48 {
		return SMPPTime{}, ErrBadTime
	}
	t, ok := makeDate(2000+f[0], f[1], f[2], f[3], f[4], f[5], time.UTC)
	if !ok {
		return SMPPTime{}, ErrBadTime
	}
	q := nn
	if s[15] == '-' {
		q = -nn
	}
	// The string is local time at UTC+q quarters: UTC = local - q×15 min.
	t = t.Add(time.Duration(tenths)*100*time.Millisecond - time.Duration(q)*15*time.Minute)
	return SMPPTime{Absolute: t, Quarters: q}, nil
}

// ParseTime decodes an SMPP time string to the instant it denotes; a relative
// time is added to now. The empty string gives the zero time and no error.
// Errors wrap ErrBadTime (see ParseSMPPTime).
func ParseTime(s string, now time.Time) (time.Time, error) {
	t, err := ParseSMPPTime(s)
	if err != nil {
		return time.Time{}, err
	}
	return t.Time(now), nil
}

// FormatAbsolute returns t as a 16-character absolute SMPP time in t's own
// zone, or "" for the zero time. See AppendAbsoluteTime.
func FormatAbsolute(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return string(AppendAbsoluteTime(make([]byte, 0, 16), t))
}

// AppendAbsoluteTime appends t as "YYMMDDhhmmsstnnp" to dst. The local time and
// offset are t's own when the offset is a whole number of quarter hours within
// ±12 hours; otherwise t is written in UTC ("…00+"). The year is written modulo
// 100, and sub-tenth precision is dropped. It does not allocate.
func AppendAbsoluteTime(dst []byte, t time.Time) []byte {
	_, off := t.Zone()
	if off%(15*60) != 0 || off < -48*15*60 || off > 48*15*60 {
		t, off = t.UTC(), 0
	}
	return appendAbsolute(dst, t, off/(15*60))
}

// appendAbsolute writes t's wall clock (already in the zone of q quarters).
func appendAbsolute(dst []byte, t time.Time, q int) []byte {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	y %= 100
	if y < 0 {
		y += 100
	}
	dst = append2(dst, y)
	dst = append2(dst, int(mo))
	dst = append2(dst, d)
	dst = append2(dst, h)
	dst = append2(dst, mi)
	dst = append2(dst, s)
	dst = append(dst, byte('0'+t.Nanosecond()/1e8))
	sign := byte('+')
	if q < 0 {
		sign, q = '-', -q
	}
	dst = append2(dst, q)
	return append(dst, sign)
}

// FormatRelative returns d as a relative SMPP time "YYMMDDhhmmss000R". Negative
// durations give zero. Up to 99 days the string is exact (days, hours,
// minutes, seconds); beyond that whole years of 365 days and months of 30 days
// are used, so the SMSC's calendar arithmetic may differ by a few days. The
// largest value written is 99 years.
func FormatRelative(d time.Duration) string {
	return string(AppendRelativeTime(make([]byte, 0, 16), d))
}

// AppendRelativeTime appends d as a relative SMPP time to dst (see FormatRelative).
func AppendRelativeTime(dst []byte, d time.Duration) []byte {
	return RelativeFromDuration(d).Append(dst)
}

// RelativeFromDuration splits d into the fields of a relative time, as
// described at FormatRelative.
func RelativeFromDuration(d time.Duration) RelativeTime {
	if d < 0 {
		d = 0
	}
	s := int64(d / time.Second)
	r := RelativeTime{Seconds: int(s % 60), Minutes: int(s / 60 % 60), Hours: int(s / 3600 % 24)}
	days := s / 86400
	if days > 99 {
		r.Years = int(days / 365)
		days %= 365
		r.Months = int(days / 30)
		days %= 30
	}
	r.Days = int(days)
	if r.Years > 99 {
		r = RelativeTime{Years: 99}
	}
	return r
}

// timeField wraps a time-string error in a FieldError for the field of cmd.
func timeField(cmd CommandID, field string, st Status, s string, now time.Time) (time.Time, error) {
	t, err := ParseTime(s, now)
	if err != nil {
		return time.Time{}, &FieldError{Command: cmd, Field: field, Status: st, Err: err}
	}
	return t, nil
}

// ScheduleTime returns the instant of schedule_delivery_time (zero when
// empty); a relative time counts from now. A malformed value gives a
// *FieldError with ESME_RINVSCHED.
func (m *SubmitSM) ScheduleTime(now time.Time) (time.Time, error) {
	return timeField(SubmitSMID, "schedule_delivery_time", ESME_RINVSCHED, m.ScheduleDeliveryTime, now)
}

// ValidityTime returns the instant of validity_period (zero when empty); a
// relative time counts from now. A malformed value gives a *FieldError with
// ESME_RINVEXPIRY.
func (m *SubmitSM) ValidityTime(now time.Time) (time.Time, error) {
	return timeField(SubmitSMID, "validity_period", ESME_RINVEXPIRY, m.ValidityPeriod, now)
}

// ScheduleTime is SubmitSM.ScheduleTime for submit_multi.
func (m *SubmitMulti) ScheduleTime(now time.Time) (time.Time, error) {
	return timeField(SubmitMultiID, "schedule_delivery_time", ESME_RINVSCHED, m.ScheduleDeliveryTime, now)
}

// ValidityTime is SubmitSM.ValidityTime for submit_multi.
func (m *SubmitMulti) ValidityTime(now time.Time) (time.Time, error) {
	return timeField(SubmitMultiID, "validity_period", ESME_RINVEXPIRY, m.ValidityPeriod, now)
}

// ScheduleTime is SubmitSM.ScheduleTime for replace_sm (zero keeps the original).
func (r *ReplaceSM) ScheduleTime(now time.Time) (time.Time, error) {
	return timeField(ReplaceSMID, "schedule_delivery_time", ESME_RINVSCHED, r.ScheduleDeliveryTime, now)
}

// ValidityTime is SubmitSM.ValidityTime for replace_sm (zero keeps the original).
func (r *ReplaceSM) ValidityTime(now time.Time) (time.Time, error) {
	return timeField(ReplaceSMID, "validity_period", ESME_RINVEXPIRY, r.ValidityPeriod, now)
}

// FinalTime returns the instant of final_date, or the zero time while the
// message is not final. A malformed value gives a *FieldError with
// ESME_RINVPARLEN, the status the decoder uses for this field.
func (r *QuerySMResp) FinalTime() (time.Time, error) {
	return timeField(QuerySMRespID, "final_date", ESME_RINVPARLEN, r.FinalDate, time.Time{})
}

// makeDate builds a date and checks that no field overflowed (no 31 February).
func makeDate(y, mo, d, h, mi, s int, loc *time.Location) (time.Time, bool) {
	if mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 59 {
		return time.Time{}, false
	}
	t := time.Date(y, time.Month(mo), d, h, mi, s, 0, loc)
	if t.Day() != d {
		return time.Time{}, false
	}
	return t, true
}

func digit(c byte) (int, bool) {
	if c < '0' || c > '9' {
		return 0, false
	}
	return int(c - '0'), true
}

// digits2 reads two decimal digits of s at i.
func digits2[T string | []byte](s T, i int) (int, bool) {
	a, ok1 := digit(s[i])
	b, ok2 := digit(s[i+1])
	return a*10 + b, ok1 && ok2
}

func append2(dst []byte, v int) []byte { return append(dst, byte('0'+v/10%10), byte('0'+v%10)) }

func clamp99(v int) int {
	if v < 0 {
		return 0
	}
	if v > 99 {
		return 99
	}
	return v
}
