package encoding_test

import (
	"fmt"

	"github.com/esmsafrica/smpp/encoding"
)

// Encode a text in the cheapest way and get the data_coding octet.
func ExampleEncode() {
	for _, text := range []string{"Price: 5€", "Çok güzel, teşekkürler", "Hi 👋"} {
		c, b, err := encoding.Encode(nil, text, encoding.Options{
			Languages: []encoding.Language{encoding.Turkish},
		})
		if err != nil {
			panic(err)
		}
		fmt.Printf("%-24q %s locking=%s single=%s data_coding=0x%02X units=%d % X\n",
			text, c.Alphabet, c.Locking, c.Single, c.DataCoding(), c.Units, b[:4])
	}
	// Output:
	// "Price: 5€"              GSM7 locking=default single=default data_coding=0x00 units=10 50 72 69 63
	// "Çok güzel, teşekkürler" GSM7 locking=default single=Turkish data_coding=0x00 units=23 09 6F 6B 20
	// "Hi 👋"                   UCS2 locking=default single=default data_coding=0x08 units=5 00 48 00 69
}

// Decode inbound text from its data_coding.
func ExampleDecode() {
	dc := encoding.ParseDataCoding(0xF0) // GSM 7-bit, class 0
	text, _ := encoding.Decode(nil, []byte{0x48, 0x69, 0x1B, 0x65}, dc, encoding.GSM7Options{}, 0)
	fmt.Println(string(text), "flash:", dc.Flash())
	// Output: Hi€ flash: true
}
