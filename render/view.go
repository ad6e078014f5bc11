package render

import (
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/auditreport/auditreport/internal/units"
	"github.com/auditreport/auditreport/report"
	"github.com/auditreport/auditreport/report/coverage"
	"github.com/auditreport/auditreport/report/history"
)

// DefaultMaxRows bounds each detail section of the PDF, HTML and Markdown reports; the JSON
// and CSV outputs always hold every row.
const DefaultMaxRows = 200

// maxDiffLines bounds the diff lines shown for one change in a table cell.
const maxDiffLines = 12

// View is the report model as the document formats (PDF, HTML, Markdown, --template) show
// it: the Report itself, plus its changes grouped into sections of bounded length. A user's
// template gets the same value: every report field directly ({{.Summary.Changes}}), and the
// sections below.
type View struct {
	*report.Report
	// MaxRows is the most rows a detail section shows.
	MaxRows int
	// Policy lists the configuration changes to network policies (NetworkPolicy and Calico's
	// kinds), with their diffs: the policy audit.
	PolicyChanges Section
	// Changes has a section per kind with configuration changes.
	Changes []Section
	// Failed is the failed attempts, bounded.
	Failed     []history.FailedAttempt
	FailedMore int
	// Chart counts configuration changes per time bucket and kind.
	Chart Chart
	// GapList is the gaps of the trail itself, which the verdict judges; Errors, Warnings and
	// Infos count them by severity.
	GapList                 []coverage.Gap
	Errors, Warnings, Infos int
	// Findings is what the posture found wrong with the pods' protection: gaps too, for
	// --fail-on and --exit-code, but none of the trail's.
	Findings []coverage.Gap
	// Protection is the network-policy posture, bounded; nil without one.
	Protection *PostureView
}

// Section is a bounded list of changes.
type Section struct {
	Title string
	Kind  string
	Rows  []ChangeRow
	// Total is how many changes there are; More how many are not shown.
	Total int
	More  int
	// Empty is what to say when there is no change: "none" only where the trail could
	// have shown one.
	Empty string
}

// ChangeRow is one change as a table row.
type ChangeRow struct {
	Time      string
	Action    string
	Kind      string
	Namespace string
	Name      string
	// Object is namespace/name, or the name of a cluster-scoped object.
	Object    string
	User      string
	Verb      string
	SourceIP  string
	UserAgent string
	Code      string
	Baseline  string
	Note      string
	Diff      []DiffLine
	DiffMore  int
	AuditID   string
	// ID is the row's short name, which finds it in the JSON (id) and CSV outputs.
	ID     string
	Source string
}

// DiffLine is one changed field, as text.
type DiffLine struct {
	Path string
	Op   string
	Old  string
	New  string
}

// Text writes a diff line for reading: "spec.x: 80 → 443".
func (d DiffLine) Text() string { return string(appendDiffLine(nil, d.Path, d.Op, d.Old, d.New)) }

// appendDiffLine appends what DiffLine.Text writes, from a field change's raw values too.
func appendDiffLine[T ~string | ~[]byte](b []byte, path, op string, old, new T) []byte {
	b = append(b, path...)
	switch op {
	case history.OpAdded, history.OpSet:
		return append(append(b, ": "...), new...)
	case history.OpRemoved:
		b = append(append(b, ": removed (was "...), old...)
		return append(b, ')')
	}
	b = append(append(append(b, ": "...), old...), " → "...)
	return append(b, new...)
}

// Chart is changes per time bucket, stacked by kind.
type Chart struct {
	// Kinds in stacking order; Buckets in time order.
	Kinds   []string
	Buckets []ChartBucket
	// Step is the bucket width: an hour for periods up to three days, else a day.
	Step time.Duration
	Max  int
}

// ChartBucket is one bar.
type ChartBucket struct {
	Start  time.Time
	Counts []int
	Total  int
}

// firstN keeps the first n of the items added in the order a stable sort by cmp gives
// them, without keeping or sorting the rest: a section shows a few rows of tens of
// thousands of changes.
type firstN[T any] struct {
	n     int
	cmp   func(a, b T) int
	top   []T
	total int
}

func (f *firstN[T]) add(it T) {
	f.total++
	n := f.n
	if len(f.top) == n && (n == 0 || f.cmp(it, f.top[n-1]) >= 0) {
		return // not before the last kept: an equal one came first
	}
	// After every kept one that is not after it, as a stable sort puts it.
	at, _ := slices.BinarySearchFunc(f.top, it, func(kept, it T) int {
		if f.cmp(kept, it) <= 0 {
			return -1
		}
		return 1
	})
	if len(f.top) < n {
		f.top = append(f.top, it)
	}
	copy(f.top[at+1:], f.top[at:len(f.top)-1])
	f.top[at] = it
}

// Views builds a report's View once for the renderers of a run that show it: building one
// reads every row of the histories, which may be on disk, and the PDF, HTML and Markdown
// of one run show the same view. A View is not changed once built, so renderers share it.
type Views struct {
	mu    sync.Mutex
	r     *report.Report
	built map[int]func() *View // by maxRows
}

// View returns the view of r with sections of at most maxRows rows, built on the first
// call for r and maxRows. A nil Views builds a new one each time.
func (vs *Views) View(r *report.Report, maxRows int) *View {
	if vs == nil {
		return NewView(r, maxRows)
	}
	vs.mu.Lock()
	if vs.r != r {
		vs.r, vs.built = r, map[int]func() *View{}
	}
	build := vs.built[maxRows]
	if build == nil {
		build = sync.OnceValue(func() *View { return NewView(r, maxRows) })
		vs.built[maxRows] = build
	}
	vs.mu.Unlock()
	return build()
}

// NewView builds the view of r with sections of at most maxRows rows (0: DefaultMaxRows).
func NewView(r *report.Report, maxRows int) *View {
	if maxRows <= 0 {
		maxRows = DefaultMaxRows
	}
	v := &View{Report: r, MaxRows: maxRows}
	v.GapList, v.Findings = splitGaps(r.Gaps)
	for _, g := range v.GapList {
		switch g.Severity {
		case coverage.SeverityError:
			v.Errors++
		case coverage.SeverityWarning:
			v.Warnings++
		default:
			v.Infos++
		}
	}
	// An item is a change by its head: its place in its object's history, its time and
	// auditID.
	type item struct {
		res *history.Resource
		j   int
		h   history.Head
	}
	byTime := func(a, b item) int {
		if c := a.h.Time.Compare(b.h.Time); c != 0 {
			return c
		}
		return strings.Compare(a.h.AuditID, b.h.AuditID)
	}
	// The histories' heads are read once, keeping each section's first rows: they may be
	// on disk, and a section shows a few rows of tens of thousands. The changes shown are
	// read whole afterwards.
	byKind := map[string]*firstN[item]{}
	var kinds []string
	policy := &firstN[item]{n: maxRows, cmp: byTime}
	var first, last time.Time // of the changes, for the chart
	for i := range r.Resources {
		res := &r.Resources[i]
		for j, h := range res.Heads() {
			if h.Class != history.ClassConfiguration || h.NoOp {
				continue
			}
			if first.IsZero() || h.Time.Before(first) {
				first = h.Time
			}
			if h.Time.After(last) {
				last = h.Time
			}
			k := KindLabel(res.Kind, res.Group)
			top := byKind[k]
			if top == nil {
				top = &firstN[item]{n: maxRows, cmp: byTime}
				byKind[k] = top
				kinds = append(kinds, k)
			}
			top.add(item{res, j, h})
			if isPolicyKind(res) {
				policy.add(item{res, j, h})
			}
		}
	}
	shown := map[*history.Resource]map[int]*history.Change{}
	for _, top := range append(slices.Collect(maps.Values(byKind)), policy) {
		for _, it := range top.top {
			if shown[it.res] == nil {
				shown[it.res] = map[int]*history.Change{}
			}
			shown[it.res][it.j] = nil
		}
	}
	for res, changes := range shown {
		for j, c := range res.Changes() {
			if _, ok := changes[j]; ok {
				changes[j] = c
			}
		}
	}
	section := func(title, kind string, top *firstN[item]) Section {
		s := Section{Title: title, Kind: kind, Total: top.total, More: top.total - len(top.top)}
		for _, it := range top.top {
			// A change not read back (the store failed: the report's Err says so, and the
			// run fails) has no row.
			if c := shown[it.res][it.j]; c != nil {
				s.Rows = append(s.Rows, row(it.res, c))
			}
		}
		return s
	}
	v.PolicyChanges = section("Network policy changes", "NetworkPolicy", policy)
	v.PolicyChanges.Empty = v.noneText("networkpolicies", "a network policy")
	sort.Strings(kinds)
	for _, k := range kinds {
		v.Changes = append(v.Changes, section(k+" changes", k, byKind[k]))
	}
	for i, f := range r.Failed() {
		if i == maxRows {
			v.FailedMore = r.FailedCount() - maxRows
			break
		}
		f.ID = rowID(f.ID, f.AuditID)
		v.Failed = append(v.Failed, *f)
	}
	v.Chart = chart(r, kinds, first, last)
	v.Protection = newPostureView(r, maxRows)
	return v
}

// VerdictText names what the verdict judges, the completeness of the audit trail, so that
// it is not read as the verdict on the control the trail is evidence for.
func VerdictText(verdict string) string {
	if verdict == coverage.VerdictPass {
		return "Trail complete"
	}
	return "Trail incomplete"
}

// Statement is what the report covers, as every format shows it (computed for a report
// saved before it carried one).
func (v *View) Statement() []report.ScopeLine { return Statement(v.Report) }

// Statement is r's scope statement.
func Statement(r *report.Report) []report.ScopeLine {
	if len(r.Statement) > 0 {
		return r.Statement
	}
	return report.ScopeStatement(r)
}

// VerdictText is the report's verdict in words.
func (v *View) VerdictText() string { return VerdictText(v.Verdict) }

// NoGapsText is what a report without gaps says: over which span, on which API servers.
func (v *View) NoGapsText() string { return noGapsText(v.Report) }

// splitGaps tells the trail's gaps from the posture's findings, each in the report's order.
func splitGaps(gaps []coverage.Gap) (trail, findings []coverage.Gap) {
	for _, g := range gaps {
		if report.IsPostureGap(g.Type) {
			findings = append(findings, g)
		} else {
			trail = append(trail, g)
		}
	}
	return trail, findings
}

// FindingsText counts the posture's findings by severity, for a summary.
func (v *View) FindingsText() string {
	if len(v.Findings) == 0 {
		return "none"
	}
	bySeverity := map[string]int{}
	for _, g := range v.Findings {
		bySeverity[g.Severity]++
	}
	var parts []string
	for _, sev := range [...][3]string{{coverage.SeverityError, "error", "errors"}, {coverage.SeverityWarning, "warning", "warnings"}, {coverage.SeverityInfo, "note", "notes"}} {
		if n := bySeverity[sev[0]]; n > 0 {
			parts = append(parts, units.Counted(n, sev[1], sev[2]))
		}
	}
	return strings.Join(parts, ", ") + " about the pods' network-policy protection (not gaps in the trail)"
}

// TopActors is how many actors the documents list: those with the most changes, then
// failed attempts, then subresource writes.
const TopActors = 10

// ActorsMore says that the documents' list of actors leaves some out, and where they all are;
// "" when it lists them all.
func ActorsMore(s report.Summary) string {
	if n := len(s.Actors); n > TopActors {
		return fmt.Sprintf("The %d of %d actors with the most changes, then failed attempts, then subresource writes; summary.actors in the JSON report (--format json) lists every one.", TopActors, n)
	}
	return ""
}

// ActorsMore is ActorsMore of the report's summary, for templates.
func (v *View) ActorsMore() string { return ActorsMore(v.Summary) }

// ReadText says how many events were read and from how many inputs, with the events the
// inputs hold counted apart when some were exact repeats read once (a rotated copy, an export
// given twice): the inputs' counts then add up to more than the events read.
func ReadText(r *report.Report) string {
	var held int64
	for _, in := range r.Inputs {
		held += in.Events
	}
	s := units.Counted(r.Summary.Events, "event", "events") + " read from " + units.Counted(len(r.Inputs), "input", "inputs")
	if held > r.Summary.Events {
		var parts []string
		if d := r.Summary.Duplicates; d > 0 {
			parts = append(parts, units.Counted(d, "exact repeat", "exact repeats")+" read once")
		}
		if c := r.Summary.ConflictingRepeats; c > 0 {
			parts = append(parts, units.Counted(c, "repeat", "repeats")+" of an event with other bytes left out")
		}
		if rest := held - r.Summary.Events - r.Summary.Duplicates - r.Summary.ConflictingRepeats; rest > 0 {
			parts = append(parts, fmt.Sprintf("%d more, repeats not told apart", rest))
		}
		s += fmt.Sprintf(" (the inputs hold %d: %s)", held, strings.Join(parts, ", "))
	}
	return s
}

// ReadText is ReadText of the report, for templates.
func (v *View) ReadText() string { return ReadText(v.Report) }

// ChangesText says to how many objects the period's writes went, and what they were: a
// configuration change, a no-op or a subresource write each; then the deletecollection
// requests (requests, not changes: the objects they removed are the changes), the failed
// attempts and the dry runs, which stored nothing. An object counts once whatever its writes
// were, so it is not said to have had a configuration change unless the counts show one;
// creates that do not name their object are counted apart.
func ChangesText(s report.Summary) string {
	objects := units.Counted(s.Objects, "object", "objects")
	if s.Unnamed > 0 {
		objects += fmt.Sprintf(" (and %s)", units.Counted(s.Unnamed, "create whose object's name is not in the trail", "creates whose objects' names are not in the trail"))
	}
	var collections string
	if s.DeleteCollections > 0 {
		collections = units.Counted(s.DeleteCollections, "deletecollection request", "deletecollection requests") + " (the objects they removed are among the changes), "
	}
	return fmt.Sprintf("%s written to in the period: %s, %s, %s; apart from them: %s%s, %s.",
		objects, units.Counted(s.Changes, "configuration change", "configuration changes"),
		units.Counted(s.NoOp, "no-op write", "no-op writes"), units.Counted(s.SubresourceChanges, "subresource write", "subresource writes"),
		collections, units.Counted(s.FailedAttempts, "failed attempt", "failed attempts"), units.Counted(s.DryRuns, "dry run", "dry runs"))
}

// ChangesText is ChangesText of the report's summary, for templates.
func (v *View) ChangesText() string { return ChangesText(v.Summary) }

func noGapsText(v *report.Report) string {
	servers := 0
	if len(v.Coverage) > 0 {
		servers = len(v.Coverage[0].Sources)
	}
	span := "over the whole period"
	switch {
	case v.Period.Start == nil && v.Period.End == nil:
		span = "over the span of the logs themselves (no period was given: from the first event to the last)"
	case v.Period.Start == nil:
		span = "from the first event to the end of the period (no start was given)"
	case v.Period.End == nil:
		span = "from the start of the period to the report's time (no end was given)"
	}
	return fmt.Sprintf("No gaps in the trail: every required kind was audited with bodies on each of the %d API server(s) in the inputs, %s.", servers, span)
}

// NoFailedText is what to say when no refused write was read: that none was refused only
// where the trail is complete.
func (v *View) NoFailedText() string {
	if v.Verdict != coverage.VerdictPass {
		return "No refused write in the logs read; the trail is incomplete (see the gaps), so some may be missing."
	}
	return "No write was refused in the period."
}

// NoChangesText is what to say when the period has no configuration change at all.
func (v *View) NoChangesText() string {
	return v.noneText("", "an object in scope")
}

// noneText says that no change to what (a required resource, or "" for every kind) was
// found, in words that hold: unknown when the kind was not audited in the period, and
// qualified when the trail is incomplete.
func (v *View) noneText(resource, what string) string {
	for _, c := range v.Coverage {
		if resource != "" && c.Resource != resource || resource == "" && c.Status != coverage.StatusNeverAudited && c.Status != coverage.StatusUnknown {
			continue
		}
		switch c.Status {
		case coverage.StatusNeverAudited, coverage.StatusUnknown:
			return fmt.Sprintf("Unknown: no input has any event of %s in the period (see the gaps), so whether any changed cannot be told.", c.Kind)
		case coverage.StatusNoWrites:
			if resource != "" {
				return fmt.Sprintf("No change to %s was logged in the period; with no write of %s to judge by, the logs cannot show that writes would have been logged (see the gaps).", what, c.Kind)
			}
		}
	}
	if v.Verdict != coverage.VerdictPass {
		return fmt.Sprintf("No change to %s in the logs read; the trail is incomplete (see the gaps), so changes may be missing.", what)
	}
	return fmt.Sprintf("No change to %s in the period.", what)
}

// rowID is a row's ID, or, in a report saved before rows had IDs, the short form of its
// auditID.
func rowID(id, auditID string) string {
	if id != "" {
		return id
	}
	return history.ShortID(auditID, 8)
}

// KindLabel names a kind for a reader: Calico's kinds share names with Kubernetes' own
// (NetworkPolicy), so they are called Calico's.
func KindLabel(kind, group string) string {
	if strings.HasSuffix(group, "projectcalico.org") && !strings.HasPrefix(kind, "Calico ") {
		return "Calico " + kind
	}
	return kind
}

// isPolicyKind tells the kinds whose changes make the policy audit.
func isPolicyKind(res *history.Resource) bool {
	switch res.Resource {
	case "networkpolicies", "globalnetworkpolicies", "stagednetworkpolicies", "stagedglobalnetworkpolicies", "networksets", "globalnetworksets",
		"tiers", "adminnetworkpolicies", "baselineadminnetworkpolicies":
		return !res.Collection
	}
	return false
}

func row(res *history.Resource, c *history.Change) ChangeRow {
	obj := res.Name
	if res.Namespace != "" {
		obj = res.Namespace + "/" + res.Name
	}
	if res.Name == "" {
		obj = res.Namespace + "/(name not logged)"
		if res.Collection {
			obj = res.Namespace + "/* (collection)"
		}
	}
	verb := c.Verb
	if c.Subresource != "" {
		verb += " " + c.Subresource
	}
	r := ChangeRow{Time: Time(c.Time), Action: c.Action, Kind: KindLabel(res.Kind, res.Group), Namespace: res.Namespace, Name: res.Name, Object: obj,
		User: UserText(c.User, c.ImpersonatedUser), Verb: verb, SourceIP: strings.Join(c.SourceIPs, ", "), UserAgent: c.UserAgent, Baseline: c.Baseline,
		Note: c.Note, AuditID: c.AuditID, ID: rowID(c.ID, c.AuditID), Source: c.Source}
	if c.Code != 0 {
		r.Code = fmt.Sprint(c.Code)
	}
	diff := c.Diff
	if c.Action == history.ActionCreated {
		// The row already names the object; its identity fields add nothing.
		diff = nil
		for _, d := range c.Diff {
			if !identity[d.Path] {
				diff = append(diff, d)
			}
		}
	}
	for i, d := range diff {
		if i == maxDiffLines {
			r.DiffMore = len(diff) - maxDiffLines
			break
		}
		r.Diff = append(r.Diff, DiffLine{Path: d.Path, Op: d.Op, Old: short(string(d.Old)), New: short(string(d.New))})
	}
	return r
}

// identity are the fields of a created object that its row already shows.
var identity = map[string]bool{"apiVersion": true, "kind": true, "metadata.name": true, "metadata.namespace": true,
	"metadata.uid": true, "metadata.creationTimestamp": true, "metadata.generateName": true}

// short cuts a value for a table cell; the JSON output has it whole.
func short(s string) string {
	const limit = 160
	if len([]rune(s)) <= limit {
		return s
	}
	r := []rune(s)
	return string(r[:limit]) + fmt.Sprintf("… (%d characters)", len(r))
}

// UserText names who made a request, the same way in every format: the user, or, when it
// impersonated another, the identity it acted as (which the summaries count a write to)
// and who impersonated it, in words that read one way only:
// "carol@example.com (impersonated by alice@example.com)".
func UserText(user, impersonated string) string {
	if impersonated == "" {
		return user
	}
	return impersonated + " (impersonated by " + user + ")"
}

// Time formats a time for a document: UTC, to the second.
func Time(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04:05Z")
}

// PeriodText writes the period in words.
func PeriodText(p report.Period) string {
	start, end := "the first event", "the last event"
	if p.Start != nil {
		start = Time(*p.Start)
	}
	if p.End != nil {
		end = Time(*p.End)
	}
	return start + " to " + end
}

// Span is the span a report covers, as its scope statement says it: the period as given, and
// where it gives no start, the first event of the logs read; where it gives no end, the
// report's time if it gives a start (the period runs to now), else the last event. A bound is nil when
// neither gives one: no event was read, or the logs end before a start given (begin after an
// end given).
func Span(r *report.Report) (start, end *time.Time) {
	start, end = r.Period.Start, r.Period.End
	var first, last *time.Time
	for _, in := range r.Inputs {
		if in.FirstEvent != nil && (first == nil || in.FirstEvent.Before(*first)) {
			first = in.FirstEvent
		}
		if in.LastEvent != nil && (last == nil || in.LastEvent.After(*last)) {
			last = in.LastEvent
		}
	}
	if start == nil && first != nil && (end == nil || first.Before(*end)) {
		start = first
	}
	if end == nil && r.Period.Start != nil && !r.GeneratedAt.IsZero() && !r.GeneratedAt.Before(*r.Period.Start) {
		// A period given a start and no end runs to the report's time, as the statement,
		// the coverage and the posture count it.
		g := r.GeneratedAt
		return start, &g
	}
	if end == nil && last != nil && (start == nil || !last.Before(*start)) {
		end = last
	}
	return start, end
}

// chart buckets configuration changes by time and kind; first and last are the times of
// the first and last of them (zero without any).
func chart(r *report.Report, kinds []string, first, last time.Time) Chart {
	if r.Period.Start != nil {
		first = *r.Period.Start
	}
	if r.Period.End != nil && r.Period.End.Before(r.GeneratedAt) {
		last = *r.Period.End
	}
	ch := Chart{Kinds: kinds, Step: time.Hour}
	if first.IsZero() || !last.After(first) {
		return ch
	}
	if last.Sub(first) > 72*time.Hour {
		ch.Step = 24 * time.Hour
	}
	start := first.UTC().Truncate(ch.Step)
	n := int(last.Sub(start)/ch.Step) + 1
	if n > 400 {
		n = 400
	}
	idx := map[string]int{}
	for i, k := range kinds {
		idx[k] = i
	}
	ch.Buckets = make([]ChartBucket, n)
	for i := range ch.Buckets {
		ch.Buckets[i] = ChartBucket{Start: start.Add(time.Duration(i) * ch.Step), Counts: make([]int, len(kinds))}
	}
	for i := range r.Resources {
		res := &r.Resources[i]
		for _, h := range res.Heads() {
			if h.Class != history.ClassConfiguration || h.NoOp {
				continue
			}
			b := int(h.Time.Sub(start) / ch.Step)
			if b < 0 || b >= n {
				continue
			}
			ch.Buckets[b].Counts[idx[res.Kind]]++
			ch.Buckets[b].Total++
		}
	}
	for _, b := range ch.Buckets {
		if b.Total > ch.Max {
			ch.Max = b.Total
		}
	}
	return ch
}

// ChartSegment is one kind's part of one bar, as fractions of the tallest bar (0 at the base).
type ChartSegment struct {
	Bucket, Kind int
	Count        int
	From, To     float64
}

// Segments lists the stacked bar segments, bucket by bucket, kinds in order.
func (c Chart) Segments() []ChartSegment {
	var out []ChartSegment
	if c.Max == 0 {
		return nil
	}
	for i, b := range c.Buckets {
		base := 0
		for k, n := range b.Counts {
			if n == 0 {
				continue
			}
			out = append(out, ChartSegment{Bucket: i, Kind: k, Count: n,
				From: float64(base) / float64(c.Max), To: float64(base+n) / float64(c.Max)})
			base += n
		}
	}
	return out
}

// ChartLabel is a time label under a bucket.
type ChartLabel struct {
	Bucket int
	Text   string
}

// Labels are the time labels under the first, middle and last bucket.
func (c Chart) Labels() []ChartLabel {
	if len(c.Buckets) == 0 {
		return nil
	}
	var out []ChartLabel
	for _, i := range []int{0, len(c.Buckets) / 2, len(c.Buckets) - 1} {
		label := c.Buckets[i].Start.UTC().Format("01-02 15:04")
		if c.Step >= 24*time.Hour {
			label = c.Buckets[i].Start.UTC().Format("2006-01-02")
		}
		out = append(out, ChartLabel{Bucket: i, Text: label})
	}
	return out
}
