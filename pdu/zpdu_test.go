package pdu_test

import (
	"bytes"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/pdu/internal/bodygen"
)

// TestGeneratedIsFresh runs the generator into memory and compares its output
// with zpdu.go: it fails when the table (bodies.txt), the structs or the
// generator changed without go generate ./pdu.
func TestGeneratedIsFresh(t *testing.T) {
	table, err := os.ReadFile("bodies.txt")
	must(t, err)
	want, err := bodygen.Generate(table, ".")
	must(t, err)
	got, err := os.ReadFile(bodygen.Output)
	must(t, err)
	if d := firstDiff(got, want); d != "" {
		t.Fatalf("zpdu.go is stale: run go generate ./pdu\n%s", d)
	}
}

// firstDiff describes the first line where a and b differ, or returns "".
func firstDiff(a, b []byte) string {
	if bytes.Equal(a, b) {
		return ""
	}
	la, lb := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(la) || i < len(lb); i++ {
		var x, y string
		if i < len(la) {
			x = la[i]
		}
		if i < len(lb) {
			y = lb[i]
		}
		if x != y {
			return "line " + itoa(i+1) + ":\n  on disk:   " + x + "\n  generated: " + y
		}
	}
	return "files differ"
}

func itoa(i int) string {
	var b []byte
	for {
		b = append([]byte{byte('0' + i%10)}, b...)
		if i /= 10; i == 0 {
			return string(b)
		}
	}
}

// The staleness test can fail: an edited table generates other code; and a
// table that disagrees with the structs is refused with the reason.
func TestGeneratorCatchesDrift(t *testing.T) {
	table, err := os.ReadFile("bodies.txt")
	must(t, err)
	onDisk, err := os.ReadFile(bodygen.Output)
	must(t, err)
	src := string(table)
	const line = "\tsource_addr             SourceAddr            cstring 21 ESME_RINVSRCADR\n"
	if !strings.Contains(src, line) {
		t.Fatal("the table has no source_addr line to edit")
	}

	edited := strings.Replace(src, line, strings.Replace(line, "21", "22", 1), 1)
	out, err := bodygen.Generate([]byte(edited), ".")
	must(t, err)
	if firstDiff(onDisk, out) == "" {
		t.Error("a size changed in the table, and the generated code is the same")
	}

	for _, tc := range []struct {
		name, from, to, want string
	}{
		{"field missing from the table", "\taddress_range           AddressRange          cstring 41 ESME_RINVPARLEN\n", "",
			"Bind has a field AddressRange that the table does not list"},
		{"fields swapped", "\tsystem_id               SystemID              cstring 16 ESME_RINVSYSID\n\tpassword                Password              cstring 9 ESME_RINVPASWD\n\tsystem_type",
			"\tpassword                Password              cstring 9 ESME_RINVPASWD\n\tsystem_id               SystemID              cstring 16 ESME_RINVSYSID\n\tsystem_type",
			"field 1 of Bind is SystemID, the table says Password"},
		{"wire type does not fit the Go type", "\tinterface_version       InterfaceVersion      u8\n", "\tinterface_version       InterfaceVersion      cstring 2 ESME_RINVPARLEN\n",
			"Bind.InterfaceVersion is a uint8; interface_version wants string"},
		{"unknown struct", "body Outbind outbind/OutbindID", "body Outbound outbind/OutbindID", "no struct type Outbound"},
		{"unknown wire type", "message_state           MessageState          u8 MessageState", "message_state           MessageState          u16", `unknown wire type "u16"`},
		{"list of no element", "list no_unsuccess UnsuccessSME", "list no_unsuccess Unsuccess", "the list's element Unsuccess is not an element"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(src, tc.from) {
				t.Fatalf("the table has no %q", tc.from)
			}
			_, err := bodygen.Generate([]byte(strings.Replace(src, tc.from, tc.to, 1)), ".")
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// A body cut at any offset fails on the field it is cut in, also inside a
// run of one-octet fields that the decoder reads together.
func TestDecodeTruncatedNamesTheField(t *testing.T) {
	pieces := []struct{ field, hex string }{
		{"service_type", cs("CMT")}, {"source_addr_ton", "01"}, {"source_addr_npi", "01"}, {"source_addr", cs("1")},
		{"dest_addr_ton", "01"}, {"dest_addr_npi", "01"}, {"destination_addr", cs("2")},
		{"esm_class", "00"}, {"protocol_id", "00"}, {"priority_flag", "00"},
		{"schedule_delivery_time", "00"}, {"validity_period", "00"},
		{"registered_delivery", "01"}, {"replace_if_present_flag", "00"}, {"data_coding", "00"}, {"sm_default_msg_id", "00"},
		{"sm_length", "02"}, {"short_message", "6869"},
	}
	var body []byte
	var fieldAt []string // the field each octet belongs to
	for _, p := range pieces {
		b := hx(t, p.hex)
		body = append(body, b...)
		for range b {
			fieldAt = append(fieldAt, p.field)
		}
	}
	var sm pdu.SubmitSM
	must(t, sm.UnmarshalBinary(body))
	for cut := 0; cut < len(body); cut++ {
		err := sm.UnmarshalBinary(body[:cut])
		var fe *pdu.FieldError
		if !errors.As(err, &fe) || fe.Field != fieldAt[cut] {
			t.Errorf("cut at %d: %v, want an error on %s", cut, err, fieldAt[cut])
		}
	}
}
