// Package encoding converts SMS text to and from the octets SMPP carries in
// short_message and message_payload, and says which data_coding value to send.
//
// # What a Go developer new to SMS needs to know
//
// An SMS carries at most 140 octets of user data. Text in it is encoded in one
// of a few alphabets, announced by the data_coding field of the SMPP PDU:
//
//   - GSM 7-bit (GSM 03.38 / 3GPP TS 23.038): 128 characters (Latin letters,
//     digits, some accented letters and Greek capitals), each a 7-bit
//     "septet", so 160 fit in 140 octets. Nine more characters (€ [ ] { } \ ^ ~ |)
//     are reached with an escape septet (0x1B) and cost two. Over SMPP the
//     septets usually travel one per octet ("unpacked"); some SMSCs want them
//     packed, eight in seven octets ([PackSeptets]). data_coding 0x00 means
//     "the SMSC's default alphabet", which is GSM 7-bit on most GSM SMSCs; see
//     [Default] to configure what it means per peer.
//   - National language shift tables (TS 23.038 Annex A): for Turkish,
//     Spanish, Portuguese and ten Indian languages and Urdu, a "single shift"
//     table replaces the escape table and a "locking shift" table replaces the
//     whole alphabet, so such text still fits 7 bits per character. The tables
//     in use are announced in the user data header (package udh).
//   - UCS-2 (data_coding 0x08): two octets per character, 70 per SMS. In
//     practice this is UTF-16 big-endian, and characters above U+FFFF (emoji)
//     take a surrogate pair of four octets.
//   - Latin-1 (0x03), IA5/ASCII (0x01) and 8-bit binary data (0x04).
//
// A long text is split into several SMS, each starting with a user data header
// (UDH) that links the parts; that is the job of package udh, which uses this
// package to count and encode.
//
// # Which function to call
//
//   - To send text: [Choose] picks the cheapest encoding allowed by [Options]
//     (GSM 7-bit, then GSM 7-bit with national tables if allowed, then UCS-2;
//     Latin-1 only when asked) and returns a [Choice]; [Choice.DataCoding]
//     gives the data_coding octet and [Choice.Append] the octets. [Encode]
//     does both. udh.Splitter does this and splits into segments.
//   - To read text: [ParseDataCoding] (or [Default.ParseDataCoding]) takes the
//     data_coding octet apart — alphabet, message class (flash), message
//     waiting indication — and [Decode] appends the UTF-8 text to a buffer.
//   - Hot paths: [AppendGSM7], [AppendGSM7Packed], [AppendUCS2], [AppendLatin1],
//     [AppendASCII], [DecodeGSM7], [DecodeGSM7Packed], [DecodeUCS2],
//     [DecodeLatin1], [PackSeptets], [UnpackSeptets] append into a caller's
//     buffer and do not allocate when it has room.
//   - Counting: [CountSeptets] (an escaped character counts two),
//     [CountUTF16], [Choice.Units], [Choice.Cut] for the longest prefix that
//     fits a segment without cutting an escape or surrogate pair.
//   - For io.Reader/io.Writer transformers: [GSM7Encoding] and
//     [Alphabet.Encoding] return golang.org/x/text encodings.
//
// Characters an alphabet cannot represent are an *[UnencodableError] naming
// the character and its position, unless the caller asks for a replacement
// character; text is never changed silently.
package encoding
