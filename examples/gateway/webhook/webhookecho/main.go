// Command webhookecho is a webhook receiver for trying the gateway's
// webhooks: it verifies each request's signature with the account's
// secret, prints its JSON body on one line and answers 204 (401 to a
// request whose signature does not verify).
//
//	go run ./examples/gateway/webhook/webhookecho -listen 127.0.0.1:9000 -secret 'the account's webhook secret'
package main

import (
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"os"
	"time"

	"github.com/esmsafrica/smpp/examples/gateway/webhook"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:9000", "address to listen on")
	secret := flag.String("secret", "", "the account's webhook secret (accounts[].webhook.secret)")
	flag.Parse()
	if *secret == "" {
		fmt.Fprintln(os.Stderr, "webhookecho: -secret is required: the account's webhook.secret from the gateway's configuration")
		os.Exit(2)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		ts, sig := r.Header.Get(webhook.HeaderTimestamp), r.Header.Get(webhook.HeaderSignature)
		if err := webhook.Verify([]byte(*secret), ts, sig, body, time.Now(), 0); err != nil {
			log.Printf("refused %s: %v", r.Header.Get(webhook.HeaderID), err)
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		fmt.Printf("%s %s\n", r.Header.Get(webhook.HeaderID), body)
		w.WriteHeader(http.StatusNoContent)
	})
	log.Printf("webhookecho listening on %s", *listen)
	srv := &http.Server{Addr: *listen, ReadHeaderTimeout: 5 * time.Second}
	log.Fatal(srv.ListenAndServe())
}
