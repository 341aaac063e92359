// Package udh builds and parses the User Data Header of an SMS, splits long
// texts into segments and puts inbound segments back together.
//
// An SMS carries at most 140 octets (160 GSM 7-bit characters, 70 UCS-2). A
// longer text travels as several SMS ("segments"), and the handset glues them
// back together thanks to a User Data Header (UDH, 3GPP TS 23.040 §9.2.3.24)
// at the start of each: a few information elements (IEs) saying "part 2 of 3
// of message 42" (concatenation, IE 0x00 or 0x08), which application port the
// data is for (IE 0x04/0x05), or which national language tables the text uses
// (IE 0x24/0x25). The UDH eats into the 140 octets, so a segment holds 153
// GSM-7 characters with an 8-bit reference, 152 with a 16-bit one, 67 UCS-2
// characters, and less again with port or language IEs.
//
// SMPP 3.4 can carry a long message in three ways ([Method]): the UDH inside
// short_message with esm_class UDHI (0x40); the sar_* TLVs, letting the SMSC
// build the UDH; or the whole text in one message_payload TLV.
//
// # Which function to call
//
//   - To send: create a [Splitter] once (per goroutine) with [Options] — the
//     carriage method, a [RefSource] for reference numbers, the allowed
//     encodings — and call [Splitter.Split] for each text. Each [Segment] says
//     what to put in short_message (or message_payload), whether to set UDHI,
//     the data_coding and the sar_* values. The Splitter reuses its buffers,
//     so splitting does not allocate once it has warmed up.
//   - To receive: feed every deliver_sm to a [Reassembler] with
//     [Reassembler.Add]; it returns the [Assembled] message when the last part
//     arrives, whichever way it was carried. Call [Reassembler.Expire] from a
//     ticker to get the messages whose parts never all arrived.
//   - To read or write a UDH directly: [Parse], [Header] and its accessors
//     ([Header.Concat], [Header.Ports], [Header.Tables]).
package udh
