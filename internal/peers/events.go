package peers

import (
	"encoding/json"
)

// Event is one JSON line printed by a peer. Numbers are float64 as encoding/json gives
// them; use the accessors.
type Event map[string]any

// Name returns the "event" field.
func (e Event) Name() string { return e.Str("event") }

// Has reports whether key is present and not null.
func (e Event) Has(key string) bool { return e[key] != nil }

// Str returns a string field, or "" when it is absent or not a string.
func (e Event) Str(key string) string {
	s, _ := e[key].(string)
	return s
}

// Int returns a numeric field, or -1 when it is absent or not a number.
func (e Event) Int(key string) int64 {
	f, ok := e[key].(float64)
	if !ok {
		return -1
	}
	return int64(f)
}

// Bool returns a boolean field, false when absent.
func (e Event) Bool(key string) bool {
	b, _ := e[key].(bool)
	return b
}

// Obj returns a nested object (for example deliver_sm's "receipt"), nil when absent.
func (e Event) Obj(key string) Event {
	m, _ := e[key].(map[string]any)
	return m
}

// List returns a list of objects (for example "tlvs" or "replies").
func (e Event) List(key string) []Event {
	l, _ := e[key].([]any)
	out := make([]Event, 0, len(l))
	for _, v := range l {
		if m, ok := v.(map[string]any); ok {
			out = append(out, m)
		}
	}
	return out
}

func (e Event) String() string {
	b, _ := json.Marshal(map[string]any(e))
	return string(b)
}

// Filter returns the events named name (all events when name is "").
func Filter(events []Event, name string) []Event {
	var out []Event
	for _, e := range events {
		if name == "" || e.Name() == name {
			out = append(out, e)
		}
	}
	return out
}
