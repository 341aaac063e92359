package pdu_test

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// vector is one file of testdata/vectors: a PDU encoded by node-smpp and by
// Perl Net::SMPP, with the fields both were given.
type vector struct {
	Name          string                     `json:"name"`
	CommandID     string                     `json:"command_id"`
	Sequence      uint32                     `json:"sequence_number"`
	CommandStatus uint32                     `json:"command_status"`
	Fields        map[string]json.RawMessage `json:"fields"`
	TLVs          []struct {
		Name  string          `json:"name"`
		Tag   uint16          `json:"tag"`
		Type  string          `json:"type"`
		Value json.RawMessage `json:"value"`
	} `json:"tlvs"`
	Node struct {
		Hex string `json:"hex"`
	} `json:"node_smpp"`
	Perl struct {
		Hex string `json:"hex"`
	} `json:"perl_net_smpp"`
	Agree bool `json:"agree"`
}

func loadVectors(t *testing.T) []vector {
	t.Helper()
	files, err := filepath.Glob("../testdata/vectors/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no vectors: %v", err)
	}
	var out []vector
	for _, f := range files {
		if strings.HasSuffix(f, "index.json") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var v vector
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, v)
	}
	if len(out) != 37 {
		t.Fatalf("want 37 vectors, got %d", len(out))
	}
	return out
}

// goName maps a spec field name to the Go struct field name.
func goName(s string) string {
	special := map[string]string{"ton": "TON", "npi": "NPI", "id": "ID", "esm": "ESM", "sm": "SM", "dl": "DL", "esme": "ESME"}
	var b strings.Builder
	for _, part := range strings.Split(s, "_") {
		if u, ok := special[part]; ok {
			b.WriteString(u)
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// expected builds the body a vector's fields describe.
func expected(t *testing.T, v vector, id pdu.CommandID) pdu.PDU {
	t.Helper()
	p := pdu.New(id)
	rv := reflect.ValueOf(p).Elem()
	for name, raw := range v.Fields {
		switch name {
		case "sm_length", "number_of_dests", "no_unsuccess":
			continue
		case "short_message":
			var h struct{ Hex string }
			must(t, json.Unmarshal(raw, &h))
			rv.FieldByName("ShortMessage").SetBytes(unhex(t, h.Hex))
			continue
		case "dest_address":
			var ds []map[string]any
			must(t, json.Unmarshal(raw, &ds))
			var out []pdu.DestAddress
			for _, d := range ds {
				if n, ok := d["dl_name"]; ok {
					out = append(out, pdu.DestAddress{Flag: pdu.DestFlagList, DLName: n.(string)})
					continue
				}
				out = append(out, pdu.DestAddress{Flag: pdu.DestFlagSME, DestAddrTON: uint8(d["dest_addr_ton"].(float64)),
					DestAddrNPI: uint8(d["dest_addr_npi"].(float64)), DestinationAddr: d["destination_addr"].(string)})
			}
			rv.FieldByName("Dests").Set(reflect.ValueOf(out))
			continue
		case "unsuccess_sme":
			var us []map[string]any
			must(t, json.Unmarshal(raw, &us))
			var out []pdu.UnsuccessSME
			for _, u := range us {
				out = append(out, pdu.UnsuccessSME{DestAddrTON: uint8(u["dest_addr_ton"].(float64)), DestAddrNPI: uint8(u["dest_addr_npi"].(float64)),
					DestinationAddr: u["destination_addr"].(string), ErrorStatusCode: pdu.Status(u["error_status_code"].(float64))})
			}
			rv.FieldByName("Unsuccess").Set(reflect.ValueOf(out))
			continue
		}
		f := rv.FieldByName(goName(name))
		if !f.IsValid() {
			t.Fatalf("%s: no Go field for %q", v.Name, name)
		}
		switch f.Kind() {
		case reflect.String:
			var s string
			must(t, json.Unmarshal(raw, &s))
			f.SetString(s)
		case reflect.Uint8, reflect.Uint32:
			var n uint64
			must(t, json.Unmarshal(raw, &n))
			f.SetUint(n)
		default:
			t.Fatalf("%s: field %s of kind %s", v.Name, name, f.Kind())
		}
	}
	if len(v.TLVs) > 0 {
		var l tlv.List
		for _, x := range v.TLVs {
			var val []byte
			switch x.Type {
			case "int8", "int16", "int32":
				var n uint64
				must(t, json.Unmarshal(x.Value, &n))
				size := map[string]int{"int8": 1, "int16": 2, "int32": 4}[x.Type]
				for i := size - 1; i >= 0; i-- {
					val = append(val, byte(n>>(8*i)))
				}
			case "cstring":
				var s string
				must(t, json.Unmarshal(x.Value, &s))
				val = append([]byte(s), 0)
			case "octets":
				var s string
				must(t, json.Unmarshal(x.Value, &s))
				val = unhex(t, s)
			}
			l = append(l, tlv.Field{Tag: tlv.Tag(x.Tag), Value: val})
		}
		rv.FieldByName("TLVs").Set(reflect.ValueOf(l))
	}
	return p
}

func TestVectors(t *testing.T) {
	for _, v := range loadVectors(t) {
		t.Run(v.Name, func(t *testing.T) {
			var idn uint32
			_, err := fmtSscan(v.CommandID, &idn)
			must(t, err)
			id := pdu.CommandID(idn)
			want := expected(t, v, id)
			isErrorResp := id.IsResponse() && v.CommandStatus != 0
			for _, enc := range []struct{ who, hex string }{{"node-smpp", v.Node.Hex}, {"net-smpp", v.Perl.Hex}} {
				frame := unhex(t, enc.hex)
				h, got, err := pdu.Decode(frame, pdu.DecodeOptions{})
				if err != nil {
					t.Fatalf("%s: decode: %v", enc.who, err)
				}
				if h.ID != id || h.Sequence != v.Sequence || uint32(h.Status) != v.CommandStatus {
					t.Fatalf("%s: header %+v", enc.who, h)
				}
				if isErrorResp {
					// Header-only (node-smpp) or with a body (Net::SMPP): both decode,
					// and the body, when present, carries the fields.
					if len(frame) > pdu.HeaderLen && !reflect.DeepEqual(norm(got), norm(want)) {
						t.Errorf("%s: fields\n got %#v\nwant %#v", enc.who, got, want)
					}
					continue
				}
				if !reflect.DeepEqual(norm(got), norm(want)) {
					t.Errorf("%s: fields\n got %#v\nwant %#v", enc.who, got, want)
				}
			}
			// Our encoding of the fields: byte for byte node-smpp's (the strict,
			// header-only form for the error responses).
			out, err := pdu.AppendPDU(nil, v.Sequence, pdu.Status(v.CommandStatus), want)
			must(t, err)
			if hex.EncodeToString(out) != v.Node.Hex {
				t.Errorf("encode:\n got %x\nwant %s", out, v.Node.Hex)
			}
			if v.Agree && v.Perl.Hex != v.Node.Hex {
				t.Errorf("vector says agree but hex differs")
			}
		})
	}
}

// norm makes empty and nil slices compare equal.
func norm(p pdu.PDU) pdu.PDU {
	rv := reflect.ValueOf(p).Elem()
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Field(i)
		if f.Kind() == reflect.Slice && f.Len() == 0 && f.CanSet() {
			f.Set(reflect.Zero(f.Type()))
		}
	}
	return p
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	must(t, err)
	return b
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
