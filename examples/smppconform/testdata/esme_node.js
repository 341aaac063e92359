// esme_node.js: an ordinary ESME on node-smpp (npm smpp 0.5.1) for the
// smppconform ESME cases. It binds as a transceiver to host:port with the
// given credentials, answers enquire_link, deliver_sm, data_sm and unbind
// as node-smpp's README shows, and unknown commands with pdu.response()
// (generic_nack ESME_RINVCMDID), which node-smpp also leaves to the
// application; it reconnects 500 ms after a lost connection,
// resubmits a throttled message after 1 s, and submits what each line of
// stdin asks for: submit, long, unicode, burst.
//
// With --profile it prints its profile, one JSON line, and exits: what this
// ESME declares to the conformance run (the capabilities beyond the core,
// its window, and the cases after which it cannot go on without a restart).
//
// usage: node esme_node.js host port system_id password
//        node esme_node.js --profile
// NODE_PATH must hold the smpp package.
const smpp = require('smpp');
const readline = require('readline');
const [host, port, systemId, password] = process.argv.slice(2);

const profile = {
  profile: {
    // data_sm from the SMSC is answered below.
    capabilities: ['data_sm'],
    // node-smpp sends every request at once: it keeps no window.
    window: 0,
    // It reconnects after every kind of drop (see connect), so one process
    // serves the whole run.
    alone: [],
  },
};
if (host === '--profile') {
  console.log(JSON.stringify(profile));
  process.exit(0);
}

let session = null;
let bound = false;

function connect() {
  const s = smpp.connect({ url: `smpp://${host}:${port}`, auto_enquire_link_period: 0 }, () => {
    s.bind_transceiver({ system_id: systemId, password: password }, (pdu) => {
      bound = pdu.command_status === 0;
    });
  });
  s.on('enquire_link', (pdu) => s.send(pdu.response()));
  s.on('deliver_sm', (pdu) => s.send(pdu.response()));
  s.on('data_sm', (pdu) => s.send(pdu.response()));
  // A command_id node-smpp does not know surfaces as 'unknown'; its
  // response() is generic_nack ESME_RINVCMDID.
  s.on('unknown', (pdu) => s.send(pdu.response()));
  s.on('unbind', (pdu) => { s.send(pdu.response()); s.close(); });
  // node-smpp emits 'error' for a PDU it cannot parse and then reads nothing
  // more on that connection (it does not even see the peer's close): the
  // application drops the connection, which node-smpp leaves to it.
  s.on('error', () => { s.destroy(); });
  s.on('close', () => { bound = false; if (session === s) { session = null; } setTimeout(connect, 500); });
  session = s;
}

function submit(fields) {
  const s = session;
  if (!s || !bound) { setTimeout(() => submit(fields), 200); return; }
  const msg = Object.assign({ source_addr: '1000', destination_addr: '254700000001' }, fields);
  s.submit_sm(msg, (pdu) => {
    if (pdu.command_status === smpp.ESME_RTHROTTLED) { setTimeout(() => submit(fields), 1000); }
  });
}

readline.createInterface({ input: process.stdin }).on('line', (kind) => {
  switch (kind.trim()) {
    case 'submit': submit({ short_message: 'Hello from node-smpp' }); break;
    case 'unicode': submit({ short_message: 'Привет, мир' }); break;
    // node-smpp does not split a long text, and its encoder throws on a
    // short_message over 255 octets (sm_length is one octet): its README
    // offers message_payload for that.
    case 'long': submit({ message_payload: 'A long text that no single message can hold. '.repeat(9) }); break;
    case 'burst': for (let i = 0; i < 20; i++) { submit({ short_message: 'burst message' }); } break;
  }
});
connect();
