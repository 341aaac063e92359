package store

// AppendMessage appends the binary encoding of every field of m, its Rev
// included, to b: the record Accept writes in this package, for other
// backends of Store to store a Message as one value (the JetStream store
// keeps it in a KV entry). DecodeMessage reads it back.
func AppendMessage(b []byte, m *Message) []byte { return appendMessage(b, m) }

// DecodeMessage decodes a record written by AppendMessage. It copies what it
// keeps, so b may be reused. A record that cannot be decoded is an error:
// the value was not written by AppendMessage, or was damaged.
func DecodeMessage(b []byte) (*Message, error) { return decodeMessage(b) }
