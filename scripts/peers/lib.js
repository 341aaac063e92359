'use strict';
// Helpers shared by esme.js and smsc.js.
//
// The SMPP encoding and decoding is done by the third-party npm package `smpp`
// (node-smpp 0.5.1), installed into ./node_modules by scripts/install-test-deps.sh.
// This file adds only what the test drivers need around it: option parsing, JSON-lines
// output, raw bytes of every received PDU, a plain walk over submit_sm / deliver_sm /
// data_sm bodies (so tests see the exact short_message bytes and TLVs in wire order),
// the Appendix B receipt text, and raw PDUs for malformed-input tests.
const path = require('path');

const SMPP_VERSION = '0.5.1';

function loadSmpp() {
  const dir = path.join(__dirname, 'node_modules', 'smpp');
  try {
    const mod = require(dir);
    const v = require(path.join(dir, 'package.json')).version;
    if (v !== SMPP_VERSION) {
      process.stderr.write(`${dir} is smpp ${v}, expected ${SMPP_VERSION}: run scripts/install-test-deps.sh\n`);
      process.exit(3);
    }
    return mod;
  } catch (e) {
    if (e.code !== 'MODULE_NOT_FOUND') throw e;
    process.stderr.write(`npm smpp@${SMPP_VERSION} is not installed in ${dir}: run scripts/install-test-deps.sh\n`);
    process.exit(3);
  }
}
const smpp = loadSmpp();

// Keep the raw bytes of every PDU node-smpp reads from a socket (as a non-enumerable
// `raw` property), and refuse a command_length below 16 instead of letting the decoder
// read past the buffer. node-smpp itself throws for command_length > 16384.
smpp.PDU.fromStream = function fromStream(stream, commandLength) {
  if (commandLength < 16) {
    const e = new Error(`command_length ${commandLength} is below 16`);
    e.command_length = commandLength;
    throw e;
  }
  const rest = stream.read(commandLength - 4);
  if (!rest) return false;
  const head = Buffer.alloc(4);
  head.writeUInt32BE(commandLength, 0);
  const raw = Buffer.concat([head, rest]);
  const pdu = new smpp.PDU(raw);
  Object.defineProperty(pdu, 'raw', { value: raw, enumerable: false });
  return pdu;
};

// ------------------------------------------------------------------ options

// parseArgs(argv, defaults, booleans): --name value, --name=value, --flag.
// Names map to keys with '-' replaced by '_'. Unknown options are an error.
function parseArgs(argv, defaults, booleans) {
  const out = Object.assign({}, defaults);
  const flags = new Set(booleans || []);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) usage(`unexpected argument ${a}`);
    let name = a.slice(2);
    let val;
    const eq = name.indexOf('=');
    if (eq >= 0) { val = name.slice(eq + 1); name = name.slice(0, eq); }
    const key = name.replace(/-/g, '_');
    if (flags.has(key)) {
      out[key] = val === undefined ? true : !/^(0|false|no|off)$/i.test(val);
      continue;
    }
    if (!(key in out)) usage(`unknown option --${name}`);
    if (val === undefined) {
      if (i + 1 >= argv.length) usage(`--${name} needs a value`);
      val = argv[++i];
    }
    out[key] = val;
  }
  return out;
}

function usage(msg) {
  process.stderr.write(`${path.basename(process.argv[1])}: ${msg} (see the header of the script)\n`);
  process.exit(2);
}

function num(v, name) {
  const n = Number(v);
  if (!Number.isFinite(n)) usage(`--${name.replace(/_/g, '-')} must be a number, got ${v}`);
  return n;
}

// ------------------------------------------------------------------ output

const started = Date.now();
// emit writes one JSON object per line to stdout; `ms` is the time since start.
function emit(event, fields) {
  const o = Object.assign({ event }, fields || {});
  o.ms = Date.now() - started;
  process.stdout.write(JSON.stringify(o) + '\n');
}

// ------------------------------------------------------------------ raw PDUs

function rawPdu(commandId, status, seq, body, lengthField) {
  const b = body || Buffer.alloc(0);
  const h = Buffer.alloc(16);
  h.writeUInt32BE((lengthField === undefined ? 16 + b.length : lengthField) >>> 0, 0);
  h.writeUInt32BE(commandId >>> 0, 4);
  h.writeUInt32BE(status >>> 0, 8);
  h.writeUInt32BE(seq >>> 0, 12);
  return Buffer.concat([h, b]);
}

function encodePdu(command, fields, seq) {
  const p = new smpp.PDU(command, Object.assign({}, fields, { sequence_number: seq }));
  return p.toBuffer();
}

function commandName(id) {
  const c = smpp.commandsById[id >>> 0];
  return c ? c.command : 'unknown';
}

// header(buf) -> {command, command_id, command_status, sequence_number}
function header(buf) {
  return {
    command_length: buf.readUInt32BE(0),
    command: commandName(buf.readUInt32BE(4)),
    command_id: buf.readUInt32BE(4),
    command_status: buf.readUInt32BE(8),
    sequence_number: buf.readUInt32BE(12),
  };
}

// ------------------------------------------------------------------ bodies

const TLV_NAMES = {
  0x0005: 'dest_addr_subunit', 0x000d: 'source_addr_subunit', 0x001e: 'receipted_message_id',
  0x0204: 'user_message_reference', 0x020a: 'source_port', 0x020b: 'destination_port',
  0x020c: 'sar_msg_ref_num', 0x020e: 'sar_total_segments', 0x020f: 'sar_segment_seqnum',
  0x0424: 'message_payload', 0x0423: 'network_error_code', 0x0427: 'message_state',
  0x0302: 'more_messages_to_send', 0x0304: 'payload_type', 0x0210: 'sc_interface_version',
};

class Cursor {
  constructor(buf, off) { this.buf = buf; this.off = off; }
  u8() {
    if (this.off >= this.buf.length) throw new Error('body too short');
    return this.buf[this.off++];
  }
  cstr() {
    const end = this.buf.indexOf(0, this.off);
    if (end < 0) throw new Error('C-Octet string without NUL');
    const s = this.buf.toString('latin1', this.off, end);
    this.off = end + 1;
    return s;
  }
  bytes(n) {
    if (this.off + n > this.buf.length) throw new Error('field runs past the body');
    const b = this.buf.subarray(this.off, this.off + n);
    this.off += n;
    return b;
  }
}

// tlvs(buf, off) -> [{tag, name, hex}] in wire order
function tlvList(buf, off) {
  const out = [];
  while (off + 4 <= buf.length) {
    const tag = buf.readUInt16BE(off);
    const len = buf.readUInt16BE(off + 2);
    const v = buf.subarray(off + 4, Math.min(buf.length, off + 4 + len));
    out.push({ tag, name: TLV_NAMES[tag] || null, hex: v.toString('hex') });
    off += 4 + len;
  }
  return out;
}

function tlvFields(list) {
  const f = {};
  for (const t of list) {
    const v = Buffer.from(t.hex, 'hex');
    switch (t.name) {
      case 'sar_msg_ref_num': case 'source_port': case 'destination_port': case 'user_message_reference':
        if (v.length === 2) f[t.name] = v.readUInt16BE(0);
        break;
      case 'sar_total_segments': case 'sar_segment_seqnum': case 'message_state':
        if (v.length === 1) f[t.name] = v[0];
        break;
      case 'receipted_message_id':
        f.receipted_message_id = v.toString('latin1').replace(/\0+$/, '');
        break;
      case 'message_payload':
        f.message_payload_hex = t.hex;
        break;
      default:
    }
  }
  return f;
}

// smFields(raw) walks the body of a submit_sm, deliver_sm or data_sm as SMPP 3.4 lays it out.
// It returns the mandatory fields, short_message as hex, the TLVs in wire order, and the
// well-known TLVs decoded. On a malformed body it returns {body_error}.
function smFields(raw) {
  const h = header(raw);
  const c = new Cursor(raw.subarray(0, Math.min(raw.length, h.command_length)), 16);
  const f = {};
  try {
    f.service_type = c.cstr();
    f.source_addr_ton = c.u8(); f.source_addr_npi = c.u8(); f.source_addr = c.cstr();
    f.dest_addr_ton = c.u8(); f.dest_addr_npi = c.u8(); f.destination_addr = c.cstr();
    f.esm_class = c.u8();
    if (h.command === 'data_sm') {
      f.registered_delivery = c.u8();
      f.data_coding = c.u8();
    } else {
      f.protocol_id = c.u8(); f.priority_flag = c.u8();
      f.schedule_delivery_time = c.cstr(); f.validity_period = c.cstr();
      f.registered_delivery = c.u8(); f.replace_if_present_flag = c.u8();
      f.data_coding = c.u8(); f.sm_default_msg_id = c.u8();
      f.sm_length = c.u8();
      f.short_message_hex = c.bytes(f.sm_length).toString('hex');
    }
    f.tlvs = tlvList(c.buf, c.off);
    Object.assign(f, tlvFields(f.tlvs));
  } catch (e) {
    f.body_error = e.message;
  }
  return f;
}

// textOf(pdu) is node-smpp's own decoding of short_message (or message_payload) as a string,
// or null when it did not produce one. data_coding 0 is decoded as GSM 03.38 by node-smpp.
function textOf(pdu) {
  let sm = pdu.short_message;
  if ((!sm || (sm.message !== undefined && sm.message.length === 0)) && pdu.message_payload) sm = pdu.message_payload;
  if (sm && typeof sm === 'object' && !Buffer.isBuffer(sm)) sm = sm.message;
  return typeof sm === 'string' ? sm : null;
}

// ------------------------------------------------------------------ receipts (SMPP 3.4 Appendix B)

const RECEIPT = /^id:(\S*) sub:(\S*) dlvrd:(\S*) submit date:(\d{10,12}) done date:(\d{10,12}) stat:(\S+) err:(\S+)(?: [Tt]ext:([\s\S]*))?$/;

function parseReceipt(text) {
  const m = RECEIPT.exec(text || '');
  if (!m) return null;
  return { id: m[1], sub: m[2], dlvrd: m[3], submit_date: m[4], done_date: m[5], stat: m[6], err: m[7], text: m[8] === undefined ? '' : m[8] };
}

function smppDate(d) {
  const p = (n) => String(n).padStart(2, '0');
  return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes());
}

function formatReceipt(r) {
  return `id:${r.id} sub:001 dlvrd:${r.stat === 'DELIVRD' ? '001' : '000'} submit date:${smppDate(r.submitted)} ` +
    `done date:${smppDate(r.done)} stat:${r.stat} err:${r.err} text:${(r.text || '').slice(0, 20)}`;
}

const MESSAGE_STATE = { ENROUTE: 1, DELIVRD: 2, EXPIRED: 3, DELETED: 4, UNDELIV: 5, ACCEPTD: 6, UNKNOWN: 7, REJECTD: 8 };

module.exports = {
  smpp, SMPP_VERSION, parseArgs, num, usage, emit, rawPdu, encodePdu, commandName, header,
  smFields, tlvList, textOf, parseReceipt, formatReceipt, smppDate, MESSAGE_STATE,
};
