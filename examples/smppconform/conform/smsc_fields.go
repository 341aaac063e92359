package conform

import (
	"strings"

	"github.com/esmsafrica/smpp/pdu"
)

func init() {
	Register(
		smsc("fields", 1, "fields §6", "priority_flag 4 gets ESME_RINVPRTFLG",
			"priority_flag is 0–3; a greater value is refused with ESME_RINVPRTFLG.",
			rawField(func(r *rawSubmit) { r.Priority = 4 }, pdu.ESME_RINVPRTFLG).run),
		smsc("fields", 2, "fields §5", "reserved registered_delivery bits get ESME_RINVREGDLVFLG",
			"registered_delivery bits 7–5 are reserved and must be 0; 0xE0 is refused with ESME_RINVREGDLVFLG.",
			rawField(func(r *rawSubmit) { r.Registered = 0xE0 }, pdu.ESME_RINVREGDLVFLG).run),
		smsc("fields", 3, "fields §6", "replace_if_present_flag 2 gets ESME_RINVREPFLAG",
			"replace_if_present_flag is 0 or 1; another value is refused with ESME_RINVREPFLAG.",
			rawField(func(r *rawSubmit) { r.Replace = 2 }, pdu.ESME_RINVREPFLAG).run),
		smsc("fields", 4, "status §1", "sm_length 255 gets ESME_RINVMSGLEN",
			"short_message holds at most 254 octets; sm_length 255 (with 255 octets) is refused with ESME_RINVMSGLEN.",
			rawField(func(r *rawSubmit) { r.Short = []byte(strings.Repeat("x", 255)) }, pdu.ESME_RINVMSGLEN, pdu.ESME_RINVPARLEN).run),
		smsc("fields", 5, "status §1", "short_message and message_payload together get ESME_RINVMSGLEN",
			"User data goes in short_message or message_payload, never both; both together are refused (ESME_RINVMSGLEN, or ESME_RINVOPTPARAMVAL / ESME_ROPTPARNOTALLWD naming the TLV).",
			rawField(func(r *rawSubmit) { r.TLVs = tlvBytes(0x0424, 4, []byte("both")) }, pdu.ESME_RINVMSGLEN, pdu.ESME_RINVOPTPARAMVAL, pdu.ESME_ROPTPARNOTALLWD).run),
		smsc("fields", 6, "pdus §5.4", "a source_addr of 21 characters gets ESME_RINVSRCADR",
			"source_addr in submit_sm is at most 21 octets with its NULL; a longer one is refused with ESME_RINVSRCADR (or ESME_RINVPARLEN when no field code is used).",
			rawField(func(r *rawSubmit) { r.Source = strings.Repeat("1", 21) }, pdu.ESME_RINVSRCADR, pdu.ESME_RINVPARLEN).run),
		smsc("fields", 7, "pdus §5.4", "a destination_addr of 21 characters gets ESME_RINVDSTADR",
			"destination_addr in submit_sm is at most 21 octets with its NULL; a longer one is refused with ESME_RINVDSTADR (or ESME_RINVPARLEN).",
			rawField(func(r *rawSubmit) { r.Dest = strings.Repeat("2", 21) }, pdu.ESME_RINVDSTADR, pdu.ESME_RINVPARLEN).run),
		smsc("fields", 8, "status §1", "an empty destination_addr gets ESME_RINVDSTADR",
			"A submission needs a recipient; an empty destination_addr is refused with ESME_RINVDSTADR.",
			rawField(func(r *rawSubmit) { r.Dest = "" }, pdu.ESME_RINVDSTADR).run),
		smsc("fields", 9, "fields §3", "a service_type of 6 characters gets ESME_RINVSERTYP",
			"service_type is at most 6 octets with its NULL; a longer one is refused with ESME_RINVSERTYP (or ESME_RINVPARLEN).",
			rawField(func(r *rawSubmit) { r.ServiceType = "ABCDEF" }, pdu.ESME_RINVSERTYP, pdu.ESME_RINVPARLEN).run),
		smsc("fields", 10, "status §1", "a malformed schedule_delivery_time gets ESME_RINVSCHED",
			"schedule_delivery_time is NULL or 16 characters; 10 characters are refused with ESME_RINVSCHED.",
			rawField(func(r *rawSubmit) { r.Schedule = "2601011200" }, pdu.ESME_RINVSCHED).run),
		smsc("fields", 11, "status §1", "a malformed validity_period gets ESME_RINVEXPIRY",
			"validity_period is NULL or 16 characters; 10 characters are refused with ESME_RINVEXPIRY.",
			rawField(func(r *rawSubmit) { r.Validity = "2601011200" }, pdu.ESME_RINVEXPIRY).run),
		smsc("fields", 12, "fields §8.1", "a time string with a bad 'p' character gets ESME_RINVSCHED",
			"The 16th character of an absolute time is '+' or '-' (or 'R' for relative); 'X' is malformed and refused with ESME_RINVSCHED.",
			rawField(func(r *rawSubmit) { r.Schedule = "300101120000000X" }, pdu.ESME_RINVSCHED).run),
		smsc("fields", 13, "pdus §5.6", "submit_multi with number_of_dests 0 gets ESME_RINVNUMDESTS",
			"number_of_dests is 1–254; 0 is refused with ESME_RINVNUMDESTS.",
			func(t *T) {
				b := cstr(nil, "")
				b = append(b, 1, 1)
				b = cstr(b, t.cfg.SourceAddr)
				b = append(b, 0)             // number_of_dests
				b = append(b, 0, 0, 0, 0, 0) // esm_class, protocol_id, priority, schedule, validity
				b = append(b, 0, 0, 0, 0, 2, 'h', 'i')
				probe{Bind: pdu.BindTransmitterID, Raw: func(s uint32) []byte { return rawPDU(0, pdu.SubmitMultiID, 0, s, b) }, RawID: pdu.SubmitMultiID,
					Want: st(pdu.ESME_RINVNUMDESTS), Nack: true, Sync: true}.run(t)
			}, "submit_multi"),
		smsc("fields", 14, "pdus §5.6", "submit_multi with dest_flag 3 gets ESME_RINVDESTFLAG",
			"dest_flag is 1 (SME address) or 2 (distribution list); another value is refused with ESME_RINVDESTFLAG.",
			func(t *T) {
				b := cstr(nil, "")
				b = append(b, 1, 1)
				b = cstr(b, t.cfg.SourceAddr)
				b = append(b, 1, 3, 1, 1)
				b = cstr(b, t.cfg.DestAddr)
				b = append(b, 0, 0, 0, 0, 0)
				b = append(b, 0, 0, 0, 0, 2, 'h', 'i')
				probe{Bind: pdu.BindTransmitterID, Raw: func(s uint32) []byte { return rawPDU(0, pdu.SubmitMultiID, 0, s, b) }, RawID: pdu.SubmitMultiID,
					Want: st(pdu.ESME_RINVDESTFLAG, pdu.ESME_RINVCMDLEN), Nack: true, Sync: true}.run(t)
			}, "submit_multi"),
		smsc("fields", 15, "pdus §5.1", "a system_id of 16 characters is refused",
			"system_id is at most 16 octets with its NULL; a bind with 16 characters is refused (ESME_RINVSYSID, ESME_RINVPARLEN or ESME_RBINDFAIL).",
			probe{Req: &pdu.Bind{}, Want: st(pdu.ESME_RINVSYSID, pdu.ESME_RINVPARLEN, pdu.ESME_RBINDFAIL, pdu.ESME_RINVCMDLEN), Nack: true, CloseOK: true}.withRawBind(func(t *T, b *pdu.Bind) {
				b.SystemID = strings.Repeat("s", 16)
			})),
		smsc("fields", 16, "pdus §5.1", "a password of 9 characters is refused",
			"password is at most 9 octets with its NULL (8 characters); a bind with 9 characters is refused (ESME_RINVPASWD, ESME_RINVPARLEN or ESME_RBINDFAIL).",
			probe{Req: &pdu.Bind{}, Want: st(pdu.ESME_RINVPASWD, pdu.ESME_RINVPARLEN, pdu.ESME_RBINDFAIL, pdu.ESME_RINVCMDLEN), Nack: true, CloseOK: true}.withRawBind(func(t *T, b *pdu.Bind) {
				b.Password = strings.Repeat("p", 9)
			})),
		smsc("fields", 17, "pdus §5.5", "an error submit_sm_resp is header-only or a single NULL",
			"When command_status is not 0 the submit_sm_resp body is not returned (16 octets); many SMSCs add one NULL (17 octets). Nothing else.",
			rawField(func(r *rawSubmit) { r.Dest = "" }, nonOK...).withCheck(func(t *T, f frame) {
				if f.ID == pdu.SubmitSMRespID && f.Length != 16 && !(f.Length == 17 && f.Body[0] == 0) {
					t.Fail("error submit_sm_resp of %d octets % x", f.Length, f.Body)
				}
			})),
		smsc("fields", 18, "pdus §5.4", "a source_addr of 20 characters is accepted as a length",
			"source_addr may have 20 characters (21 octets with the NULL); the SMSC does not refuse it as too long (ESME_RINVCMDLEN or ESME_RINVPARLEN), although it may refuse the address for routing.",
			rawField(func(r *rawSubmit) { r.Source = strings.Repeat("3", 20) }, allBut(pdu.ESME_RINVCMDLEN, pdu.ESME_RINVPARLEN)...).run),
	)
}

// rawField submits a raw submit_sm with a change and expects one of want.
func rawField(change func(*rawSubmit), want ...pdu.Status) rawProbe {
	return rawProbe{change: change, want: want}
}

// rawProbe is a raw submit_sm probe built at run time from the run's
// addresses.
type rawProbe struct {
	change func(*rawSubmit)
	want   []pdu.Status
	check  func(*T, frame)
}

func (r rawProbe) withCheck(f func(*T, frame)) func(*T) {
	r.check = f
	return r.run
}

func (r rawProbe) run(t *T) {
	s := t.newRawSubmit()
	r.change(&s)
	p := submitRaw(s, r.want...)
	p.Check = r.check
	p.run(t)
}

// withRawBind sends a bind built from the run's configuration with a change
// the encoder would refuse.
func (p probe) withRawBind(set func(*T, *pdu.Bind)) func(*T) {
	return func(t *T) {
		b := t.bindPDU(pdu.BindTransmitterID)
		set(t, b)
		raw := cstr(cstr(cstr(nil, b.SystemID), b.Password), b.SystemType)
		raw = append(raw, 0x34, 0, 0, 0)
		p.Raw = func(s uint32) []byte { return rawPDU(0, pdu.BindTransmitterID, 0, s, raw) }
		p.RawID = pdu.BindTransmitterID
		p.run(t)
	}
}

// allBut is every status except those given.
func allBut(not ...pdu.Status) []pdu.Status {
	var out []pdu.Status
	for _, s := range anyStatus {
		keep := true
		for _, n := range not {
			keep = keep && s != n
		}
		if keep {
			out = append(out, s)
		}
	}
	return out
}
