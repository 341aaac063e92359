#!/usr/bin/env node
'use strict';
// esme.js: an ESME (SMPP client) on the third-party npm `smpp` 0.5.1 client, for driving
// an SMSC under test. It prints one JSON object per line on stdout and exits 0 when the
// whole scenario ran, 1 when it could not (bind refused, connection lost, timeout),
// 2 for bad options, 3 when node-smpp is not installed (scripts/install-test-deps.sh).
// Human-readable diagnostics go to stderr.
//
// Scenario: connect -> bind -> --enquire enquire_links -> --count submit_sm (at most
// --window outstanding) -> wait for --wait-receipts receipts and --wait-deliver other
// deliver_sm -> --query: query_sm for every accepted id -> --hold ms -> unbind -> close.
//
// Options (defaults in brackets):
//   --host [127.0.0.1] --port [2775] --tls (no certificate verification)
//   --system-id [test] --password [secret] --system-type []
//   --bind trx|tx|rx [trx]
//   --interface-version N   interface_version in the bind; unset = node-smpp's default 0x50
//   --count N               submit_sm to send [1; 0 for --bind rx]
//   --window W              outstanding submit_sm at most [1]
//   --text T                short_message text ["hello {i}"]; {i} becomes the 1-based index
//   --message-hex H         short_message as raw bytes instead of --text; H1,H2,... (comma-
//                           separated): submit i sends H((i-1) mod n), e.g. UDH segments
//   --data-coding N         data_coding; unset = node-smpp picks one itself (it labels GSM text 1)
//   --esm-class N [0]  --src A [1000]  --dst A [2000]
//   --registered-delivery   registered_delivery 1 (final receipt requested)
//   --wait-receipts N       receipts (deliver_sm with esm_class bit 0x04) to wait for [0]
//   --wait-deliver N        other deliver_sm (mobile originated) to wait for [0]
//   --query                 query_sm for every accepted message_id
//   --enquire N             enquire_link after the bind [1]
//   --hold MS               stay bound this long before the unbind [0]
//   --no-unbind             close the TCP connection without unbinding
//   --timeout S             the whole scenario must finish within S seconds [30]
//   --malformed             instead of the scenario: crafted raw PDUs, one fresh connection
//                           each (see --cases), and report what the server did
//   --cases a,b             malformed cases [len8,len_huge,unknown_command,submit_before_bind]
//   --malformed-wait MS     how long to watch each malformed connection [2000]
//
// Events (field "event"; every line also has "impl":"node" and "ms" since start):
//   connected {tls}
//   bound {bind, status, system_id, sc_interface_version}   bind_failed {bind, status}
//   enquire_link_resp {seq, status}
//   submit_resp {index, seq, status, message_id}
//   deliver_sm {seq, is_receipt, esm_class, data_coding, source_addr, destination_addr,
//               short_message (node-smpp's text or null), short_message_hex, receipt
//               ({id, sub, dlvrd, submit_date, done_date, stat, err, text} or null),
//               receipted_message_id, message_state, tlvs [{tag, name, hex}]}
//   enquire_link {seq} (sent by the server, answered)   unbind_received {seq}
//   generic_nack {seq, status}
//   query_resp {message_id, seq, status, message_state, final_date, error_code}
//   unbound {status}   closed {}
//   done {submitted, accepted, rejected, receipts, delivers}
//   malformed {case, sent_hex, bind_status, replies [{command, command_id, command_status,
//              sequence_number}], closed, closed_ms}
//   error {message}   (then exit 1)
const net = require('net');
const tls = require('tls');
const L = require('./lib.js');
const smpp = L.smpp;

const opt = L.parseArgs(process.argv.slice(2), {
  host: '127.0.0.1', port: '2775', system_id: 'test', password: 'secret', system_type: '',
  bind: 'trx', interface_version: '', count: '', window: '1', text: 'hello {i}', message_hex: '',
  data_coding: '', esm_class: '0', src: '1000', dst: '2000', wait_receipts: '0', wait_deliver: '0',
  enquire: '1', hold: '0', timeout: '30', cases: 'len8,len_huge,unknown_command,submit_before_bind',
  malformed_wait: '2000',
}, ['tls', 'registered_delivery', 'query', 'no_unbind', 'malformed']);

const BIND = { trx: 'bind_transceiver', tx: 'bind_transmitter', rx: 'bind_receiver' };
if (!BIND[opt.bind]) L.usage(`--bind must be trx, tx or rx, got ${opt.bind}`);
const port = L.num(opt.port, 'port');
const count = opt.count === '' ? (opt.bind === 'rx' ? 0 : 1) : L.num(opt.count, 'count');
const windowSize = Math.max(1, L.num(opt.window, 'window'));
const waitReceipts = L.num(opt.wait_receipts, 'wait_receipts');
const waitDeliver = L.num(opt.wait_deliver, 'wait_deliver');

function emit(event, fields) { L.emit(event, Object.assign({ impl: 'node' }, fields)); }

let finished = false;
let stage = 'connect';
function fail(message) {
  if (finished) return;
  finished = true;
  emit('error', { message });
  process.stderr.write(`esme.js: ${message}\n`);
  process.exit(1);
}
const timer = setTimeout(() => fail(`timeout after ${opt.timeout}s during ${stage}`), L.num(opt.timeout, 'timeout') * 1000);

// ------------------------------------------------------------------ the scenario

function runScenario() {
  return new Promise((resolve, reject) => {
    const session = smpp.connect({ host: opt.host, port, tls: !!opt.tls, rejectUnauthorized: false });
    const receipts = [];
    const delivers = [];
    let waiter = null;
    let closing = false;

    session.on('error', (e) => reject(new Error(`${stage}: ${e.message}`)));
    session.on('close', () => {
      emit('closed', {});
      if (!closing) reject(new Error(`connection closed by the server during ${stage}`));
    });
    session.on('pdu', (pdu) => {
      if (pdu.isResponse()) return; // matched to its request by node-smpp
      switch (pdu.command) {
        case 'enquire_link':
          emit('enquire_link', { seq: pdu.sequence_number });
          session.send(pdu.response());
          break;
        case 'deliver_sm': {
          session.send(pdu.response({ message_id: '' }));
          const ev = deliverEvent(pdu);
          emit('deliver_sm', ev);
          (ev.is_receipt ? receipts : delivers).push(ev);
          if (waiter) waiter();
          break;
        }
        case 'data_sm':
          session.send(pdu.response({ message_id: '' }));
          emit('data_sm', Object.assign({ seq: pdu.sequence_number }, pdu.raw ? L.smFields(pdu.raw) : {}));
          break;
        case 'unbind':
          emit('unbind_received', { seq: pdu.sequence_number });
          closing = true;
          session.send(pdu.response());
          break;
        case 'generic_nack':
          emit('generic_nack', { seq: pdu.sequence_number, status: pdu.command_status });
          break;
        default:
          // Anything else an SMSC should not send to an ESME: generic_nack ESME_RINVCMDID.
          session.send(new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number, command_status: smpp.ESME_RINVCMDID }));
      }
    });

    function request(command, fields) {
      return new Promise((res) => { session[command](fields || {}, res); });
    }

    session.on(opt.tls ? 'secureConnect' : 'connect', async () => {
      try {
        emit('connected', { tls: !!opt.tls });
        stage = 'bind';
        const bf = { system_id: opt.system_id, password: opt.password, system_type: opt.system_type };
        if (opt.interface_version !== '') bf.interface_version = L.num(opt.interface_version, 'interface_version');
        const br = await request(BIND[opt.bind], bf);
        if (br.command_status !== 0) {
          emit('bind_failed', { bind: opt.bind, status: br.command_status });
          closing = true;
          session.close();
          return reject(new Error(`bind refused with status 0x${br.command_status.toString(16)}`));
        }
        emit('bound', {
          bind: opt.bind, status: 0, system_id: br.system_id === undefined ? null : br.system_id,
          sc_interface_version: br.sc_interface_version === undefined ? null : br.sc_interface_version,
        });

        stage = 'enquire_link';
        for (let i = 0; i < L.num(opt.enquire, 'enquire'); i++) {
          const r = await request('enquire_link');
          emit('enquire_link_resp', { seq: r.sequence_number, status: r.command_status });
        }

        stage = 'submit_sm';
        const accepted = await submitAll(request);

        stage = 'waiting for deliver_sm';
        await new Promise((res) => {
          const check = () => { if (receipts.length >= waitReceipts && delivers.length >= waitDeliver) { waiter = null; res(); } };
          waiter = check;
          check();
        });

        if (opt.query) {
          stage = 'query_sm';
          for (const id of accepted) {
            const r = await request('query_sm', { message_id: id, source_addr: opt.src });
            emit('query_resp', {
              message_id: id, seq: r.sequence_number, status: r.command_status,
              message_state: r.message_state === undefined ? null : r.message_state,
              final_date: r.final_date === undefined ? null : String(r.final_date),
              error_code: r.error_code === undefined ? null : r.error_code,
            });
          }
        }

        const hold = L.num(opt.hold, 'hold');
        if (hold > 0) { stage = 'hold'; await new Promise((res) => setTimeout(res, hold)); }

        stage = 'unbind';
        closing = true;
        if (!opt.no_unbind) {
          const r = await request('unbind');
          emit('unbound', { status: r.command_status });
        }
        session.destroy();
        emit('done', { submitted: count, accepted: accepted.length, rejected: count - accepted.length, receipts: receipts.length, delivers: delivers.length });
        clearTimeout(timer);
        resolve();
      } catch (e) {
        reject(e);
      }
    });
  });
}

function submitFields(i) {
  const f = { source_addr: opt.src, destination_addr: opt.dst, esm_class: L.num(opt.esm_class, 'esm_class'), registered_delivery: opt.registered_delivery ? 1 : 0 };
  if (opt.data_coding !== '') f.data_coding = L.num(opt.data_coding, 'data_coding');
  const hexes = opt.message_hex ? opt.message_hex.split(',') : [];
  f.short_message = hexes.length ? Buffer.from(hexes[i % hexes.length], 'hex') : opt.text.replace(/\{i\}/g, String(i + 1));
  return f;
}

// submitAll sends `count` submit_sm with at most `windowSize` outstanding and resolves with
// the accepted message ids in the order of the responses.
function submitAll(request) {
  return new Promise((resolve) => {
    const accepted = [];
    let next = 0, outstanding = 0, answered = 0;
    if (count === 0) return resolve(accepted);
    const pump = () => {
      while (outstanding < windowSize && next < count) {
        const i = next++;
        outstanding++;
        request('submit_sm', submitFields(i)).then((r) => {
          outstanding--;
          answered++;
          const id = r.message_id === undefined ? null : r.message_id;
          emit('submit_resp', { index: i, seq: r.sequence_number, status: r.command_status, message_id: id });
          if (r.command_status === 0) accepted.push(id);
          if (answered === count) resolve(accepted); else pump();
        });
      }
    };
    pump();
  });
}

function deliverEvent(pdu) {
  const f = pdu.raw ? L.smFields(pdu.raw) : {};
  const esm = f.esm_class === undefined ? pdu.esm_class : f.esm_class;
  const isReceipt = ((esm || 0) & 0x3c) === 0x04;
  let bytes = f.short_message_hex ? Buffer.from(f.short_message_hex, 'hex') : Buffer.alloc(0);
  if (!bytes.length && f.message_payload_hex) bytes = Buffer.from(f.message_payload_hex, 'hex');
  return {
    seq: pdu.sequence_number, is_receipt: isReceipt, esm_class: esm, data_coding: f.data_coding,
    source_addr: f.source_addr, destination_addr: f.destination_addr,
    short_message: L.textOf(pdu), short_message_hex: f.short_message_hex || '',
    receipt: isReceipt ? L.parseReceipt(bytes.toString('latin1')) : null,
    receipted_message_id: f.receipted_message_id === undefined ? null : f.receipted_message_id,
    message_state: f.message_state === undefined ? null : f.message_state,
    tlvs: f.tlvs || [], body_error: f.body_error,
  };
}

// ------------------------------------------------------------------ malformed input

// One raw connection: bytes out, PDUs in (framed by command_length, decoded by header only).
function rawConnect() {
  return new Promise((resolve, reject) => {
    const c = { replies: [], closed: false, closedAt: 0, wake: null, buf: Buffer.alloc(0) };
    const onConnect = () => { sock.removeListener('error', reject); resolve(c); };
    const sock = opt.tls
      ? tls.connect({ host: opt.host, port, rejectUnauthorized: false }, onConnect)
      : net.connect({ host: opt.host, port }, onConnect);
    c.sock = sock;
    sock.once('error', reject);
    sock.on('error', () => {});
    sock.on('data', (d) => {
      c.buf = Buffer.concat([c.buf, d]);
      while (c.buf.length >= 16) {
        const len = c.buf.readUInt32BE(0);
        if (len < 16 || len > 1 << 16) { c.replies.push({ command: 'garbage', hex: c.buf.toString('hex') }); c.buf = Buffer.alloc(0); break; }
        if (c.buf.length < len) break;
        const h = L.header(c.buf.subarray(0, len));
        delete h.command_length;
        c.replies.push(h);
        c.buf = c.buf.subarray(len);
      }
      if (c.wake) c.wake();
    });
    sock.on('close', () => { c.closed = true; c.closedAt = Date.now(); if (c.wake) c.wake(); });
  });
}

// waitFor resolves when pred() holds, the connection closed, or ms passed.
function waitFor(c, pred, ms) {
  return new Promise((resolve) => {
    const t = setTimeout(done, ms);
    function done() { clearTimeout(t); c.wake = null; resolve(); }
    c.wake = () => { if (c.closed || pred()) done(); };
    c.wake();
  });
}

const CASES = {
  // command_length 8: below the 16-byte header.
  len8: { bytes: () => L.rawPdu(0x00000015, 0, 1, null, 8) },
  // command_length 2^31: a server must refuse it before allocating anything.
  len_huge: { bytes: () => L.rawPdu(0x00000015, 0, 2, null, 0x80000000) },
  // command_id 0x000000aa after a good bind: generic_nack ESME_RINVCMDID expected.
  unknown_command: { bind: true, bytes: () => L.rawPdu(0x000000aa, 0, 3) },
  // submit_sm on an open, unbound connection: ESME_RINVBNDSTS expected.
  submit_before_bind: {
    bytes: () => L.encodePdu('submit_sm', { source_addr: opt.src, destination_addr: opt.dst, data_coding: 0, short_message: Buffer.from('early') }, 4),
  },
};

async function runMalformed() {
  const wait = L.num(opt.malformed_wait, 'malformed_wait');
  for (const name of opt.cases.split(',').filter(Boolean)) {
    const tc = CASES[name];
    if (!tc) L.usage(`unknown malformed case ${name}`);
    stage = `malformed ${name}`;
    const c = await rawConnect();
    let bindStatus = null;
    if (tc.bind) {
      const bf = { system_id: opt.system_id, password: opt.password, system_type: opt.system_type, interface_version: 0x34 };
      c.sock.write(L.encodePdu(BIND[opt.bind], bf, 1));
      await waitFor(c, () => c.replies.length > 0, wait);
      const r = c.replies.shift();
      bindStatus = r ? r.command_status : null;
    }
    const bytes = tc.bytes();
    const sentAt = Date.now();
    c.sock.write(bytes);
    // framing cases: watch until the server closes; the others: until it answers
    const framing = name === 'len8' || name === 'len_huge';
    await waitFor(c, () => !framing && c.replies.length > 0, wait);
    emit('malformed', {
      case: name, sent_hex: bytes.toString('hex'), bind_status: bindStatus, replies: c.replies,
      closed: c.closed, closed_ms: c.closed ? c.closedAt - sentAt : null,
    });
    c.sock.destroy();
  }
  clearTimeout(timer);
}

// ------------------------------------------------------------------ main

if (opt.malformed) {
  runMalformed().then(() => { finished = true; process.exit(0); }, (e) => fail(e.message));
} else {
  runScenario().then(() => { finished = true; process.exit(0); }, (e) => fail(e.message));
}
