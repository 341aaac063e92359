package pdu

import (
	"bytes"
	"math/rand/v2"
	"reflect"
	"testing"

	"github.com/esmsafrica/smpp/tlv"
)

// Every body's Validate returns exactly the error AppendBinary returns (nil
// when it writes the body), over random fields at and around every bound,
// lists included; and it writes nothing.
func TestValidateMatchesAppendBinaryAllBodies(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	tested := 0
	for id := range commandNames {
		p := New(id)
		v, ok := p.(interface{ Validate() error })
		if !ok {
			t.Fatalf("%T has no Validate method", p)
		}
		tested++
		valid := 0
		for range 3000 {
			randomize(t, r, reflect.ValueOf(p).Elem())
			_, aerr := p.AppendBinary([]byte{1, 2, 3})
			verr := v.Validate()
			if !reflect.DeepEqual(verr, aerr) {
				t.Fatalf("%#v:\nValidate     %v\nAppendBinary %v", p, verr, aerr)
			}
			if verr == nil {
				valid++
			}
		}
		if valid == 0 && reflect.ValueOf(p).Elem().NumField() > 1 {
			t.Errorf("%T: no random body was valid", p)
		}
	}
	if tested < len(commandNames) || tested < 25 {
		t.Fatalf("only %d bodies tested", tested)
	}
}

// randomize sets the fields of the struct v to random values at and around
// the bounds of the SMPP 3.4 fields (strings of 6, 9, 13, 16, 17, 21, 41, 65
// octets with the NUL, short_message of 254, lists of 1–254 entries).
func randomize(t *testing.T, r *rand.Rand, v reflect.Value) {
	lengths := []int{0, 1, 4, 5, 6, 7, 8, 9, 12, 13, 14, 15, 16, 17, 18, 20, 21, 22, 40, 41, 42, 64, 65, 66}
	str := func() string {
		if r.IntN(3) == 0 {
			return "000001060000000R" // a valid time string
		}
		b := bytes.Repeat([]byte{'a'}, lengths[r.IntN(len(lengths))])
		if len(b) > 0 && r.IntN(10) == 0 {
			b[r.IntN(len(b))] = 0
		}
		return string(b)
	}
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		switch {
		case v.Type().Field(i).Name == "ID":
		case f.Type() == reflect.TypeFor[tlv.List]():
			switch r.IntN(4) {
			case 0:
				f.Set(reflect.ValueOf(tlv.List{{Tag: tlv.UserMessageReference, Value: []byte{0, 7}}}))
			case 1:
				f.Set(reflect.ValueOf(tlv.List{{Tag: tlv.MessagePayload, Value: make([]byte, 65535+r.IntN(2))}}))
			default:
				f.Set(reflect.Zero(f.Type()))
			}
		case f.Kind() == reflect.String:
			f.SetString(str())
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Uint8:
			f.SetBytes(bytes.Repeat([]byte{0xA5}, r.IntN(257)))
		case f.Kind() == reflect.Slice && f.Type().Elem().Kind() == reflect.Struct:
			n := []int{0, 1, 2, 3, 254, 255}[r.IntN(6)]
			l := reflect.MakeSlice(f.Type(), n, n)
			for j := range n {
				randomize(t, r, l.Index(j))
				if r.IntN(20) != 0 {
					// Mostly valid entries, so that the bounds of the
					// list itself are reached.
					if e, ok := l.Index(j).Addr().Interface().(*DestAddress); ok {
						*e = DestAddress{Flag: uint8(1 + r.IntN(2)), DestinationAddr: "4915550000", DLName: "friends"}
					}
				}
			}
			f.Set(l)
		case f.Kind() == reflect.Uint8:
			if v.Type().Field(i).Name == "Flag" {
				f.SetUint(uint64(r.IntN(4))) // dest_flag: 0–3, 0 and 3 out of the union
			} else {
				f.SetUint(r.Uint64())
			}
		case f.Kind() == reflect.Uint32:
			f.SetUint(r.Uint64())
		case f.Kind() == reflect.Bool: // BindResp.BodyOnError, not on the wire
			f.SetBool(r.IntN(2) == 0)
		default:
			t.Fatalf("%s: field %s of kind %s", v.Type(), v.Type().Field(i).Name, f.Kind())
		}
	}
}
