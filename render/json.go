package render

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"reflect"
	"strings"

	"github.com/auditreport/auditreport/report"

	"github.com/auditreport/auditreport/internal/jsonany"
)

// JSON writes the report model exactly as documented in docs/report-schema.md.
type JSON struct{}

var _ Renderer = (*JSON)(nil)

// Render writes r as encoding/json's Encoder does with two-space indentation and without
// escaping <, > and & (the report is read by people, and "<redacted>" should read as such),
// byte for byte, but as it goes: a busy cluster's report is hundreds of megabytes, and
// encoding it whole would hold it in memory twice.
func (JSON) Render(w io.Writer, r *report.Report) error {
	return newJSONEncoder(w).encode(r)
}

// Digest returns the report's digest (report.Report.Digest): "sha256:" and the hex SHA-256
// of r's JSON without the digest field.
func (JSON) Digest(r *report.Report) (string, error) {
	c := *r
	c.Digest = ""
	h := sha256.New()
	if err := newJSONEncoder(h).encode(&c); err != nil {
		return "", err
	}
	return digestOf(h), nil
}

// WriterAt is a file written from its start.
type WriterAt interface {
	io.Writer
	io.WriterAt
}

// RenderDigest writes r as Render does, with its digest, and returns the digest: the JSON is
// encoded once, hashed as it is written but for the digest field, whose room is filled in
// at the end. r itself is not changed.
func (JSON) RenderDigest(f WriterAt, r *report.Report) (string, error) {
	c := *r
	c.Digest = digestRoom
	h := sha256.New()
	e := newJSONEncoder(f)
	e.hash, e.slot = h, digestField
	if err := e.encode(&c); err != nil {
		return "", err
	}
	if e.slotAt < 0 {
		return "", errors.New("json: no digest field in the report")
	}
	d := digestOf(h)
	if _, err := f.WriteAt(jsonany.AppendString(nil, d), e.slotAt); err != nil {
		return "", err
	}
	return d, nil
}

// digestRoom holds the digest's place while the report is written: a digest is as long.
var digestRoom = "sha256:" + strings.Repeat("0", 2*sha256.Size)

// digestField is the digest's name in the JSON.
var digestField = func() string {
	f, _ := reflect.TypeFor[report.Report]().FieldByName("Digest")
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}()

func digestOf(h hash.Hash) string {
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}
