// Package jskv makes the JetStream key-value buckets of the gateway's
// cluster parts (the state's records and index in store/jsstore, the HTTP
// API's answers and references in httpapi/jskeeper). A bucket's stream is
// made by hand rather than by CreateKeyValue, for three settings: no
// direct get (reads go to the stream's leader, so a read follows the writes
// acknowledged before it, whichever node wrote them), per-message TTLs (an
// entry's lifetime), and deletes allowed (a purge removes an entry's
// message, leaving no marker).
package jskv

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// Bucket creates the stream of KV bucket name with the given replicas (or
// updates it to this configuration: every node may call it at start), its
// messages kept at most maxAge (0: no limit), and binds to it.
func Bucket(ctx context.Context, js jetstream.JetStream, name string, replicas int, maxAge time.Duration) (jetstream.KeyValue, jetstream.Stream, error) {
	cfg := jetstream.StreamConfig{
		Name:              "KV_" + name,
		Subjects:          []string{"$KV." + name + ".>"},
		MaxMsgsPerSubject: 1,
		MaxBytes:          -1,
		MaxMsgs:           -1,
		MaxMsgSize:        -1,
		MaxConsumers:      -1,
		MaxAge:            maxAge,
		Storage:           jetstream.FileStorage,
		Replicas:          replicas,
		AllowRollup:       true,
		Duplicates:        2 * time.Minute,
		Discard:           jetstream.DiscardNew,
		AllowMsgTTL:       true,
	}
	str, err := js.CreateOrUpdateStream(ctx, cfg)
	if err != nil {
		return nil, nil, fmt.Errorf("bucket %s: %w (is JetStream enabled, with enough servers for %d replicas?)", name, err, replicas)
	}
	kv, err := js.KeyValue(ctx, name)
	if err != nil {
		return nil, nil, fmt.Errorf("bucket %s: %w", name, err)
	}
	return kv, str, nil
}

// Subject returns the subject prefix of the bucket's keys: "$KV.<name>.".
func Subject(name string) string { return "$KV." + name + "." }
