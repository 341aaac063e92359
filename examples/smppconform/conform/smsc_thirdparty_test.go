//go:build interop

package conform_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/esmsafrica/smpp/examples/smppconform/conform"
	"github.com/esmsafrica/smpp/internal/peers"
)

// The SMSC cases against third-party servers: node-smpp 0.5.1's server and
// Perl Net::SMPP 1.19's, each under a plain application written for this test
// (testdata/smsc_node.js, testdata/smsc_perl.pl: credentials, bind state,
// submit_sm, enquire_link, unbind, generic_nack for unknown commands,
// receipts). The peers are installed by scripts/install-test-deps.sh.
//
// Each expected failure below was checked by hand against the spec notes
// (/work/shared/spec, the files CASES.md names); the test fails when a case
// fails that is not listed, or a listed one no longer fails, so that the
// published table (README.md, Results) is looked at again.

// thirdPartyProfile is what both applications implement.
var thirdPartyProfile = conform.Profile{"transceiver": true, "receipts": true}

// nodeSMPPFailures are node-smpp 0.5.1's deviations (its lib/pdu.js and
// lib/smpp.js decode the PDU before the application sees it).
var nodeSMPPFailures = map[string]string{
	// pdus §5.5: sm_length is 0–254. node-smpp reads sm_length 255 and its
	// octets without complaint and hands the application decoded text, not the
	// octet count, so nothing refuses it.
	"smsc.fields.4": "sm_length 255 accepted (pdus §5.5: 0–254)",
	// fields §8.1, §8.3: the 16th character of a time is '+', '-' or 'R',
	// a malformed value gets ESME_RINVSCHED. node-smpp turns
	// schedule_delivery_time into a Date from the first 13 characters and
	// applies nn only when p is '+' or '-': "...X" becomes a valid UTC date,
	// and the application never sees the string.
	"smsc.fields.12": "schedule_delivery_time with p='X' decoded as a valid date (fields §8.1)",
	// fields §11: command_length < 16 gets generic_nack ESME_RINVCMDLEN and
	// a close. node-smpp's PDU.commandLength returns 0, which its reader takes
	// for "no length read yet": it reads the next 4 octets as the length and
	// waits; no error reaches the application, nothing is answered or closed.
	"smsc.framing.2": "command_length 0 neither nacked nor closed: the reader takes 0 for 'nothing read' (fields §11)",
	// status §1: sm_length that disagrees with the remaining body is
	// ESME_RINVMSGLEN. node-smpp slices short_message to the octets left.
	"smsc.framing.9": "sm_length beyond the body accepted, short_message cut to what is left (status §1)",
	// pdus §1: a C-Octet String without its NULL is a malformed field.
	// node-smpp's cstring reader stops at the end of the buffer and returns
	// the field, so the bind is accepted.
	"smsc.framing.10": "a C-Octet String without NULL accepted (pdus §1)",
	// tlv §6 rule 5: a TLV length past command_length is
	// ESME_RINVOPTPARSTREAM. node-smpp slices the value to what is left.
	"smsc.tlv.6": "a TLV running past command_length accepted (tlv §6 rule 5)",
	// tlv §6 rule 5: fewer than 4 octets for a TLV header is a broken
	// stream. node-smpp's TLV loop (offset + 4 <= command_length) drops them.
	"smsc.tlv.7": "a 3-octet TLV area accepted (tlv §6 rule 5)",
	// tlv §6 rule 3: a fixed-size TLV of the wrong length is refused with
	// ESME_RINVPARLEN or ignored. node-smpp's int16 reader throws reading
	// user_message_reference of length 1 past the buffer; the session's
	// reader stays stuck (_extractPDUs returns with _busy set) and the
	// application gets an 'error' without the PDU or its sequence number, so
	// all it can do is close the connection.
	"smsc.tlv.8": "user_message_reference of length 1 throws in the decoder; the session is stuck and closed (tlv §6 rule 3)",
}

// netSMPPFailures are Net::SMPP 1.19's deviations (read_pdu and the decode_*
// functions of Net/SMPP.pm).
var netSMPPFailures = map[string]string{
	// fields §11: 3.4 sets no maximum, but a receiver caps command_length and
	// answers a larger one with ESME_RINVCMDLEN and a close. read_pdu reads
	// command_length - 16 octets with read_hard, without a cap: that
	// connection waits for 2 GiB.
	"smsc.framing.3": "command_length 0x7FFFFFFF: read_pdu waits for the body, no cap (fields §11)",
	// status §1: sm_length that disagrees with the remaining body is
	// ESME_RINVMSGLEN. decode_submit_v34 unpacks "a$sm_length", which stops at
	// the end of the data, and keeps sm_length to itself.
	"smsc.framing.9": "sm_length beyond the body accepted, short_message cut to what is left (status §1)",
	// pdus §1: a C-Octet String without its NULL is a malformed field.
	// unpack 'Z*' takes the octets up to the end of the data.
	"smsc.framing.10": "a C-Octet String without NULL accepted (pdus §1)",
	// tlv §6 rule 5: a TLV length past command_length is
	// ESME_RINVOPTPARSTREAM. decode_optional_params unpacks "a$len", cut to
	// what is left, and goes on.
	"smsc.tlv.6": "a TLV running past command_length accepted (tlv §6 rule 5)",
	// tlv §6 rule 5: fewer than 4 octets for a TLV header is a broken
	// stream. decode_optional_params reads a tag without a length, warns
	// "Unknown tag" and goes on.
	"smsc.tlv.7": "a 3-octet TLV area accepted (tlv §6 rule 5)",
}

// startThirdParty starts interp script SYSTEM_ID PASSWORD and returns the
// address it prints; the process is stopped when the test ends.
func startThirdParty(t *testing.T, cmd *exec.Cmd) string {
	t.Helper()
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd, err)
	}
	t.Cleanup(func() {
		stdin.Close()
		cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			cmd.Process.Kill()
			<-done
		}
		if t.Failed() {
			t.Logf("%s stderr:\n%s", filepath.Base(cmd.Args[1]), stderr.String())
		}
	})
	port := make(chan int, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			var m struct{ Port int }
			if json.Unmarshal(sc.Bytes(), &m) == nil && m.Port > 0 {
				port <- m.Port
				break
			}
		}
		for sc.Scan() {
		}
	}()
	select {
	case p := <-port:
		return "127.0.0.1:" + strconv.Itoa(p)
	case <-time.After(20 * time.Second):
		t.Fatalf("%s printed no port", cmd)
		return ""
	}
}

// runThirdParty runs every SMSC case against addr and checks the failures
// against expected.
func runThirdParty(t *testing.T, addr string, expected map[string]string) {
	t.Helper()
	cfg := &conform.Config{Addr: addr, SystemID: "conform", Password: "secret",
		SourceAddr: "254700000001", DestAddr: "254711000002", Profile: thirdPartyProfile,
		Timeout: 2 * time.Second, CaseTimeout: 30 * time.Second, ReceiptTimeout: 5 * time.Second}
	var pass, fail, skip int
	failed := map[string]bool{}
	for _, r := range conform.Run(context.Background(), cfg, conform.Cases(conform.SMSC)) {
		t.Logf("%-5s %-18s %s", r.Status, r.Case.ID, r.Reason)
		switch r.Status {
		case conform.Pass:
			pass++
		case conform.Skip:
			skip++
		case conform.Fail:
			fail++
			failed[r.Case.ID] = true
			if expected[r.Case.ID] == "" {
				t.Errorf("FAIL %s (%s) %s: %s %v", r.Case.ID, r.Case.Section, r.Case.Title, r.Reason, r.Log)
			}
		}
	}
	var gone []string
	for id := range expected {
		if !failed[id] {
			gone = append(gone, id)
		}
	}
	sort.Strings(gone)
	for _, id := range gone {
		t.Errorf("%s no longer fails: take it out of the expected failures and the README (%s)", id, expected[id])
	}
	t.Logf("%d passed, %d failed, %d skipped", pass, fail, skip)
}

func TestSMSCNodeSMPPServer(t *testing.T) {
	node := peers.NodePath(t)
	cmd := exec.Command(node, filepath.Join("..", "testdata", "smsc_node.js"), "conform", "secret")
	cmd.Env = append(os.Environ(), "NODE_PATH="+filepath.Join(peers.ScriptsDir(t), "node_modules"))
	runThirdParty(t, startThirdParty(t, cmd), nodeSMPPFailures)
}

func TestSMSCNetSMPPServer(t *testing.T) {
	perl := peers.PerlPath(t)
	cmd := exec.Command(perl, filepath.Join("..", "testdata", "smsc_perl.pl"), "conform", "secret")
	runThirdParty(t, startThirdParty(t, cmd), netSMPPFailures)
}
