package pdu

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/esmsafrica/smpp/tlv"
)

// fastBody is a body with a generated one-pass encoder.
type fastBody interface {
	PDU
	appendValid(dst []byte) ([]byte, bool)
	appendChecked(dst []byte, id CommandID) ([]byte, error)
}

// Every generated one-pass encoder writes exactly what the field-by-field one
// writes, and declines exactly what that one refuses, over random fields at
// and around every bound (TestSubmitSMAppendValidMatchesChecked does this for
// submit_sm; this covers every body).
func TestAppendValidMatchesCheckedAllBodies(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	// Lengths at and around the bounds of the C-Octet Strings (6, 9, 13,
	// 16, 17, 21, 41, 65 with the NUL) and of short_message (254).
	lengths := []int{0, 1, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 40, 41, 42, 64, 65, 66}
	str := func() string {
		b := bytes.Repeat([]byte{'a'}, lengths[r.IntN(len(lengths))])
		if len(b) > 0 && r.IntN(10) == 0 {
			b[r.IntN(len(b))] = 0
		}
		return string(b)
	}
	tested := 0
	for id := range commandNames {
		p, ok := New(id).(fastBody)
		if !ok {
			continue
		}
		tested++
		for range 3000 {
			v := reflect.ValueOf(p).Elem()
			for i := 0; i < v.NumField(); i++ {
				f := v.Field(i)
				switch {
				case v.Type().Field(i).Name == "ID":
				case f.Type() == reflect.TypeFor[tlv.List]():
					switch r.IntN(4) {
					case 0:
						f.Set(reflect.ValueOf(tlv.List{{Tag: tlv.UserMessageReference, Value: []byte{0, 7}}}))
					case 1:
						f.Set(reflect.ValueOf(tlv.List{{Tag: tlv.MessagePayload, Value: make([]byte, 70000)}}))
					default:
						f.Set(reflect.Zero(f.Type()))
					}
				case f.Kind() == reflect.String:
					if r.IntN(3) == 0 {
						f.SetString("000001060000000R") // a valid time string
					} else {
						f.SetString(str())
					}
				case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Uint8:
					f.SetBytes(bytes.Repeat([]byte{0xA5}, r.IntN(257)))
				case f.Kind() == reflect.Uint8, f.Kind() == reflect.Uint32:
					f.SetUint(r.Uint64())
				case f.Kind() == reflect.Bool: // BindResp.BodyOnError, not on the wire
					f.SetBool(r.IntN(2) == 0)
				default:
					t.Fatalf("%T: field %s of kind %s", p, v.Type().Field(i).Name, f.Kind())
				}
			}
			prefix := []byte{1, 2, 3}
			want, werr := p.appendChecked(append([]byte(nil), prefix...), p.CommandID())
			got, ok := p.appendValid(append([]byte(nil), prefix...))
			if ok != (werr == nil) {
				t.Fatalf("%#v: one pass ok=%v, field by field err=%v", p, ok, werr)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("%#v:\none pass       %x\nfield by field %x", p, got, want)
			}
		}
	}
	if tested < 15 {
		t.Fatalf("only %d bodies have a one-pass encoder", tested)
	}
}
