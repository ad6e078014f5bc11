package audit

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash/maphash"
	"io"
	"os"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"
	"sigs.k8s.io/yaml"
)

// Formats a source can be recognised as.
const (
	FormatLines  = "json-lines" // one JSON value per line (events or envelopes, per line)
	FormatValues = "json"       // pretty-printed or concatenated JSON values, arrays
	FormatYAML   = "yaml"       // a YAML stream of events
)

// ParseError is input that --strict refuses: a problem at a line of a source.
type ParseError struct {
	Source string
	Line   int
	Kind   string
	Err    error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %s: %v", e.Source, e.Line, e.Kind, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Progress counts what the reader has done so far; safe to read while it runs.
type Progress struct {
	Bytes  atomic.Int64 // stored bytes read, over all sources
	Events atomic.Int64 // events decoded or scanned
}

const (
	readBufferSize = 256 << 10
	// DefaultMaxLineBytes bounds the memory one line may take. Events of tens of megabytes
	// are real (a pod with a large annotation); a line past this bound is counted as
	// too-long and skipped without being held.
	DefaultMaxLineBytes = 256 << 20
	batchSize           = 256
	firstBatch          = 16
)

// sourceReader reads one source into batches of events and its Input record.
type sourceReader struct {
	ctx   context.Context
	src   Source
	opts  *Options
	in    Input
	batch []*Event
	out   chan<- []*Event
	// kept, when not nil, takes the batches in place of out: a source read on the goroutine
	// that merges (see Reader.open), which must not wait for itself.
	kept *[][]*Event
	// pre, when not nil, is the source opened already (see Reader.open).
	pre   *preOpened
	fatal error
	long  []byte // a line longer than the read buffer, assembled
	names interner
	// pending holds write requests seen at an earlier stage whose final stage has not come.
	pending map[string]pendingWrite
	// live is shared with the Reader: which files are known and what was read of each;
	// origins are the folders and globs to look in for a copy of a truncated file.
	live    *registry
	origins []string
	state   *sourceState
	hash    maphash.Hash
	// seq is the source's place among those the Reader took up: with its name, what decides
	// which of two inputs holding one event counts it (see eventSet); at is where the source
	// stands, which bounds what the set may forget.
	seq int32
	at  *cursor
	// pos is how far the content was read by lines, complete where the last whole line
	// ended: a file that grows is read on from there, not from the middle of a line.
	pos, complete int64
}

// preOpened is what openFile returned for a source opened before its reading began.
type preOpened struct {
	o   opened
	err error
}

// pendingWrite is a write request seen only at an earlier stage so far.
type pendingWrite struct {
	k                              Kind
	subresource, verb, level, node string
	bodies                         bodies
	repeat                         bool // its event is another input's, or an earlier line's
}

// countAs says how an in-scope write counts for coverage: once per request, dry runs and
// refusals apart. Earlier stages wait for their request's final one in this source.
func (r *sourceReader) countAs(ev *Event, k Kind, b bodies, repeat bool) countAs {
	if !IsWrite(ev.Verb) || !r.opts.Scope.Has(k) {
		return asRequest
	}
	switch ev.Stage {
	case StageRequestReceived, StageResponseStarted:
		if ev.AuditID == "" {
			return asRequest
		}
		if r.pending == nil {
			r.pending = map[string]pendingWrite{}
		}
		if _, ok := r.pending[ev.AuditID]; !ok {
			r.pending[ev.AuditID] = pendingWrite{k: k, subresource: ev.Subresource(), verb: ev.Verb, level: ev.Level, node: ev.Node, bodies: b, repeat: repeat}
		}
		return asStage
	}
	delete(r.pending, ev.AuditID)
	switch {
	case ev.DryRun():
		return asDryRun
	case ev.Code() >= 300:
		return asRefused
	}
	return asRequest
}

// countPending counts, at the end of the source, the write requests whose final stage it
// does not hold: their outcome is not logged, so they count as writes.
func (r *sourceReader) countPending() {
	ids := make([]string, 0, len(r.pending))
	for id := range r.pending {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		p := r.pending[id]
		r.in.observe(time.Time{}, p.k, p.subresource, p.verb, p.level, p.node, p.bodies, asLateWrite, r.opts)
		if p.repeat {
			r.repeats().add(time.Time{}, p.k, p.subresource, p.verb, p.level, p.node, p.bodies, asLateWrite, r.opts)
		}
	}
	r.pending = nil
}

// repeated counts an event among the repeats of this source (repeat: another input, or an
// earlier line of this one, counts it), or of the source that counted it so far (overtaken:
// this source comes first and counts it now).
func (r *sourceReader) repeated(repeat bool, overtaken int32, t time.Time, kind Kind, subresource, verb, level, node string, b bodies, as countAs) {
	switch {
	case repeat:
		r.repeats().add(t, kind, subresource, verb, level, node, b, as, r.opts)
	case overtaken != noOwner:
		r.live.repeated(overtaken, func(c *Counts) { c.add(t, kind, subresource, verb, level, node, b, as, r.opts) })
	}
}

// claim counts an event once over all sources (see eventSet); sum is its content. A repeat
// whose content differs from the copy counted is a conflicting repeat: recorded with the
// line, where the copy counted is not.
func (r *sourceReader) claim(key, sum uint64, stage time.Time, certain bool, line int, auditID []byte) (repeat bool, overtaken int32) {
	if r.at == nil {
		r.at = r.live.seen.expect(r.seq, time.Time{}) // the Reader made it when it opened the source
	}
	repeat, overtaken, conflict := r.live.seen.claim(key, sum, stage, certain, r.seq, r.at, r.live.first)
	if conflict != noOwner {
		where := "an earlier line of this input"
		if conflict != r.seq {
			where = r.live.name(conflict)
		}
		counted := "that one is kept and this one counted as a conflicting repeat"
		if !repeat {
			counted = "this one is kept and that one counted as a conflicting repeat"
		}
		// Not a problem --strict refuses: both copies are well formed.
		r.in.problem(line, ProblemConflictingRepeat, fmt.Errorf("auditID %s: the same request, stage and times as an event of %s, with other bytes (other content, or the same written another way: key order, escaping); %s",
			abbreviate(auditID, 80), where, counted))
	}
	return repeat, overtaken
}

func (r *sourceReader) repeats() *Counts {
	if r.in.Repeats == nil {
		r.in.Repeats = &Counts{}
	}
	return r.in.Repeats
}

func (r *sourceReader) event(ev *Event, sum uint64) {
	ev.Source = r.src.Name
	r.in.addNode(ev.Node)
	k := Kind{Group: ev.Group(), Resource: ev.Resource()}
	b := bodiesOf(ev)
	if ev.BodiesDropped {
		r.in.BodiesDropped++
	}
	key := eventKey(&r.hash, []byte(ev.AuditID), []byte(ev.Stage), []byte(ev.Verb), []byte(ev.RequestURI), []byte(ev.User.Username), ev.RequestReceived, ev.StageTime)
	repeat, overtaken := r.claim(key, sum, ev.StageTime, checkable(ev), ev.Line, []byte(ev.AuditID))
	as := r.countAs(ev, k, b, repeat)
	t, sub := ev.Time(), ev.Subresource()
	r.in.observe(t, k, sub, ev.Verb, ev.Level, ev.Node, b, as, r.opts)
	r.repeated(repeat, overtaken, t, k, sub, ev.Verb, ev.Level, ev.Node, b, as)
	if ev.ObjectRef != nil && IsIdentityLease(k, ev.ObjectRef.Namespace, ev.ObjectRef.Name) {
		host := hostnameLabel(ev.RequestObject)
		if host == "" {
			host = hostnameLabel(ev.ResponseObject)
		}
		r.in.lease(ev.ObjectRef.Name, ev.Node, host, ev.Verb, ev.User.Username, t, int(ev.Code()))
	}
	if r.opts.Progress != nil {
		r.opts.Progress.Events.Add(1)
	}
	if !r.opts.Scope.Has(k) || (r.opts.WritesOnly && !IsWrite(ev.Verb)) {
		return
	}
	if r.batch == nil {
		// Small at first: a small file (thousands of them, in an export tree) holds a few
		// events in scope; a batch grows to batchSize as append makes room.
		r.batch = make([]*Event, 0, firstBatch)
	}
	r.batch = append(r.batch, ev)
	if len(r.batch) >= batchSize {
		r.flush()
	}
}

func (r *sourceReader) problem(line int, kind string, err error) {
	r.in.problem(line, kind, err)
	if r.opts.Strict && r.fatal == nil {
		r.fatal = &ParseError{Source: r.src.Name, Line: line, Kind: kind, Err: err}
	}
}

func (r *sourceReader) flush() {
	if len(r.batch) == 0 {
		return
	}
	if r.kept != nil {
		*r.kept = append(*r.kept, r.batch)
		r.batch = nil
		return
	}
	select {
	case r.out <- r.batch:
	case <-r.ctx.Done():
		r.fatal = r.ctx.Err()
	}
	r.batch = nil // the next event makes a new one: a source that ends here keeps none
}

func (r *sourceReader) stopped() bool { return r.fatal != nil }

// read reads the whole source. It returns an error only for a source that cannot be opened
// or, with Strict, the first problem; everything else is recorded in r.in.
func (r *sourceReader) read() error {
	r.in.Source = r.src.Name
	r.in.Notes = append(r.in.Notes, r.src.notes...)
	var rd io.Reader
	var lf *liveFile
	var reg *fdFile
	var content headID // what identifies the content, from its first headSize bytes
	size := int64(-1)  // what the file holds as opened; -1: not known (a FIFO, stdin)
	if r.src.path != "" {
		var o opened
		var err error
		if r.pre != nil {
			o, err = r.pre.o, r.pre.err
		} else {
			o, err = openFile(r.ctx, &r.src)
		}
		if err == errGone {
			r.in.Notes = append(r.in.Notes, "removed or renamed by rotation before it could be read")
			return errGone
		}
		if err != nil {
			if r.ctx.Err() != nil {
				return r.ctx.Err()
			}
			return &SourceError{Source: r.src.Name, Err: UnwrapPath(err)}
		}
		defer o.close()
		r.live.opened(1)
		defer r.live.opened(-1)
		if o.renamed != "" {
			r.in.Notes = append(r.in.Notes, "renamed to "+o.renamed+" by rotation before it was read")
			r.src.path = o.renamed
		}
		if o.reg != nil {
			reg = o.reg
			lf = newLiveFile(reg, 0)
			rd = lf
			size = o.fi.Size()
			if o.asListed {
				// As when the listing looked at it: its content starts as it did then.
				content = r.src.head
			}
		} else {
			// A FIFO: its reads go through the runtime poller, which a deadline ends.
			rd = o.pipe
			stop := context.AfterFunc(r.ctx, func() { o.pipe.SetReadDeadline(time.Now()) })
			defer stop()
		}
	} else {
		f, err := r.src.open()
		if err != nil {
			return &SourceError{Source: r.src.Name, Err: UnwrapPath(err)}
		}
		defer f.Close()
		rd = f
	}
	var total *atomic.Int64
	if r.opts.Progress != nil {
		total = &r.opts.Progress.Bytes
	}
	h := sha256.New()
	var copies []*os.File
	var onTruncate func(int64, []byte) io.Reader
	var retire *fileRecord // what the read before left, when the file was truncated since
	if lf != nil {
		onTruncate = func(at int64, sum []byte) io.Reader {
			var s [sha256.Size]byte
			copy(s[:], sum)
			c, name, _ := r.live.findCopy(r.origins, r.src.id, at, s, lf.head)
			if c == nil {
				r.in.LostBytes = append(r.in.LostBytes, ByteRange{From: at, To: -1,
					Why: fmt.Sprintf("truncated while being read (copytruncate): its content from byte %d to the end it had then was not read, and no copy of it is among the inputs", at)})
				return nil
			}
			copies = append(copies, c)
			r.in.Notes = append(r.in.Notes, fmt.Sprintf("truncated while being read (copytruncate) at byte %d: the rest was read from %s, the copy it was truncated into", at, name))
			return c
		}
	}
	pf := newPrefetch(rd, size, h, total, r.ctx.Done(), onTruncate)
	defer func() {
		r.countPending()
		// The digest covers the whole stored file, also where reading stopped early.
		n, err := pf.drain()
		pf.release()
		if lf != nil {
			lf.release()
		}
		for _, c := range copies {
			c.Close()
		}
		if err != nil && r.in.Err == "" {
			r.in.Err = err.Error()
			r.problem(0, ProblemCorruptSource, err)
		}
		r.in.SHA256 = hex.EncodeToString(h.Sum(nil))
		r.in.Bytes = n
		if r.in.Compressed && r.in.Err != "" && reg != nil && growing(reg, n) {
			// lumberjack compresses a rotated file in the background: a gzip stream
			// without its end that is still growing is being written, not damaged.
			r.in.Problems[ProblemCorruptSource]--
			if r.in.Problems[ProblemCorruptSource] == 0 {
				delete(r.in.Problems, ProblemCorruptSource)
			}
			r.in.Problems[ProblemInProgress]++
			r.in.Notes = append(r.in.Notes, "still being compressed when read ("+r.in.Err+"): read as far as it was written")
			r.in.Err = ""
		}
		if lf != nil {
			rec := &fileRecord{name: r.src.Name, path: r.src.path, origin: r.src.origin, id: r.src.id, head: content,
				read: n, plain: !r.in.Compressed, lost: len(r.in.LostBytes) > 0, continued: len(copies) > 0, state: r.state}
			if r.in.Format != FormatValues && len(copies) == 0 && r.complete < n {
				rec.complete = r.complete // a last line without its end: read it again whole
			}
			if r.in.Compressed {
				rec.content, rec.cut = r.complete, r.pos > r.complete
			}
			fi, err := lf.end, error(nil)
			if fi == nil {
				fi, err = reg.stat()
			}
			if err == nil {
				rec.id, rec.mtime = idOf(fi), fi.ModTime()
			}
			copy(rec.sum[:], h.Sum(nil))
			r.live.record(rec)
			if retire != nil {
				r.live.retire(retire)
			}
		}
	}()

	br := getReader(pf)
	defer putReader(br)
	if magic, _ := br.Peek(2); len(magic) == 2 && magic[0] == 0x1f && magic[1] == 0x8b {
		r.in.Compressed = true
		zr, err := gzip.NewReader(br)
		if err != nil {
			r.corrupt(0, fmt.Errorf("gzip: %w", err))
			return r.fatal
		}
		defer zr.Close()
		br = getReader(zr)
		defer putReader(br)
	}
	hb, _ := br.Peek(headSize)
	if len(hb) > 0 && content.n == 0 {
		content = headOf(hb)
	}
	if prev := r.live.recordOf(r.src.id); lf != nil && prev != nil && prev.plain && prev.head.n > 0 && prev.path == r.src.path {
		if !prev.head.starts(hb) {
			// Truncated and written again (copytruncate) since it was read: what it held
			// beyond that read is in the copy it was truncated into, or lost.
			retire = prev
			if r.src.resume > 0 {
				// Since the listing found it grown: all it holds now is new.
				r.src.resume = 0
				for i, n := range r.in.Notes {
					if slices.Contains(r.src.notes, n) {
						r.in.Notes[i] = "truncated and written again after it was read (copytruncate), before what it grew by could be read: its new content"
					}
				}
			}
		}
	}
	for left := r.src.resume; left > 0; {
		// Already read from another name: only what follows is new.
		n, err := br.Discard(int(min(left, 1<<30)))
		left -= int64(n)
		if err != nil {
			break
		}
	}
	r.pos = r.src.resume
	if bom, _ := br.Peek(3); bytes.Equal(bom, []byte{0xEF, 0xBB, 0xBF}) {
		br.Discard(3)
		r.pos += 3
	}
	r.complete = r.pos
	r.in.Format = detect(br)
	switch r.in.Format {
	case FormatValues:
		r.readValues(br)
	case FormatYAML:
		r.readYAML(br)
	default:
		r.readLines(br)
	}
	r.flush()
	return r.fatal
}

// growing reports whether a file is longer now than the n bytes read of it, or grows within
// a moment.
func growing(f *fdFile, n int64) bool {
	for i := 0; i < 3; i++ {
		if fi, err := f.stat(); err == nil && fi.Size() > n {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return false
}

// corrupt records that the source stopped being readable at line.
func (r *sourceReader) corrupt(line int, err error) {
	r.in.Err = err.Error()
	r.problem(line, ProblemCorruptSource, err)
}

// detect tells the source's layout from its first bytes.
func detect(br *bufio.Reader) string {
	head, _ := br.Peek(64 << 10)
	return detectHead(head)
}

// detectHead tells a layout from the first bytes of content.
func detectHead(head []byte) string {
	for len(head) > 0 {
		var line []byte
		if i := bytes.IndexByte(head, '\n'); i >= 0 {
			line, head = head[:i], head[i+1:]
		} else {
			line, head = head, nil
		}
		t := bytes.TrimSpace(line)
		switch {
		case len(t) == 0:
			continue
		case t[0] == '[', bytes.Equal(t, []byte("{")):
			return FormatValues
		case t[0] == '{':
			return FormatLines
		case t[0] == '#' || bytes.Equal(t, []byte("---")):
			// YAML comments and document markers; keep looking.
			if t[0] == '-' {
				return FormatYAML
			}
			continue
		case isYAMLKey(t):
			return FormatYAML
		default:
			return FormatLines
		}
	}
	return FormatLines
}

// isYAMLKey matches the start of a YAML mapping line: `kind: Event`.
func isYAMLKey(t []byte) bool {
	i := bytes.IndexByte(t, ':')
	if i <= 0 || (i+1 < len(t) && t[i+1] != ' ') {
		return false
	}
	for _, c := range t[:i] {
		if !(c == '_' || c == '-' || c == '.' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// readLines reads a source of one value per line, the layout kube-apiserver writes.
func (r *sourceReader) readLines(br *bufio.Reader) {
	line := 0
	for !r.stopped() {
		b, last, tooLong, err := r.nextLine(br)
		if len(b) > 0 || tooLong || err == nil {
			line++
			r.in.Lines++
		}
		switch {
		case tooLong:
			r.problem(line, ProblemTooLong, fmt.Errorf("line longer than %d bytes", r.opts.maxLine()))
		case len(b) > 0:
			r.line(b, line, last)
		}
		if err != nil {
			if err != io.EOF {
				r.corrupt(line+1, err)
			}
			return
		}
		if line&1023 == 0 && r.ctx.Err() != nil {
			r.fatal = r.ctx.Err()
		}
	}
}

// nextLine returns the next line without its newline. last is set when the line ended at
// the end of the input instead of a newline. The slice is valid until the next call.
func (r *sourceReader) nextLine(br *bufio.Reader) (b []byte, last, tooLong bool, err error) {
	b, err = br.ReadSlice('\n')
	r.pos += int64(len(b))
	if err == nil {
		r.complete = r.pos
		return b[:len(b)-1], false, false, nil
	}
	if err != bufio.ErrBufferFull {
		return b, true, false, err
	}
	// A long line: assemble it, up to the bound.
	r.long = append(r.long[:0], b...)
	max := r.opts.maxLine()
	for {
		b, err = br.ReadSlice('\n')
		r.pos += int64(len(b))
		if err == nil {
			r.complete = r.pos
		}
		if !tooLong {
			if len(r.long)+len(b) > max {
				tooLong = true
				r.long = r.long[:0]
			} else {
				r.long = append(r.long, b...)
			}
		}
		switch err {
		case bufio.ErrBufferFull:
			continue
		case nil:
			if tooLong {
				return nil, false, true, nil
			}
			if cap(r.long) > 4*readBufferSize && len(r.long) < readBufferSize {
				r.long = nil // do not keep a huge buffer for one huge line
			}
			return r.long[:len(r.long)-1], false, false, nil
		default:
			if tooLong {
				return nil, true, true, err
			}
			return r.long, true, false, err
		}
	}
}

// line handles one line of a line-oriented source.
func (r *sourceReader) line(b []byte, n int, last bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return
	}
	if b[0] == '{' {
		// Only a valid line in the layout is counted from the scan or given to the fast
		// decoder; any other goes to encoding/json, which says what is wrong with it.
		var at places
		l, ok := scanAt(b, r.names, &at)
		lease := ok && IsIdentityLease(l.kind, l.ns, l.name)
		if lease && l.verb == "delete" {
			// Whether a delete took effect is in its response code, which the scan does
			// not read: decoded (a lease is deleted once in a server's life).
			r.decodeAt(b, n, last, &at, &l)
			return
		}
		if lease && !r.wants(l.kind, l.verb) {
			// A renewal not decoded: the scan holds what the evidence needs, and the
			// hostname label of an event logged with its body is found in the line.
			r.in.lease(l.name, "", hostnameLabel(b), l.verb, string(l.user), l.time, 0)
		}
		if ok && !r.wants(l.kind, l.verb) {
			key := eventKey(&r.hash, l.auditID, l.stage, []byte(l.verb), l.uri, l.user, l.time, l.stageTime)
			repeat, overtaken := r.claim(key, contentSum(b, true), l.stageTime, true, n, l.auditID)
			r.in.observe(l.time, l.kind, l.subresource, l.verb, l.level, "", bodiesNone, asRequest, r.opts)
			r.repeated(repeat, overtaken, l.time, l.kind, l.subresource, l.verb, l.level, "", bodiesNone, asRequest)
			if r.opts.Progress != nil {
				r.opts.Progress.Events.Add(1)
			}
			return
		}
		if ok {
			r.decodeAt(b, n, last, &at, &l)
			return
		}
		r.dispatchLine(b, n, "", last, false)
		return
	}
	// OpenShift must-gather: "<node> {event}".
	if i := bytes.IndexByte(b, ' '); i > 0 && i < 254 && bytes.HasPrefix(bytes.TrimLeft(b[i:], " "), []byte("{")) && isNodeName(b[:i]) {
		r.dispatchLine(bytes.TrimLeft(b[i:], " "), n, string(b[:i]), last, false)
		return
	}
	r.dispatchLine(b, n, "", last, false)
}

// decodeAt reads the event of a line the scan took from where it found its values, or
// decodes the line whole when eventAt does not read one of them.
func (r *sourceReader) decodeAt(b []byte, n int, last bool, at *places, l *light) {
	if ev := eventAt(b, at, l, r.names, r, n); ev != nil {
		r.event(ev, contentSum(b, true))
		return
	}
	r.dispatchLine(b, n, "", last, true)
}

// dispatchLine decodes a line, telling a line cut off at the end of the source from one that
// is broken anywhere else.
func (r *sourceReader) dispatchLine(b []byte, n int, node string, last, fast bool) {
	if last {
		dispatchFast(b, n, node, 0, lastLineSink{r}, fast)
		return
	}
	dispatchFast(b, n, node, 0, r, fast)
}

// lastLineSink reports a JSON error on the final line as a truncated line: the API server was
// stopped mid-write, or the file was copied while being written.
type lastLineSink struct{ *sourceReader }

func (s lastLineSink) problem(line int, kind string, err error) {
	if kind == ProblemNotJSON {
		kind = ProblemTruncatedLine
	}
	s.sourceReader.problem(line, kind, err)
}

func isNodeName(b []byte) bool {
	for _, c := range b {
		if !(c == '-' || c == '.' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// wants reports whether an event of this kind and verb is delivered, and so must be decoded.
func (r *sourceReader) wants(k Kind, verb string) bool {
	if !r.opts.Scope.hasResource(k.Resource) {
		return false
	}
	return !r.opts.WritesOnly || IsWrite(verb)
}

// readYAML reads a YAML stream, one event (or list of events) per document.
func (r *sourceReader) readYAML(br *bufio.Reader) {
	var doc bytes.Buffer
	line, start := 0, 0
	emit := func() {
		if doc.Len() == 0 {
			return
		}
		j, err := yaml.YAMLToJSON(doc.Bytes())
		doc.Reset()
		if err != nil {
			r.problem(start, ProblemNotJSON, fmt.Errorf("yaml: %w", err))
			return
		}
		if !bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
			dispatch(j, start, "", 0, r)
		}
	}
	for !r.stopped() {
		b, _, tooLong, err := r.nextLine(br)
		if len(b) > 0 || tooLong || err == nil {
			line++
			r.in.Lines++
		}
		if tooLong {
			r.problem(line, ProblemTooLong, fmt.Errorf("line longer than %d bytes", r.opts.maxLine()))
		} else if t := bytes.TrimRight(b, " \r"); bytes.Equal(t, []byte("---")) || bytes.Equal(t, []byte("...")) {
			emit()
		} else if len(bytes.TrimSpace(t)) > 0 && t[0] != '#' || doc.Len() > 0 {
			if doc.Len() == 0 {
				start = line
			}
			doc.Write(b)
			doc.WriteByte('\n')
		}
		if err != nil {
			if err != io.EOF {
				r.corrupt(line+1, err)
				return
			}
			break
		}
	}
	emit()
}

// Options say what to read and how strictly.
type Options struct {
	// Scope selects the kinds whose events are delivered; nil delivers every kind.
	Scope *Scope
	// WritesOnly delivers only events of write verbs (create, update, patch, delete,
	// deletecollection). Reads are still counted in each Input.
	WritesOnly bool
	// Strict stops at the first problem with a *ParseError.
	Strict bool
	// MaxLineBytes bounds one line; 0 means DefaultMaxLineBytes.
	MaxLineBytes int
	// Window is how far back in time events of one request may arrive out of order, and how
	// long an auditID is remembered to drop repeats; 0 means DefaultWindow.
	Window time.Duration
	// Progress, when set, is updated as reading goes on.
	Progress *Progress
	// From and To bound the events counted in Input.Kinds (To exclusive); zero means open.
	From, To time.Time
}

func (o *Options) maxLine() int {
	if o.MaxLineBytes > 0 {
		return o.MaxLineBytes
	}
	return DefaultMaxLineBytes
}
