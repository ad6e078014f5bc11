package jsonany

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	goccy "github.com/goccy/go-json"
	"github.com/google/go-cmp/cmp"
)

// standard is what the history decoded bodies with before: encoding/json with UseNumber.
func standard(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func agree(t *testing.T, in []byte) {
	t.Helper()
	agreeTape(t, in)
	want, werr := standard(in)
	got, gerr := Decode(in)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("%q: encoding/json error %v, jsonany error %v", in, werr, gerr)
	}
	if werr != nil {
		return
	}
	if reflect.DeepEqual(want, got) {
		return
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("%q: values differ (-encoding/json +jsonany)\n%s", in, diff)
	}
}

var cases = []string{
	`{}`, `[]`, `{"a":1}`, `[1,2,3]`, `{"a":{"b":[true,false,null]}}`,
	`{"n":-0.5e+10,"m":0,"k":1E3,"j":-12.25}`,
	`{"a":1,"a":2}`, // the last of a repeated key wins
	`{"s":"caf\u00e9 \ud83d\ude00 \ud83d x \udc00"}`, // a pair, a lone high and a lone low surrogate
	"{\"s\":\"\xff\xfe ok \xe2\x82\"}",               // invalid UTF-8 becomes U+FFFD per byte
	`{"s":"\"\\\/\b\f\n\r\t"}`, `{"s":"<>&\u2028"}`,
	` { "a" : [ 1 , 2 ] } trailing`, `[1]x`, `{"a":1}{"b":2}`,
	// Rejected by both.
	`{"a":1,}`, `[1,]`, `{"a"}`, `{a:1}`, `[01]`, `[1x]`, `[truex]`, `[-]`, `[1.]`, `[1e]`, `[.5]`,
	`{"s":"\x"}`, `{"s":"\u12"}`, "{\"s\":\"a\tb\"}", `[`, `{`, `{"a":`, `"unterminated`, ``, `   `,
	`[nul]`, `[True]`, `{"a":1 "b":2}`, `[1 2]`,
}

func TestAgreesWithEncodingJSON(t *testing.T) {
	for _, c := range cases {
		agree(t, []byte(c))
	}
	agree(t, []byte(strings.Repeat("[", 10001)+strings.Repeat("]", 10001))) // too deep for both
	agree(t, []byte(strings.Repeat("[", 10000)+strings.Repeat("]", 10000)))
}

// TestAgreesOnRealBodies decodes every line of the sample logs both ways.
func TestAgreesOnRealBodies(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/logs/*/*.log")
	more, _ := filepath.Glob("../../testdata/logs/*/*/*.log")
	files = append(files, more...)
	if len(files) == 0 {
		t.Fatal("no sample logs")
	}
	lines := 0
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			agree(t, sc.Bytes())
			lines++
		}
		fh.Close()
	}
	if lines < 1000 {
		t.Fatalf("only %d lines read", lines)
	}
}

func FuzzDecode(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, in []byte) { agree(t, in) })
}

func benchBody() []byte {
	b, err := os.ReadFile("../../testdata/logs/real-apiserver/log/kube-audit.log")
	if err != nil {
		panic(err)
	}
	return b
}

// goccyDecode is goccy/go-json, which audit/ decodes events with, on the same task.
func goccyDecode(b []byte) (any, error) {
	dec := goccy.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}

func BenchmarkDecode(b *testing.B) {
	lines := bytes.Split(benchBody(), []byte("\n"))
	var n int64
	for _, l := range lines {
		n += int64(len(l))
	}
	for _, impl := range []struct {
		name string
		f    func([]byte) (any, error)
	}{{"encoding-json", standard}, {"goccy", goccyDecode}, {"jsonany", Decode}} {
		b.Run(impl.name, func(b *testing.B) {
			b.SetBytes(n)
			b.ReportAllocs()
			for range b.N {
				for _, l := range lines {
					impl.f(l)
				}
			}
		})
	}
}

// encoded is what the differ wrote values with before: an Encoder that does not escape HTML.
func encoded(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	err := enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), err
}

func sameEncoding(t *testing.T, v any) {
	t.Helper()
	want, werr := encoded(v)
	got, gerr := Append(nil, v)
	if (werr != nil) != (gerr != nil) || werr == nil && !bytes.Equal(got, want) {
		t.Fatalf("%#v:\nencoding/json %s (%v)\njsonany       %s (%v)", v, want, werr, got, gerr)
	}
}

func TestAppendAgreesWithEncodingJSON(t *testing.T) {
	for _, v := range []any{
		nil, true, false, "", "plain", "<a href=\"x\">&amp;</a>", "tab\there\nnew\r\b\f\x00\x1f\x7f",
		"\u2028\u2029 é 😀", "bad \xff\xfe utf8 \xe2\x82", `back\slash`,
		json.Number("12"), json.Number("-0.5e+10"), json.Number("01"), json.Number("1."), json.Number(""), json.Number("-"),
		map[string]any{"b": 1.5, "a": []any{}, "c": map[string]any{}, "\xff": "k"}, []any{nil, "x", json.Number("3")},
		map[string]any(nil), []any(nil), 3, 2.5, []string{"x"},
	} {
		sameEncoding(t, v)
	}
	for _, c := range cases {
		if v, err := Decode([]byte(c)); err == nil {
			sameEncoding(t, v)
		}
	}
}

func FuzzAppend(f *testing.F) {
	for _, c := range cases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		if v, err := Decode(in); err == nil {
			sameEncoding(t, v)
		}
		sameEncoding(t, string(in))
	})
}
