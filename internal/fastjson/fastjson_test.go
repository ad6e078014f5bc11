package fastjson

import (
	"strings"
	"testing"
)

type panics struct{}

func (*panics) UnmarshalJSON([]byte) error { panic("odd input") }

// A value decodes as goccy/go-json decodes it, and a panic while decoding is an error.
func TestUnmarshal(t *testing.T) {
	var v struct {
		A string         `json:"a"`
		B map[string]int `json:"b"`
	}
	if err := Unmarshal([]byte(`{"a":"x","b":{"c":1}}`), &v); err != nil || v.A != "x" || v.B["c"] != 1 {
		t.Fatalf("decoded %+v, %v", v, err)
	}
	if err := Unmarshal([]byte(`{"a":`), &v); err == nil {
		t.Error("a value cut short decoded without an error")
	}
	var p struct {
		P panics `json:"p"`
	}
	if err := Unmarshal([]byte(`{"p":1}`), &p); err == nil || !strings.Contains(err.Error(), "odd input") {
		t.Errorf("a panic while decoding gave %v, want an error naming it", err)
	}
}
