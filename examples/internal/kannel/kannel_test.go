package kannel

import (
	"net/url"
	"strings"
	"testing"
)

// TestConf: each group gets its fixed lines and the caller's, in order, and
// a Config without Service lines makes Kannel answer no MO message.
func TestConf(t *testing.T) {
	c := Config{Port: "2775", SystemID: "esme", Password: "pw", SMSC: []string{"max-pending-submits = 5"}, User: []string{"max-messages = 10"}}
	got := c.conf("/tmp/k", "1", "2", "3")
	for _, want := range []string{
		"group = core\nadmin-port = 1\n",
		"smsbox-port = 2\n",
		"group = smsc\nsmsc = smpp\n",
		"port = 2775\ntransceiver-mode = true\nsmsc-username = esme\nsmsc-password = pw\n",
		"interface-version = 34\nmax-pending-submits = 5\n\n",
		"bearerbox-port = 2\nsendsms-port = 3\n",
		"group = sendsms-user\nusername = tester\npassword = foobar\nmax-messages = 10\n\n",
		"group = sms-service\nkeyword = default\nmax-messages = 0\ntext = \"\"\n",
		`log-file = "/tmp/k/bearerbox.log"`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("conf lacks %q:\n%s", want, got)
		}
	}
	c.Service = []string{`text = "ok"`}
	if got := c.conf("/tmp/k", "1", "2", "3"); !strings.HasSuffix(got, "group = sms-service\nkeyword = default\ntext = \"ok\"\n\n") {
		t.Errorf("service lines not used:\n%s", got)
	}
}

func TestSendURL(t *testing.T) {
	k := &Kannel{sendsms: "127.0.0.1:9"}
	u, err := url.Parse(k.SendURL(url.Values{"to": {"254700000001"}, "text": {"hi there"}}))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Host != "127.0.0.1:9" || u.Path != "/cgi-bin/sendsms" || q.Get("username") != "tester" || q.Get("password") != "foobar" ||
		q.Get("to") != "254700000001" || q.Get("text") != "hi there" {
		t.Errorf("SendURL: %s", u)
	}
}
