#!/usr/bin/env node
'use strict';
// smsc.js: a scriptable SMSC (SMPP server) on the third-party npm `smpp` 0.5.1 server, for
// testing an ESME client. It runs until SIGTERM/SIGINT and prints one JSON object per line
// on stdout; the first line is always {"event":"listening","port":N,...}. Exit status 2 is
// bad options, 3 is node-smpp not installed (run scripts/install-test-deps.sh).
//
// Options (defaults in brackets):
//   --host [127.0.0.1] --port [0 = a free port, printed in the listening event]
//   --system-id [test] --password [secret]   a bind with another system_id gets
//                           ESME_RINVSYSID (0x0f), another password ESME_RINVPASWD (0x0e)
//   --any-credentials       accept every system_id and password
//   --server-system-id [NODESMSC]            system_id in bind responses
//   --tls                   TLS listener; without --cert/--key a self-signed certificate
//                           for 127.0.0.1 is made with openssl in a temporary directory
//   --cert F --key F        PEM files for --tls
//   --dlr-delay MS [200]    receipt MS after a submit whose registered_delivery & 3 == 1
//                           (-1 = never; use the "dlr" control command instead)
//   --dlr-stat [DELIVRD] --dlr-err [000]    stat: and err: of receipts
//   --drop-after N [0]      close the connection right after answering its Nth submit
//   --drop-count M [1]      how many connections --drop-after applies to (0 = all)
//   --throttle-every K [0]  answer every Kth submit of a connection with ESME_RTHROTTLED (0x58)
//   --resp-delay MS [0]     delay every submit response
//   --enquire-interval MS [0]   send enquire_link on bound connections every MS
//   --id-format hex|dec [hex]   message_id style
//
// Control: JSON lines on stdin, each answered by a "control" event {cmd, ok, error?}:
//   {"cmd":"mo","from":"A","to":"B","text":"T"}   deliver_sm (esm_class 0, data_coding 0,
//        text as Latin-1; or "hex":"..", "data_coding":N, "esm_class":N) to the first
//        receiver/transceiver bind (or "conn":N)
//   {"cmd":"dlr","message_id":"ID","stat":"UNDELIV"}   send that message's receipt now
//   {"cmd":"enquire_link"}   enquire_link on every bound connection
//   {"cmd":"drop"}           close every connection at once
//
// Events (field "event"; every line also has "impl":"node" and "ms" since start):
//   listening {host, port, tls}
//   connect {conn, remote}   close {conn}
//   bound {conn, mode tx|rx|trx, system_id, interface_version}
//   bind_failed {conn, system_id, status}
//   submit_sm {conn, seq, command submit_sm|data_sm|submit_multi, service_type,
//              source_addr_ton, source_addr_npi, source_addr, dest_addr_ton, dest_addr_npi,
//              destination_addr, esm_class, protocol_id, priority_flag,
//              schedule_delivery_time, validity_period, registered_delivery, data_coding,
//              sm_length, short_message_hex, text (node-smpp's decoding or null),
//              tlvs [{tag, name, hex}], sar_msg_ref_num, sar_total_segments,
//              sar_segment_seqnum, message_payload_hex (the last four when present)}
//   submit_resp {conn, seq, status, message_id}
//   dlr_sent {conn, seq, message_id, stat, short_message}   dlr_no_receiver {message_id}
//   deliver_sm_resp {conn, seq, status}
//   enquire_link {conn, seq}   enquire_link_sent {conn, seq}   enquire_link_resp {conn, seq, status}
//   query_sm {conn, seq, message_id, status, message_state}
//   cancel_sm / replace_sm {conn, seq, message_id, status}
//   unbind {conn, seq}   bad_bind_state {conn, seq, command}
//   generic_nack_sent {conn, seq, status}   pdu {conn, command, command_id, seq, status}
//   framing_error {conn, error}   drop {conn, after_submits}   stopping {}
const fs = require('fs');
const os = require('os');
const path = require('path');
const readline = require('readline');
const { execFileSync } = require('child_process');
const L = require('./lib.js');
const smpp = L.smpp;

const opt = L.parseArgs(process.argv.slice(2), {
  host: '127.0.0.1', port: '0', system_id: 'test', password: 'secret', server_system_id: 'NODESMSC',
  cert: '', key: '', dlr_delay: '200', dlr_stat: 'DELIVRD', dlr_err: '000', drop_after: '0', drop_count: '1',
  throttle_every: '0', resp_delay: '0', enquire_interval: '0', id_format: 'hex',
}, ['tls', 'any_credentials']);
const n = (k) => L.num(opt[k], k);
if (!['hex', 'dec'].includes(opt.id_format)) L.usage('--id-format must be hex or dec');
if (!(opt.dlr_stat in L.MESSAGE_STATE)) L.usage(`--dlr-stat ${opt.dlr_stat} is not a message state`);

function emit(event, fields) { L.emit(event, Object.assign({ impl: 'node' }, fields)); }

const MODE = { bind_transmitter: 'tx', bind_receiver: 'rx', bind_transceiver: 'trx' };
const TX_ONLY = new Set(['submit_sm', 'data_sm', 'submit_multi', 'query_sm', 'cancel_sm', 'replace_sm']);

const messages = new Map(); // message_id -> {id, conn session, src, dst, text, submitted, state, timer}
let lastId = 0;
let connections = 0;
let drops = 0;

function newMessageId() {
  lastId++;
  return opt.id_format === 'dec' ? String(700000 + lastId) : (0x5a000000 + lastId).toString(16);
}

// ------------------------------------------------------------------ receipts

function receiverFor(msg) {
  const own = msg.session;
  if ((own.mode === 'rx' || own.mode === 'trx') && own.socket.writable) return own;
  return server.sessions.find((s) => s.system_id === own.system_id && (s.mode === 'rx' || s.mode === 'trx') && s.socket.writable) || null;
}

function sendReceipt(msg, stat, attempt) {
  const target = receiverFor(msg);
  if (!target) {
    // the ESME may be reconnecting: try again for about 10 s
    if ((attempt || 0) < 20) { msg.timer = setTimeout(() => sendReceipt(msg, stat, (attempt || 0) + 1), 500); return true; }
    emit('dlr_no_receiver', { message_id: msg.id });
    return false;
  }
  msg.state = L.MESSAGE_STATE[stat];
  const text = L.formatReceipt({ id: msg.id, stat, err: opt.dlr_err, text: msg.text, submitted: msg.submitted, done: new Date() });
  const pdu = new smpp.PDU('deliver_sm', {
    source_addr_ton: msg.dst_ton, source_addr_npi: msg.dst_npi, source_addr: msg.dst,
    dest_addr_ton: msg.src_ton, dest_addr_npi: msg.src_npi, destination_addr: msg.src,
    esm_class: 0x04, data_coding: 0, short_message: Buffer.from(text, 'latin1'),
    receipted_message_id: msg.id, message_state: msg.state,
  });
  target.send(pdu, (resp) => emit('deliver_sm_resp', { conn: target.id, seq: resp.sequence_number, status: resp.command_status }));
  emit('dlr_sent', { conn: target.id, seq: pdu.sequence_number, message_id: msg.id, stat, short_message: text });
  return true;
}

// ------------------------------------------------------------------ requests

function onSubmit(session, pdu) {
  const f = pdu.raw && pdu.command !== 'submit_multi' ? L.smFields(pdu.raw) : {};
  emit('submit_sm', Object.assign({ conn: session.id, seq: pdu.sequence_number, command: pdu.command }, f, { text: L.textOf(pdu) }));
  session.submits++;
  const nth = session.submits;
  const dropHere = n('drop_after') > 0 && nth === n('drop_after') && (n('drop_count') === 0 || drops < n('drop_count'));
  if (dropHere) session.pause(); // nothing after this submit is read or answered

  let resp;
  const k = n('throttle_every');
  if (k > 0 && nth % k === 0) {
    resp = pdu.response({ command_status: smpp.ESME_RTHROTTLED });
  } else {
    const id = newMessageId();
    const raw = f.short_message_hex ? Buffer.from(f.short_message_hex, 'hex') : Buffer.alloc(0);
    const printable = /^[\x20-\x7e]*$/.test(raw.toString('latin1')) ? raw.toString('latin1') : '';
    const multi = pdu.command === 'submit_multi';
    const firstDest = multi ? ((pdu.dest_address || [])[0] || {}) : pdu;
    const msg = {
      id, session, submitted: new Date(), state: L.MESSAGE_STATE.ENROUTE, text: printable,
      src: pdu.source_addr || '', src_ton: pdu.source_addr_ton || 0, src_npi: pdu.source_addr_npi || 0,
      dst: firstDest.destination_addr || '', dst_ton: firstDest.dest_addr_ton || 0, dst_npi: firstDest.dest_addr_npi || 0,
    };
    messages.set(id, msg);
    resp = pdu.response(multi ? { message_id: id, unsuccess_sme: [] } : { message_id: id });
    const delay = n('dlr_delay');
    if (((pdu.registered_delivery || 0) & 0x03) === 1 && delay >= 0) {
      msg.timer = setTimeout(() => sendReceipt(msg, opt.dlr_stat), delay);
    }
  }
  const answer = () => session.send(resp, () => {
    emit('submit_resp', { conn: session.id, seq: resp.sequence_number, status: resp.command_status, message_id: resp.message_id === undefined ? null : resp.message_id });
    if (dropHere) {
      drops++;
      emit('drop', { conn: session.id, after_submits: nth });
      session.destroy();
    }
  });
  if (n('resp_delay') > 0) setTimeout(answer, n('resp_delay')); else answer();
}

function onRequest(session, pdu) {
  const cmd = pdu.command;
  const seq = pdu.sequence_number;
  if (cmd === 'unknown') {
    emit('generic_nack_sent', { conn: session.id, seq, status: smpp.ESME_RINVCMDID, command_id: pdu.command_id });
    return session.send(pdu.response());
  }
  if (MODE[cmd]) {
    if (session.mode !== 'open') return session.send(pdu.response({ command_status: smpp.ESME_RALYBND }));
    let status = 0;
    if (!opt.any_credentials) {
      if (pdu.system_id !== opt.system_id) status = smpp.ESME_RINVSYSID;
      else if (pdu.password !== opt.password) status = smpp.ESME_RINVPASWD;
    }
    if (status) {
      emit('bind_failed', { conn: session.id, system_id: pdu.system_id, status });
      return session.send(pdu.response({ command_status: status }));
    }
    session.mode = MODE[cmd];
    session.system_id = pdu.system_id;
    emit('bound', { conn: session.id, mode: session.mode, system_id: pdu.system_id, interface_version: pdu.interface_version });
    return session.send(pdu.response({ system_id: opt.server_system_id, sc_interface_version: 0x34 }));
  }
  switch (cmd) {
    case 'enquire_link':
      emit('enquire_link', { conn: session.id, seq });
      return session.send(pdu.response());
    case 'unbind':
      emit('unbind', { conn: session.id, seq });
      session.mode = 'unbound';
      return session.send(pdu.response(), () => setTimeout(() => session.close(), 50));
    case 'generic_nack':
      return emit('pdu', { conn: session.id, command: cmd, command_id: pdu.command_id, seq, status: pdu.command_status });
    default:
  }
  if (TX_ONLY.has(cmd) && session.mode !== 'tx' && session.mode !== 'trx') {
    emit('bad_bind_state', { conn: session.id, seq, command: cmd });
    return session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
  }
  if (cmd === 'submit_sm' || cmd === 'data_sm' || cmd === 'submit_multi') return onSubmit(session, pdu);
  if (cmd === 'query_sm') {
    const m = messages.get(pdu.message_id);
    const status = m ? 0 : smpp.ESME_RQUERYFAIL;
    emit('query_sm', { conn: session.id, seq, message_id: pdu.message_id, status, message_state: m ? m.state : null });
    if (!m) return session.send(pdu.response({ command_status: status }));
    return session.send(pdu.response({ message_id: m.id, final_date: '', message_state: m.state, error_code: 0 }));
  }
  if (cmd === 'cancel_sm' || cmd === 'replace_sm') {
    const m = messages.get(pdu.message_id);
    const ok = m && m.state === L.MESSAGE_STATE.ENROUTE;
    const status = ok ? 0 : (cmd === 'cancel_sm' ? smpp.ESME_RCANCELFAIL : smpp.ESME_RREPLACEFAIL);
    if (ok && cmd === 'cancel_sm') { m.state = L.MESSAGE_STATE.DELETED; clearTimeout(m.timer); }
    emit(cmd, { conn: session.id, seq, message_id: pdu.message_id, status });
    return session.send(pdu.response({ command_status: status }));
  }
  // deliver_sm, alert_notification, outbind, broadcast_sm...: not for an SMSC to receive
  emit('generic_nack_sent', { conn: session.id, seq, status: smpp.ESME_RINVCMDID, command_id: pdu.command_id });
  return session.send(new smpp.PDU('generic_nack', { sequence_number: seq, command_status: smpp.ESME_RINVCMDID }));
}

function onSession(session) {
  session.id = ++connections;
  session.mode = 'open';
  session.submits = 0;
  const sock = session.socket;
  emit('connect', { conn: session.id, remote: `${sock.remoteAddress}:${sock.remotePort}` });
  session.on('pdu', (pdu) => {
    if (pdu.isResponse()) {
      if (pdu.command !== 'deliver_sm_resp' && pdu.command !== 'enquire_link_resp') {
        emit('pdu', { conn: session.id, command: pdu.command, command_id: pdu.command_id, seq: pdu.sequence_number, status: pdu.command_status });
      }
      return; // matched to its request by node-smpp
    }
    try { onRequest(session, pdu); } catch (e) { emit('pdu', { conn: session.id, command: pdu.command, handler_error: e.message }); }
  });
  session.on('error', (e) => {
    // node-smpp's reader throws for command_length > 16384 and stays stuck; lib.js adds < 16.
    emit('framing_error', { conn: session.id, error: e.message });
    if (!sock.writable) return sock.destroy();
    emit('generic_nack_sent', { conn: session.id, seq: 0, status: smpp.ESME_RINVCMDLEN });
    sock.write(L.rawPdu(0x80000000, smpp.ESME_RINVCMDLEN, 0), () => sock.destroy());
  });
  session.on('close', () => {
    clearInterval(session.enquireTimer);
    emit('close', { conn: session.id });
  });
  if (n('enquire_interval') > 0) {
    session.enquireTimer = setInterval(() => sendEnquire(session), n('enquire_interval'));
  }
}

function sendEnquire(session) {
  if (session.mode === 'open' || session.mode === 'unbound' || !session.socket.writable) return false;
  const pdu = new smpp.PDU('enquire_link', {});
  session.send(pdu, (r) => emit('enquire_link_resp', { conn: session.id, seq: r.sequence_number, status: r.command_status }));
  emit('enquire_link_sent', { conn: session.id, seq: pdu.sequence_number });
  return true;
}

// ------------------------------------------------------------------ control on stdin

function control(line) {
  let c;
  try { c = JSON.parse(line); } catch (e) { return emit('control', { ok: false, error: `not JSON: ${line}` }); }
  const reply = (ok, error) => emit('control', Object.assign({ cmd: c.cmd, ok }, error ? { error } : {}));
  switch (c.cmd) {
    case 'mo': {
      const target = server.sessions.find((s) => (c.conn ? s.id === c.conn : true) && (s.mode === 'rx' || s.mode === 'trx') && s.socket.writable);
      if (!target) return reply(false, 'no receiver or transceiver bound');
      const sm = c.hex !== undefined ? Buffer.from(c.hex, 'hex') : Buffer.from(c.text || '', 'latin1');
      const pdu = new smpp.PDU('deliver_sm', {
        source_addr: c.from || '2000', destination_addr: c.to || '1000',
        esm_class: c.esm_class || 0, data_coding: c.data_coding || 0, short_message: sm,
      });
      target.send(pdu, (resp) => emit('deliver_sm_resp', { conn: target.id, seq: resp.sequence_number, status: resp.command_status }));
      return reply(true);
    }
    case 'dlr': {
      const m = messages.get(c.message_id);
      if (!m) return reply(false, `unknown message_id ${c.message_id}`);
      clearTimeout(m.timer);
      const stat = c.stat || opt.dlr_stat;
      if (!(stat in L.MESSAGE_STATE)) return reply(false, `unknown stat ${stat}`);
      return reply(sendReceipt(m, stat, 20));
    }
    case 'enquire_link':
      return reply(server.sessions.map(sendEnquire).some(Boolean));
    case 'drop':
      server.sessions.slice().forEach((s) => s.destroy());
      return reply(true);
    default:
      return reply(false, `unknown cmd ${c.cmd}`);
  }
}

// ------------------------------------------------------------------ start

let tmpDir = null;
function cleanup() {
  if (tmpDir) { fs.rmSync(tmpDir, { recursive: true, force: true }); tmpDir = null; }
}
process.on('exit', cleanup);

let tlsOptions = {};
if (opt.tls) {
  let cert = opt.cert;
  let key = opt.key;
  if (!cert || !key) {
    tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'smsc-js-tls-'));
    cert = path.join(tmpDir, 'cert.pem');
    key = path.join(tmpDir, 'key.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' });
  }
  tlsOptions = { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
}

const server = smpp.createServer(tlsOptions, onSession);
server.on('error', (e) => {
  process.stderr.write(`smsc.js: ${e.message}\n`);
  process.exit(1);
});
server.listen(n('port'), opt.host, () => {
  emit('listening', { host: opt.host, port: server.address().port, tls: !!opt.tls });
  readline.createInterface({ input: process.stdin }).on('line', (l) => { if (l.trim()) control(l); });
});

function stop() {
  emit('stopping', {});
  server.sessions.slice().forEach((s) => s.destroy());
  cleanup();
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
