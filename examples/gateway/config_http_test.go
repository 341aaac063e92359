package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	dq "github.com/esmsafrica/smpp/examples/gateway/deliveries"
	"github.com/esmsafrica/smpp/examples/gateway/httpapi"
	"github.com/esmsafrica/smpp/pdu"
	"github.com/esmsafrica/smpp/tlv"
)

// TestConfigHTTPErrors: the HTTP side's keys are checked with their path
// and line.
func TestConfigHTTPErrors(t *testing.T) {
	acct := func(extra string) string {
		return opYAML + "mo_routes: []\naccounts:\n  - system_id: a\n    password: pw\n" + extra
	}
	cases := []struct{ name, yaml, want string }{
		{"listen", opYAML + "http_api: {listen: nowhere}\n", `http_api.listen: "nowhere": want host:port`},
		{"open without TLS", opYAML + "http_api: {listen: \":8081\"}\n", `http_api.listen: ":8081" is open to the network without TLS`},
		{"cert without key", opYAML + "http_api: {listen: \"127.0.0.1:0\", cert_file: x.pem}\n", "http_api.cert_file: give http_api.cert_file and key_file together"},
		{"max_body", opYAML + "http_api: {max_body: 1GiB}\n", "http_api.max_body: 1GiB is out of range"},
		{"max_segments", opYAML + "http_api:\n  max_segments: 300\n", "http_api.max_segments: 300: want 1 to 255 (0: 10) (line 5)"},
		{"deliver_to", acct("    deliver_to: email\n"), `accounts[0].deliver_to: "email": want smpp, webhook or both (line 8)`},
		{"webhook needed", acct("    deliver_to: both\n"), "accounts[0].deliver_to: account a: deliver_to both needs a webhook: section"},
		{"webhook url", acct("    deliver_to: webhook\n    webhook: {url: \"ftp://x\", secret: 0123456789abcdef}\n"), `accounts[0].webhook.url: "ftp://x": want an http:// or https:// URL (line 9)`},
		{"webhook secret", acct("    deliver_to: webhook\n    webhook: {url: \"http://127.0.0.1:9/\", secret: short}\n"), "accounts[0].webhook.secret: account a: the webhook secret needs 16 characters"},
		{"api key in clear", acct("    api_keys: [\"my-key\"]\n"), `accounts[0].api_keys[0]: want "sha256:" and the 64 hex digits`},
		{"demo password open", opYAML + "accounts: [{system_id: demo, password: demo1234}]\nmo_routes: []\nhttp_api: {listen: \"0.0.0.0:8081\", cert_file: c, key_file: k}\n", "accounts[0].password"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := loadYAML(t, c.yaml)
			if err == nil {
				t.Fatalf("accepted:\n%s", c.yaml)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q\ndoes not say %q", err, c.want)
			}
		})
	}
	key := sha256.Sum256([]byte("the-key"))
	cfg, err := loadYAML(t, opYAML+"mo_routes: []\naccounts:\n  - {system_id: a, password: pw, api_keys: [\"sha256:"+hex.EncodeToString(key[:])+"\"]}\n")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAPI.Listen != "" || cfg.Accounts[0].DeliverTo != deliverSMPP {
		t.Errorf("a file without http_api: has it off and deliver_to smpp: %+v %q", cfg.HTTPAPI, cfg.Accounts[0].DeliverTo)
	}
	as, err := loadAccounts(cfg.Accounts)
	if err != nil || as.byKey[key] == nil || as.byKey[key].cfg.SystemID != "a" {
		t.Errorf("api key not loaded: %v", err)
	}
	// The defaults bind no fixed port for the API (main gives the demo
	// demoHTTPAPIListen): tests start them in-process, in parallel.
	if def, err := loadConfig(""); err != nil || def.HTTPAPI.Listen != "" {
		t.Errorf("the defaults' HTTP API: %+v %v", def.HTTPAPI, err)
	}
}

// TestConfigHTTPFilesLoad: the webhook demo and the HTTP benchmark's
// configurations load, with their webhooks and API keys.
func TestConfigHTTPFilesLoad(t *testing.T) {
	for _, f := range []string{"webhook-demo.yaml", "bench-http.yaml"} {
		cfg, err := loadConfig(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		a := cfg.Accounts[0]
		if cfg.HTTPAPI.Listen != "127.0.0.1:8081" || a.Webhook == nil || a.DeliverTo == deliverSMPP || len(a.APIKeys) != 1 {
			t.Errorf("%s: http_api %+v, account %+v", f, cfg.HTTPAPI, a)
		}
		if _, err := loadAccounts(cfg.Accounts); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// TestHookEncoder: a receipt and an MO message as webhook JSON.
func TestHookEncoder(t *testing.T) {
	gw := &Gateway{log: quietLogger()}
	refs := &httpapi.Memory{}
	if err := refs.PutReference(t.Context(), []string{"0a1b"}, "order-9", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	enc := gw.hookEncoder(refs)
	rcpt := &pdu.DeliverSM{SourceAddr: "254700000001", DestinationAddr: "1000", ESMClass: 0x04,
		ShortMessage: []byte("id:0a1b sub:001 dlvrd:001 submit date:2612062300 done date:2612062301 stat:DELIVRD err:000 text:hi")}
	rcpt.TLVs.SetCString(tlv.ReceiptedMessageID, "0a1b")
	mo := &pdu.DeliverSM{SourceAddr: "254700000002", DestinationAddr: "2000", DataCoding: 8, ShortMessage: []byte{0x04, 0x1f, 0x00, 0x21}}
	for _, c := range []struct {
		d    *pdu.DeliverSM
		want map[string]any
	}{
		{rcpt, map[string]any{"type": "receipt", "account": "acct", "id": "0a1b", "state": "DELIVERED", "stat": "DELIVRD", "err": "000",
			"reference": "order-9", "from": "254700000001", "to": "1000", "done": "2026-12-06T23:01:00Z"}},
		{mo, map[string]any{"type": "mo", "account": "acct", "from": "254700000002", "to": "2000", "text": "П!", "data_coding": float64(8)}},
	} {
		body, err := c.d.AppendBinary(nil)
		if err != nil {
			t.Fatal(err)
		}
		out, err := enc(&dq.Delivery{Account: webhookKey("acct"), Body: body, Seq: 1})
		if err != nil {
			t.Fatal(err)
		}
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatal(err)
		}
		for k, v := range c.want {
			if got[k] != v {
				t.Errorf("%s: %s = %v, want %v (%s)", c.want["type"], k, got[k], v, out)
			}
		}
	}
	if _, err := enc(&dq.Delivery{Account: "acct", Body: []byte{1}}); err == nil {
		t.Error("a body that does not decode was encoded")
	}
}
