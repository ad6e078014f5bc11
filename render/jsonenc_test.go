package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/auditreport/auditreport/report"
)

// stdJSON is what encoding/json writes for v the way the JSON report is written.
func stdJSON(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	err := enc.Encode(v)
	return buf.Bytes(), err
}

// sameAsStd fails when jsonEncoder writes v otherwise than encoding/json, or fails where
// encoding/json does not (or the other way round).
func sameAsStd(t *testing.T, v any) {
	t.Helper()
	want, werr := stdJSON(v)
	var got bytes.Buffer
	gerr := newJSONEncoder(&got).encode(v)
	if (werr != nil) != (gerr != nil) {
		t.Fatalf("encoding/json's error: %v; ours: %v", werr, gerr)
	}
	if werr == nil && !bytes.Equal(got.Bytes(), want) {
		at := 0
		for at < min(got.Len(), len(want)) && got.Bytes()[at] == want[at] {
			at++
		}
		from := max(0, at-200)
		t.Fatalf("differs from encoding/json at byte %d:\nencoding/json: %q\nours:          %q", at, want[from:min(len(want), at+100)], got.Bytes()[from:min(got.Len(), at+100)])
	}
}

// hostileStrings are strings every escape of encoding/json applies to.
var hostileStrings = []string{
	"", "plain", `"quoted" and \back\slash`, "<redacted> & <b>", "\u2028line\u2029para", "tab\tnl\nr\rbs\bff\f",
	"\x00\x01\x1f\x7f", "bad \xff\xfe utf-8 \xc3", "truncated \xe2\x80", "Ελλάδα Київ 日本 🙂", "\ufffd", "=cmd|' /C calc'!A0",
	"</script><script>", "a\u0085b\u00a0c",
}

// gen fills values of any type at random, every field set or left empty by turns, so that
// a field added to the model is tested without being named here.
type gen struct {
	rnd   *rand.Rand
	extra string // from the fuzzer
}

func (g *gen) str() string {
	switch g.rnd.IntN(4) {
	case 0:
		return g.extra
	case 1:
		b := make([]byte, g.rnd.IntN(12))
		for i := range b {
			b[i] = byte(g.rnd.IntN(256))
		}
		return string(b)
	}
	return hostileStrings[g.rnd.IntN(len(hostileStrings))]
}

// raw is a valid JSON value, with white space where encoding/json takes it out.
func (g *gen) raw(depth int) []byte {
	ws := func() string { return []string{"", "", " ", "\n  ", "\t", "\r\n"}[g.rnd.IntN(6)] }
	var b strings.Builder
	b.WriteString(ws())
	switch k := g.rnd.IntN(8); {
	case k == 0 && depth < 3:
		b.WriteString("{")
		for i := range g.rnd.IntN(3) {
			if i > 0 {
				b.WriteString("," + ws())
			}
			k, _ := json.Marshal(g.str())
			b.Write(k)
			b.WriteString(ws() + ":" + ws())
			b.Write(g.raw(depth + 1))
		}
		b.WriteString(ws() + "}")
	case k == 1 && depth < 3:
		b.WriteString("[")
		for i := range g.rnd.IntN(3) {
			if i > 0 {
				b.WriteString(ws() + ",")
			}
			b.Write(g.raw(depth + 1))
		}
		b.WriteString("]")
	case k == 2:
		b.WriteString([]string{"true", "false", "null", "0", "-1.5e-7", "12345678901234567890"}[g.rnd.IntN(6)])
	case k == 3:
		b.WriteString(`"raw \"esc\" \u003c \ud83d\ude42 <&> ` + "\u2028\"")
	default:
		s, _ := json.Marshal(g.str())
		b.Write(s)
	}
	b.WriteString(ws())
	return []byte(b.String())
}

var zones = []*time.Location{time.UTC, time.FixedZone("", 5*3600+30*60), time.FixedZone("X", -8*3600), time.FixedZone("", 23*3600+59*60)}

func (g *gen) fill(v reflect.Value, depth int) {
	switch v.Type() {
	case timeType:
		t := time.Unix(g.rnd.Int64N(400e9)-62e9, int64(g.rnd.IntN(3))*int64(g.rnd.IntN(1e9))).In(zones[g.rnd.IntN(len(zones))])
		if g.rnd.IntN(8) == 0 {
			t = time.Time{}
		}
		v.Set(reflect.ValueOf(t))
		return
	case rawType:
		switch g.rnd.IntN(5) {
		case 0:
			v.SetBytes(nil)
		default:
			v.SetBytes(g.raw(0))
		}
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(g.str())
	case reflect.Bool:
		v.SetBool(g.rnd.IntN(2) == 0)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := []int64{0, 1, -1, g.rnd.Int64(), -g.rnd.Int64(), math.MaxInt64, math.MinInt64}[g.rnd.IntN(7)]
		v.SetInt(n >> (64 - v.Type().Bits()))
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(g.rnd.Uint64() >> (64 - v.Type().Bits()))
	case reflect.Float32, reflect.Float64:
		v.SetFloat([]float64{0, math.Copysign(0, -1), 1, 0.1, 1e-7, 1e-6, 123456.789, 1e20, 1e21, 3e-300, -2.5e30, g.rnd.NormFloat64()}[g.rnd.IntN(12)])
	case reflect.Pointer:
		if depth > 6 || g.rnd.IntN(3) == 0 {
			return
		}
		v.Set(reflect.New(v.Type().Elem()))
		g.fill(v.Elem(), depth+1)
	case reflect.Slice:
		switch k := g.rnd.IntN(5); {
		case k == 0 || depth > 6:
		case k == 1:
			v.Set(reflect.MakeSlice(v.Type(), 0, 0))
		default:
			n := 1 + g.rnd.IntN(3)
			v.Set(reflect.MakeSlice(v.Type(), n, n))
			for i := range n {
				g.fill(v.Index(i), depth+1)
			}
		}
	case reflect.Map:
		switch k := g.rnd.IntN(4); {
		case k == 0 || depth > 6:
		case k == 1:
			v.Set(reflect.MakeMap(v.Type()))
		default:
			v.Set(reflect.MakeMap(v.Type()))
			for range 1 + g.rnd.IntN(4) {
				k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
				g.fill(k, depth+1)
				g.fill(e, depth+1)
				v.SetMapIndex(k, e)
			}
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && g.rnd.IntN(6) != 0 {
				g.fill(v.Field(i), depth+1)
			}
		}
	case reflect.Interface:
		if g.rnd.IntN(2) == 0 {
			var x any
			json.Unmarshal(g.raw(0), &x)
			v.Set(reflect.ValueOf(&x).Elem())
		}
	}
}

// generated is a report with every field filled at random from seed.
func generated(seed uint64, extra string) *report.Report {
	g := &gen{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), extra: extra}
	var r report.Report
	g.fill(reflect.ValueOf(&r).Elem(), 0)
	return &r
}

// The encoder writes what encoding/json writes, byte for byte, for the golden models and
// for generated ones holding every escape, empty and nil slices and maps, omitted fields,
// times in other zones and raw values with white space in them.
func TestJSONEncoderIsEncodingJSON(t *testing.T) {
	for _, name := range []string{"ha-3-nodes", "with-gaps", "posture"} {
		t.Run(name, func(t *testing.T) { sameAsStd(t, loadReport(t, name)) })
	}
	for seed := range uint64(300) {
		r := generated(seed, hostileStrings[seed%uint64(len(hostileStrings))])
		sameAsStd(t, r)
	}
	sameAsStd(t, hostile())
	sameAsStd(t, &report.Report{})
}

// The resources of a large report are encoded on every core, in runs, the longest histories
// in place: whatever the runs, the bytes are encoding/json's.
func TestResourcesInParallel(t *testing.T) {
	r := bigReport(t, 4<<20)
	if len(r.Resources) < parallelFrom {
		t.Fatalf("%d resources: too few to be encoded in parallel", len(r.Resources))
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	defer func(rows, inPlace int) { runRows, inPlaceRows = rows, inPlace }(runRows, inPlaceRows)
	for _, c := range []struct{ rows, inPlace int }{{256, 1024}, {1, 1}, {3, 5}, {50, 2}} {
		runRows, inPlaceRows = c.rows, c.inPlace
		runs, inPlace := resourceRuns(r.Resources), 0
		for _, run := range runs {
			if run.inPlace {
				inPlace++
			}
		}
		if c.inPlace < 8 && inPlace == 0 {
			t.Fatalf("runs of %d rows, in place past %d: no resource encoded in place", c.rows, c.inPlace)
		}
		sameAsStd(t, r)
	}
}

// FuzzJSONEncoder: go test ./render -run '^$' -fuzz FuzzJSONEncoder
func FuzzJSONEncoder(f *testing.F) {
	for i, s := range hostileStrings {
		f.Add(uint64(i), s)
	}
	f.Fuzz(func(t *testing.T, seed uint64, s string) {
		sameAsStd(t, generated(seed, s))
	})
}

type textKey string

func (k textKey) MarshalText() ([]byte, error) { return []byte("text:" + string(k)), nil }

type ptrMarshaler struct{ N int }

func (p *ptrMarshaler) MarshalJSON() ([]byte, error) { return []byte(`{ "n" : [ ] }`), nil }

type inner struct{ A, B string }

// What the encoder leaves to encoding/json comes out as encoding/json writes it, indented
// where it stands, and what encoding/json refuses fails.
func TestJSONEncoderFallbacks(t *testing.T) {
	type embedded struct {
		inner
		C string `json:"c"`
	}
	type options struct {
		N    int       `json:"n,string"`
		Z    time.Time `json:"z,omitzero"`
		Bad  string    `json:"bad\"name"`
		Skip string    `json:"-"`
		Dash string    `json:"-,"`
		priv string
	}
	type all struct {
		Embedded embedded
		Options  options
		Bytes    []byte
		Array    [2]int
		IntKeys  map[int]string
		TextKeys map[textKey]int
		Ptr      ptrMarshaler
		PtrList  []ptrMarshaler
		Text     textKey
		Any      any
		Nested   map[string][]map[string]*inner
		PtrM     *ptrMarshaler
		NilPtrM  *ptrMarshaler
		TextPtr  *textKey
		Times    []*time.Time
		Raws     []*json.RawMessage
	}
	v := all{Embedded: embedded{inner{"a", "<b>"}, "c"}, Options: options{N: 7, Bad: "x", Skip: "no", Dash: "yes", priv: "no"},
		Bytes: []byte("bytes\xff"), Array: [2]int{1, 2}, IntKeys: map[int]string{10: "x", 9: "y"}, TextKeys: map[textKey]int{"b": 1, "a": 2},
		PtrList: []ptrMarshaler{{1}}, Text: "t", Any: map[string]any{"z": 1.5, "a": []any{"x", nil}},
		Nested: map[string][]map[string]*inner{"k": {{"p": {A: "1"}, "q": nil}, {}}, "e": {}},
		PtrM:   &ptrMarshaler{2}, TextPtr: ptr(textKey("p")), Times: []*time.Time{nil, ptr(time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC))},
		Raws: []*json.RawMessage{nil, ptr(json.RawMessage(`{"a": [1, {}]}`))}}
	sameAsStd(t, &v)
	sameAsStd(t, v) // not addressable: the pointer's MarshalJSON does not apply
	for name, bad := range map[string]any{
		"NaN":         struct{ F float64 }{math.NaN()},
		"infinity":    struct{ F float32 }{float32(math.Inf(-1))},
		"invalid raw": struct{ R json.RawMessage }{json.RawMessage(`{"a":`)},
		"empty raw":   struct{ R json.RawMessage }{json.RawMessage{}},
		"year 10000":  struct{ T time.Time }{time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)},
		"zone +24h":   struct{ T *time.Time }{ptr(time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("", 24*3600)))},
		"channel":     struct{ C chan int }{make(chan int)},
	} {
		t.Run(name, func(t *testing.T) { sameAsStd(t, bad) })
	}
}

func ptr[T any](v T) *T { return &v }

// The digest is the SHA-256 of the JSON without its digest field, whether computed alone or
// from the bytes of the file as they are written; the file is the JSON of the report with
// that digest, and the report given is left as it was.
func TestRenderDigest(t *testing.T) {
	for _, name := range []string{"ha-3-nodes", "posture"} {
		t.Run(name, func(t *testing.T) {
			r := loadReport(t, name)
			r.Digest = "sha256:stale"
			f, err := os.Create(filepath.Join(t.TempDir(), "r.json"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			d, err := JSON{}.RenderDigest(f, r)
			if err != nil {
				t.Fatal(err)
			}
			if r.Digest != "sha256:stale" {
				t.Errorf("the report given was changed: digest %s", r.Digest)
			}
			if alone, err := (JSON{}).Digest(r); err != nil || alone != d {
				t.Errorf("digest from the file %s, computed alone %s (%v)", d, alone, err)
			}
			file, _ := os.ReadFile(f.Name())
			without := bytes.Replace(file, []byte(",\n  \"digest\": \""+d+"\""), nil, 1)
			sum := sha256.Sum256(without)
			if len(without) == len(file) || "sha256:"+hex.EncodeToString(sum[:]) != d {
				t.Errorf("%s is not the SHA-256 of the file without its digest field", d)
			}
			c := *r
			c.Digest = d
			want, _ := stdJSON(&c)
			if !bytes.Equal(file, want) {
				t.Errorf("the file is not the report's JSON with its digest")
			}
		})
	}
}

// BenchmarkJSON renders a report of about 40 MB, the golden HA model's histories many times
// over, beside encoding/json's Encoder writing the same bytes (marshal, then indent).
func BenchmarkJSON(b *testing.B) {
	r := bigReport(b, 40<<20)
	b.Run("render", func(b *testing.B) {
		var n countWriter
		JSON{}.Render(&n, r)
		b.SetBytes(int64(n))
		b.ReportAllocs()
		for b.Loop() {
			if err := (JSON{}).Render(&n, r); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("encoding-json", func(b *testing.B) {
		var n countWriter
		enc := json.NewEncoder(&n)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		enc.Encode(r)
		b.SetBytes(int64(n))
		b.ReportAllocs()
		for b.Loop() {
			if err := enc.Encode(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkJSONFile writes that report to a file with its digest, as a run does: the
// encoding, the SHA-256 and the writes together.
func BenchmarkJSONFile(b *testing.B) {
	r := bigReport(b, 40<<20)
	f, err := os.Create(filepath.Join(b.TempDir(), "report.json"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	b.ReportAllocs()
	for b.Loop() {
		if err := f.Truncate(0); err != nil {
			b.Fatal(err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			b.Fatal(err)
		}
		if _, err := (JSON{}).RenderDigest(f, r); err != nil {
			b.Fatal(err)
		}
	}
	st, _ := f.Stat()
	b.SetBytes(st.Size())
}

// bigReport repeats the HA model's resources and failed attempts until its JSON is about size bytes.
func bigReport(tb testing.TB, size int) *report.Report {
	tb.Helper()
	b, err := os.ReadFile("../testdata/reports/ha-3-nodes.json")
	if err != nil {
		tb.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		tb.Fatal(err)
	}
	res, failed := r.Resources, r.FailedAttempts
	for n := len(b); n < size; n += len(b) {
		r.Resources = append(r.Resources, res...)
		r.FailedAttempts = append(r.FailedAttempts, failed...)
	}
	return &r
}

type countWriter int

func (c *countWriter) Write(p []byte) (int, error) { *c += countWriter(len(p)); return len(p), nil }

// stdRaw is what encoding/json makes of a raw value at depth: compacted, then indented.
func stdRaw(src []byte, depth int) ([]byte, bool) {
	var c, out bytes.Buffer
	if err := json.Compact(&c, src); err != nil {
		return nil, false
	}
	if err := json.Indent(&out, c.Bytes(), strings.Repeat("  ", depth), "  "); err != nil {
		return nil, false
	}
	return out.Bytes(), true
}

var rawSeeds = []string{
	`"plain"`, ` { "a" : [ 1 , -2.5e+3, true, false, null, {}, [ ] ] , "b":{"c":"\u00e9\"\\\/\b\f\n\r\t"} } `,
	`[[[]]]`, `{"a":{}}`, "\"bad \xff utf-8\"", `0`, `-0`, `01`, `1.`, `.5`, `1e`, `1E+`, `-`, `tru`, `truex`, `nul`,
	`"\x"`, `"\u12G4"`, `"\u123"`, "\"ctl \x01\"", `{"a" 1}`, `{"a":1,}`, `[1,]`, `[1 2]`, `{1:2}`, `"unterminated`,
	``, ` `, `[`, `]`, `{}}`, `"a"  "b"`, "\t[\r\n1\n]\t", `{"a":[{"b":[]}],"c":""}`, "\"\u2028<>&\"",
}

// The raw-value indenter accepts exactly what encoding/json does, and writes what it writes.
func TestIndentedRaw(t *testing.T) {
	for _, s := range rawSeeds {
		for depth := range 3 {
			sameRaw(t, []byte(s), depth)
		}
	}
}

func sameRaw(t *testing.T, src []byte, depth int) {
	t.Helper()
	want, wok := stdRaw(src, depth)
	got, gok := appendIndentedRaw([]byte("x"), src, depth)
	if wok != gok || wok && !bytes.Equal(got[1:], want) {
		t.Fatalf("%.80q at depth %d: encoding/json %v %.200q, ours %v %.200q", src, depth, wok, want, gok, got)
	}
}

// FuzzIndentedRaw: go test ./render -run '^$' -fuzz FuzzIndentedRaw
func FuzzIndentedRaw(f *testing.F) {
	for _, s := range rawSeeds {
		f.Add([]byte(s), uint8(1))
	}
	f.Fuzz(func(t *testing.T, src []byte, depth uint8) { sameRaw(t, src, int(depth%4)) })
}

// failAfter takes limit bytes, then fails every write.
type failAfter struct {
	limit, took int
}

var errDiskFull = errors.New("no space left on device")

func (f *failAfter) Write(p []byte) (int, error) {
	if f.took+len(p) > f.limit {
		return 0, errDiskFull
	}
	f.took += len(p)
	return len(p), nil
}

// A writer that fails (a full disk) fails the report with its error, even on the last
// buffer, and the encoder, which writes behind its encoding, stops within a few buffers of
// the failure instead of encoding the rest.
func TestJSONWriteFails(t *testing.T) {
	r := bigReport(t, 40<<20)
	var whole countWriter
	if err := (JSON{}).Render(&whole, r); err != nil {
		t.Fatal(err)
	}
	for _, limit := range []int{0, 3 << 20, int(whole) - 1} {
		e := newJSONEncoder(&failAfter{limit: limit})
		if err := e.encode(r); !errors.Is(err, errDiskFull) {
			t.Fatalf("limit %d: error %v, want %v", limit, err, errDiskFull)
		}
		if most := int64(limit + 4*(flushAt+flushAt/4)); e.n > most {
			t.Errorf("limit %d: %d of %d bytes encoded after the writer failed; want at most %d", limit, e.n, int(whole), most)
		}
	}
	w := &failAfter{limit: 3 << 20}
	if _, err := (JSON{}).RenderDigest(struct {
		io.Writer
		io.WriterAt
	}{w, nil}, r); !errors.Is(err, errDiskFull) {
		t.Fatalf("RenderDigest: error %v, want %v", err, errDiskFull)
	}
}
