// Package fastjson decodes JSON with goccy/go-json, about twice as fast as encoding/json on
// audit events and object states, with the panics goccy/go-json has had on odd input turned
// into errors: a report never stops on one. It is not held to encoding/json's results here;
// callers that must accept exactly what encoding/json accepts decode again with it on an
// error (audit's events, the posture's NetworkPolicies), and their fuzz tests compare the two.
package fastjson

import (
	"fmt"

	json "github.com/goccy/go-json"
)

// Unmarshal is goccy/go-json's Unmarshal, with a panic returned as an error.
func Unmarshal(b []byte, v any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("fast decoder: %v", r)
		}
	}()
	return json.Unmarshal(b, v)
}
