// smsc_node.js: a plain SMSC application on node-smpp's server (npm smpp
// 0.5.1), written for the smppconform interop test
// (conform/smsc_thirdparty_test.go). It is what an ordinary application on
// the library does: it checks the bind's credentials, keeps the bind state,
// answers submit_sm with a new message_id, enquire_link and unbind, answers
// every other request with generic_nack ESME_RINVCMDID, and
// sends an Appendix B delivery receipt for registered_delivery 1 to a
// receiver or transceiver bind of the same system_id. It checks the fields of
// a submit_sm that node-smpp hands it decoded (flags, address and
// service_type lengths, times node-smpp could not decode), since node-smpp
// leaves that to the application; what node-smpp does not show it (sm_length,
// a time string's raw characters, how the body was framed) it cannot check.
//
//   node smsc_node.js SYSTEM_ID PASSWORD
//
// It listens on a free port of 127.0.0.1 and prints {"port":N} on stdout;
// it runs until stdin closes or it gets SIGTERM/SIGINT. node-smpp comes from
// NODE_PATH (the peers that scripts/install-test-deps.sh installs).
'use strict';
const smpp = require('smpp');

const [systemID, password] = process.argv.slice(2);
let nextID = 0x1000;
const handled = new Set(['bind_transmitter', 'bind_receiver', 'bind_transceiver', 'submit_sm', 'enquire_link', 'unbind']);
const sessions = new Set(); // bound sessions: {session, mode, systemID}

// check returns the command_status a submit_sm gets for the fields node-smpp
// decoded (SMPP 3.4 §5.2 field limits), or 0.
function check(pdu) {
  const bad = (d) => d instanceof Date && isNaN(d.getTime());
  if (pdu.priority_flag > 3) return smpp.ESME_RINVPRTFLG;
  if (pdu.registered_delivery & 0xE0) return smpp.ESME_RINVREGDLVFLG;
  if (pdu.replace_if_present_flag > 1) return 0x54; // ESME_RINVREPFLAG
  if ((pdu.service_type || '').length > 5) return smpp.ESME_RINVSERTYP;
  if ((pdu.source_addr || '').length > 20) return smpp.ESME_RINVSRCADR;
  if (!pdu.destination_addr || pdu.destination_addr.length > 20) return smpp.ESME_RINVDSTADR;
  if (bad(pdu.schedule_delivery_time)) return smpp.ESME_RINVSCHED;
  if (bad(pdu.validity_period)) return smpp.ESME_RINVEXPIRY;
  const sm = pdu.short_message;
  const smLen = !sm ? 0 : Buffer.isBuffer(sm) ? sm.length : (sm.message || '').length + (sm.udh ? 1 : 0);
  if (smLen > 0 && pdu.message_payload) return smpp.ESME_RINVMSGLEN;
  return 0;
}

// receiver returns a receiver or transceiver session bound with systemID.
function receiver(systemID) {
  for (const b of sessions) {
    if (b.systemID === systemID && (b.mode === 'rx' || b.mode === 'trx')) return b.session;
  }
  return null;
}

function stamp(d) {
  const p = (n) => String(n).padStart(2, '0');
  return p(d.getUTCFullYear() % 100) + p(d.getUTCMonth() + 1) + p(d.getUTCDate()) + p(d.getUTCHours()) + p(d.getUTCMinutes());
}

const server = smpp.createServer(function (session) {
  let mode = null; // null (open), 'tx', 'rx' or 'trx'
  const me = { session, mode: null, systemID: null };
  // Without a handler an 'error' (a socket reset, a PDU node-smpp cannot
  // parse) would end the whole process; an application closes that session.
  session.on('error', function () { session.close(); });
  session.on('close', function () { sessions.delete(me); });

  for (const [cmd, m] of [['bind_transmitter', 'tx'], ['bind_receiver', 'rx'], ['bind_transceiver', 'trx']]) {
    session.on(cmd, function (pdu) {
      if (mode) {
        session.send(pdu.response({ command_status: smpp.ESME_RALYBND }));
        return;
      }
      if (pdu.system_id !== systemID) {
        session.send(pdu.response({ command_status: smpp.ESME_RINVSYSID }));
        return;
      }
      if (pdu.password !== password) {
        session.send(pdu.response({ command_status: smpp.ESME_RINVPASWD }));
        return;
      }
      mode = me.mode = m;
      me.systemID = pdu.system_id;
      sessions.add(me);
      session.send(pdu.response({ system_id: 'NODESMSC' }));
    });
  }

  session.on('submit_sm', function (pdu) {
    if (mode !== 'tx' && mode !== 'trx') {
      session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
      return;
    }
    const status = check(pdu);
    if (status) {
      session.send(pdu.response({ command_status: status }));
      return;
    }
    const id = (nextID++).toString(16);
    session.send(pdu.response({ message_id: id }));
    if ((pdu.registered_delivery & 3) === 1) {
      const submitted = new Date();
      setTimeout(function () {
        const rx = receiver(me.systemID);
        if (!rx) return;
        const text = pdu.short_message && pdu.short_message.message ? String(pdu.short_message.message).slice(0, 20) : '';
        rx.deliver_sm({
          source_addr_ton: pdu.dest_addr_ton, source_addr_npi: pdu.dest_addr_npi, source_addr: pdu.destination_addr,
          dest_addr_ton: pdu.source_addr_ton, dest_addr_npi: pdu.source_addr_npi, destination_addr: pdu.source_addr,
          esm_class: 0x04, data_coding: 0,
          short_message: 'id:' + id + ' sub:001 dlvrd:001 submit date:' + stamp(submitted) + ' done date:' + stamp(new Date()) +
            ' stat:DELIVRD err:000 text:' + text,
          receipted_message_id: id, message_state: 2,
        });
      }, 100);
    }
  });

  session.on('enquire_link', function (pdu) { session.send(pdu.response()); });
  session.on('unbind', function (pdu) {
    if (!mode) {
      session.send(pdu.response({ command_status: smpp.ESME_RINVBNDSTS }));
      return;
    }
    session.send(pdu.response());
    mode = me.mode = null;
    sessions.delete(me);
    session.close();
  });
  // Any other request (an unknown command_id, or one node-smpp knows but this
  // SMSC does not take: deliver_sm from an ESME, SMPP 5.0's broadcast_sm) gets
  // generic_nack ESME_RINVCMDID; a response nothing waits for is dropped.
  session.on('pdu', function (pdu) {
    if (handled.has(pdu.command) || pdu.command_id & 0x80000000) return;
    session.send(new smpp.PDU('generic_nack', { sequence_number: pdu.sequence_number, command_status: smpp.ESME_RINVCMDID }));
  });
});

server.listen(0, '127.0.0.1', function () {
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\n');
});
const stop = () => process.exit(0);
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdin.on('end', stop);
process.stdin.resume();
