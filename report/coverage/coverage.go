// Package coverage proves how complete an audit trail is: for each kind a report requires,
// whether every API server logged its writes with the bodies a history needs; every gap
// that makes the trail incomplete (an API server missing, a time hole, a file cut short, a
// policy that drops a kind); and the audit policy files, checked with the API server's own
// evaluator against the same requirements.
package coverage

import (
	"fmt"
	"math"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/auditreport/auditreport/audit"
	"github.com/auditreport/auditreport/report/history"
)

// Coverage statuses.
const (
	StatusOK           = "ok"
	StatusNeverAudited = "never-audited"
	StatusMetadataOnly = "metadata-only"
	// StatusNoBodies means writes, none with bodies, and none with a level logged: the
	// trail does not say whether the audit policy or what carried the log left them out.
	StatusNoBodies = "no-bodies"
	StatusPartial  = "partial"
	// StatusNoWrites means events but no write: reads cannot show how writes are audited.
	StatusNoWrites = "no-writes"
	// StatusQuiet means no event of the kind in the period, but writes of it at
	// RequestResponse before it in the same inputs: the policy records it, and the period
	// had none of its writes or lost them.
	StatusQuiet = "quiet"
	// StatusUnknown means no input has any event in the period: nothing can be said.
	StatusUnknown = "unknown"
	// StatusBodiesDropped means writes logged at a level with bodies, but some of whose
	// bodies the log dropped for their size: the audit policy is right, yet those changes
	// cannot be diffed.
	StatusBodiesDropped = "bodies-dropped"
)

// Gap severities, highest first.
const (
	SeverityError   = "error"
	SeverityWarning = "warning"
	SeverityInfo    = "info"
)

// SeverityRank orders severities: info 1, warning 2, error 3; unknown 0.
func SeverityRank(s string) int {
	switch s {
	case SeverityInfo:
		return 1
	case SeverityWarning:
		return 2
	case SeverityError:
		return 3
	}
	return 0
}

// Gap types.
const (
	GapNeverAudited       = "never-audited"
	GapMetadataOnly       = "metadata-only"
	GapNoBodies           = "no-bodies"
	GapPartial            = "partial"
	GapNoWrites           = "no-writes-seen"
	GapQuietKind          = "quiet-kind"
	GapLostWrite          = "lost-write"
	GapNodeMissingKind    = "node-missing-kind"
	GapNotAPIServer       = "no-required-kind"
	GapTimeHole           = "time-hole"
	GapPeriodNotCovered   = "period-not-covered"
	GapTruncated          = "truncated"
	GapUnreadable         = "unreadable"
	GapConflicting        = "conflicting-repeat"
	GapUnknownBaseline    = "unknown-baseline"
	GapPolicyNotDeployed  = "policy-not-deployed"
	GapPolicyInsufficient = "policy-insufficient"
	GapOutOfOrder         = "out-of-order"
)

// Verdicts.
const (
	VerdictPass = "pass"
	VerdictGaps = "gaps"
)

// APIServers is what the report knows of the cluster's API servers: those the user said
// exist (--api-servers), and those seen in the inputs (with events of a required kind).
type APIServers struct {
	Expected int      `json:"expected,omitempty"`
	Named    []string `json:"named,omitempty"`
	Seen     []string `json:"seen"`
}

// Requirement is a kind the audit trail must cover. NetworkPolicy is one requirement met by
// either of its groups (extensions was removed in Kubernetes 1.16).
type Requirement struct {
	Kind  string
	Kinds []audit.Kind
	// Conditional requirements bind only when the trail shows the kind in use.
	Conditional bool
}

// ConditionalRequirements are policy kinds the trail must cover only where it shows that the
// cluster uses them (any event of the kind, reads included): Calico's, through its API server
// (projectcalico.org) or its CRDs (crd.projectcalico.org), either covering the kind, and the
// AdminNetworkPolicy API. A cluster without Calico has no such event, and owes none. --require
// makes one required everywhere; the policy check asks for them only then.
var ConditionalRequirements = []Requirement{
	calico("Calico NetworkPolicy", "networkpolicies"),
	calico("Calico GlobalNetworkPolicy", "globalnetworkpolicies"),
	calico("Calico StagedNetworkPolicy", "stagednetworkpolicies"),
	calico("Calico StagedGlobalNetworkPolicy", "stagedglobalnetworkpolicies"),
	calico("Calico NetworkSet", "networksets"),
	calico("Calico GlobalNetworkSet", "globalnetworksets"),
	calico("Calico Tier", "tiers"),
	{Kind: "AdminNetworkPolicy", Kinds: []audit.Kind{{Group: "policy.networking.k8s.io", Resource: "adminnetworkpolicies"}}, Conditional: true},
	{Kind: "BaselineAdminNetworkPolicy", Kinds: []audit.Kind{{Group: "policy.networking.k8s.io", Resource: "baselineadminnetworkpolicies"}}, Conditional: true},
}

func calico(kind, resource string) Requirement {
	return Requirement{Kind: kind, Conditional: true,
		Kinds: []audit.Kind{{Group: "projectcalico.org", Resource: resource}, {Group: "crd.projectcalico.org", Resource: resource}}}
}

// ConditionalKinds are the kinds of ConditionalRequirements.
func ConditionalKinds() []audit.Kind {
	var out []audit.Kind
	for _, r := range ConditionalRequirements {
		out = append(out, r.Kinds...)
	}
	return out
}

// WithConditional adds to reqs the conditional requirements none of whose kinds reqs
// already holds (--require made those required everywhere).
func WithConditional(reqs []Requirement) []Requirement {
	out := append([]Requirement(nil), reqs...)
	for _, c := range ConditionalRequirements {
		held := false
		for _, r := range reqs {
			for _, k := range r.Kinds {
				held = held || slices.Contains(c.Kinds, k)
			}
		}
		if !held {
			out = append(out, c)
		}
	}
	return out
}

// DefaultRequirements are the kinds network policy depends on.
var DefaultRequirements = []Requirement{
	{Kind: "Pod", Kinds: []audit.Kind{{Resource: "pods"}}},
	{Kind: "Namespace", Kinds: []audit.Kind{{Resource: "namespaces"}}},
	{Kind: "ServiceAccount", Kinds: []audit.Kind{{Resource: "serviceaccounts"}}},
	{Kind: "Endpoints", Kinds: []audit.Kind{{Resource: "endpoints"}}},
	{Kind: "NetworkPolicy", Kinds: []audit.Kind{{Group: "networking.k8s.io", Resource: "networkpolicies"}, {Group: "extensions", Resource: "networkpolicies"}}},
}

// Coverage is what the inputs recorded of one required kind, over all sources and per
// source (an API server: rotated files of one server count as one).
type Coverage struct {
	Kind     string `json:"kind"`
	Group    string `json:"group"`
	Resource string `json:"resource"`
	CoverageCounts
	Changes int64            `json:"changes"`
	Sources []SourceCoverage `json:"sources"`
}

// CoverageCounts are the counts behind a coverage status.
type CoverageCounts struct {
	// Events counts events of the kind in the period, reads included.
	Events int64 `json:"events"`
	// Writes counts write requests that took effect, once each (by their final stage); Verbs
	// splits them by verb ("patch", "update/status"). DryRuns and Refused count the write
	// requests that asked for a dry run or that the API server refused, apart: they changed
	// nothing.
	Writes  int64            `json:"writes"`
	Verbs   map[string]int64 `json:"verbs"`
	DryRuns int64            `json:"dryRuns"`
	Refused int64            `json:"refused"`
	// MaxLevel is the highest level a write was logged at; Levels has it per key of Verbs.
	// Writes, WritesWithBodies, BodiesDropped and MaxLevel count configuration writes only:
	// subresource writes are in Verbs and Levels, and do not decide the status. Unless there
	// was no configuration write: then, with Subresources set, they count the subresource
	// writes that change the object's configuration (finalize, binding, eviction,
	// ephemeralcontainers, ...), which are then the kind's writes and decide its status.
	// Status writes never do: the audit policy may log that churn without bodies on purpose
	// (auditreport policy generate does), and sessions and tokens leave the object as it was.
	MaxLevel     string            `json:"maxLevel,omitempty"`
	Levels       map[string]string `json:"levels"`
	Subresources bool              `json:"subresources,omitempty"`
	// Bodies says whether every write carried a request or response object;
	// WritesWithBodies counts those that did. BodiesDropped counts those that did not because
	// the log says their bodies were dropped for their size (audit.k8s.io/truncated,
	// skipped-too-big-size-object): the audit policy logged them with bodies. The other
	// writes were logged without bodies.
	Bodies           bool   `json:"bodies"`
	WritesWithBodies int64  `json:"writesWithBodies"`
	BodiesDropped    int64  `json:"bodiesDropped"`
	Status           string `json:"status"`
}

// SourceCoverage is one API server's part of a Coverage row.
type SourceCoverage struct {
	Source string `json:"source"`
	CoverageCounts
}

// Gap is one way in which the audit trail is incomplete.
type Gap struct {
	Type     string     `json:"type"`
	Severity string     `json:"severity"`
	Group    string     `json:"group,omitempty"`
	Resource string     `json:"resource,omitempty"`
	Source   string     `json:"source,omitempty"`
	From     *time.Time `json:"from,omitempty"`
	To       *time.Time `json:"to,omitempty"`
	// Count is how many events, values or objects the gap is about, where it counts any.
	Count   int64  `json:"count,omitempty"`
	Message string `json:"message"`
	// Rule names the rule that decided the gap, with its threshold, where more than one
	// could have (the presence of API servers over the period).
	Rule        string `json:"rule,omitempty"`
	Remediation string `json:"remediation,omitempty"`
}

// Score says in one number how much of the required coverage the inputs show: the share
// of (required kind, API server) cells whose status is ok.
type Score struct {
	Percent int `json:"percent"`
	// Covered of Cells are ok; KindsOK of Kinds required kinds are ok on every source.
	Covered int    `json:"covered"`
	Cells   int    `json:"cells"`
	KindsOK int    `json:"kindsOK"`
	Kinds   int    `json:"kinds"`
	Text    string `json:"text"`
}

// HoleRule decides when a stretch without events is a hole: longer than Min, and longer
// than Factor times the median of that source's own gaps (taken as the upper bound of its
// power-of-two bucket). A source that logs every few seconds and then nothing for half an
// hour has a hole; a quiet source that logs every twenty minutes, all day, has none. With
// gaps spread as in a Poisson stream, a gap of 20 medians (about 14 means) happens by chance
// about once in a million gaps.
type HoleRule struct {
	Min    time.Duration `json:"min"`
	Factor float64       `json:"factor"`
	// MinGaps is how many gaps a source needs before its rhythm is judged.
	MinGaps int64 `json:"minGaps"`
}

// DefaultHoleRule is the documented default (docs/coverage.md).
var DefaultHoleRule = HoleRule{Min: 15 * time.Minute, Factor: 20, MinGaps: 20}

// rotation matches what log rotation adds to a file name.
var rotation = regexp.MustCompile(`(-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}(\.\d+)?)|(\.gz$)|(\.\d+$)`)

// sourceKey names the API server an input comes from: the node it names, or its path
// without what rotation adds (kube-audit-2026-11-01T12-00-00.000.log.gz and kube-audit.log
// in one folder are one server).
func sourceKey(in *audit.Input) string {
	if len(in.Nodes) == 1 {
		return in.Nodes[0]
	}
	if len(in.Nodes) > 1 || in.Source == "-" {
		return in.Source
	}
	base := filepath.Base(in.Source)
	for {
		b := rotation.ReplaceAllString(base, "")
		if b == base {
			break
		}
		base = b
	}
	return filepath.Join(filepath.Dir(in.Source), base)
}

// Numbered files. A log shipper's or an export's split of one API server's log
// (kube-audit-00001.log, kube-audit-00002.log, ...) carries no rotation suffix, and node names
// carry numbers too (ip-10-0-1-123.log, ip-10-0-1-124.log): the names alone cannot tell one
// server's split from several servers. The times can: one server's files follow one another,
// while servers running side by side log at the same time.

// digitRun matches a run of digits in a file name.
var digitRun = regexp.MustCompile(`\d+`)

// chainNumbered joins, into one API server, files of one folder whose names differ only in one
// run of digits and whose events follow one another: each file's first event at or after the
// last event of the one before it, less window (events may stand that far out of order).
// Their parts get one key, the name with that run written first..last. Files named alike whose
// events overlap stay apart, in as few servers as the overlap allows, as do files whose
// identity leases show two API servers. Files keyed by a node name, and files without events,
// are left as they are. It returns, by input, the note that says which rule joined it.
func chainNumbered(inputs []audit.Input, all [][]part, window time.Duration) map[int][]string {
	type file struct {
		key         string
		first, last time.Time
		lease       string // the identity lease it renews most, "" when none
		inputs      []int
	}
	files := map[string]*file{}
	var keys []string
	for i, ps := range all {
		if len(ps) != 1 || !ps[0].named || ps[0].first.IsZero() {
			continue
		}
		p := ps[0]
		f := files[p.key]
		if f == nil {
			f = &file{key: p.key, first: p.first, last: p.last}
			files[p.key] = f
			keys = append(keys, p.key)
		}
		f.first, f.last = minTime(f.first, p.first), maxTime(f.last, p.last)
		f.inputs = append(f.inputs, i)
		var most int64
		for _, l := range p.leases {
			if l.Writes > most {
				f.lease, most = l.Name, l.Writes
			}
		}
	}
	type member struct {
		f      *file
		digits string
	}
	families := map[string][]member{}
	var patterns []string
	sort.Strings(keys)
	for _, k := range keys {
		dir, base := filepath.Split(k)
		for _, at := range digitRun.FindAllStringIndex(base, -1) {
			pat := dir + base[:at[0]] + "\x00" + base[at[1]:]
			if families[pat] == nil {
				patterns = append(patterns, pat)
			}
			families[pat] = append(families[pat], member{f: files[k], digits: base[at[0]:at[1]]})
		}
	}
	// A name with several runs of digits goes with the family in which most names differ
	// from it in one.
	sort.SliceStable(patterns, func(i, j int) bool { return len(families[patterns[i]]) > len(families[patterns[j]]) })
	taken := map[string]bool{}
	rekey := map[string]string{}
	notes := map[int][]string{}
	for _, pat := range patterns {
		var ms []member
		for _, m := range families[pat] {
			if !taken[m.f.key] {
				ms = append(ms, m)
			}
		}
		if len(ms) < 2 {
			continue
		}
		sort.SliceStable(ms, func(i, j int) bool {
			a, b := ms[i].f, ms[j].f
			if !a.first.Equal(b.first) {
				return a.first.Before(b.first)
			}
			return a.last.Before(b.last)
		})
		// Each file follows the chain that ended last before it began (with the same identity
		// lease, where both show one); one that began before every chain ended is another server.
		type chain struct {
			end   time.Time
			lease string
			ms    []member
		}
		var chains []*chain
		for _, m := range ms {
			var best *chain
			for _, c := range chains {
				if m.f.first.Before(c.end.Add(-window)) || (c.lease != "" && m.f.lease != "" && c.lease != m.f.lease) {
					continue
				}
				if best == nil || c.end.After(best.end) {
					best = c
				}
			}
			if best == nil {
				best = &chain{}
				chains = append(chains, best)
			}
			best.ms = append(best.ms, m)
			best.end = maxTime(best.end, m.f.last)
			if best.lease == "" {
				best.lease = m.f.lease
			}
		}
		prefix, suffix, _ := strings.Cut(pat, "\x00")
		for _, c := range chains {
			if len(c.ms) < 2 {
				continue
			}
			key := prefix + c.ms[0].digits + ".." + c.ms[len(c.ms)-1].digits + suffix
			note := fmt.Sprintf("read as one API server's log, %s, with %d other file(s): their names differ only in one run of digits and each file's events begin after those of the one before end (numbered files whose events follow one another, within the %s merge window)",
				key, len(c.ms)-1, round(window))
			if len(chains) > 1 {
				note += fmt.Sprintf("; files named alike whose events overlap these are other API servers (%d in all)", len(chains))
			}
			for _, m := range c.ms {
				taken[m.f.key] = true
				rekey[m.f.key] = key
				for _, i := range m.f.inputs {
					notes[i] = append(notes[i], note)
				}
			}
		}
	}
	for i, ps := range all {
		for j := range ps {
			if k, ok := rekey[ps[j].key]; ok && ps[j].named {
				all[i][j].key = k
				if _, ok := notes[i]; !ok {
					// An input without events of a joined file (an empty rotated copy).
					notes[i] = []string{"read as part of API server " + k}
				}
			}
		}
	}
	return notes
}

// server is what one API server recorded, over the inputs (or the parts of inputs) that
// hold its events.
type server struct {
	key      string
	parts    []part
	events   int64
	kinds    map[audit.Kind]*audit.KindStats
	activity audit.Activity
	first    time.Time
	last     time.Time
	// leases are the identity leases its inputs recorded, by name.
	leases map[string]*audit.Lease
}

// part is one input's events of one API server: the whole input, or, for an input that names
// several API servers on its events, the events of one of them.
type part struct {
	key string
	// named is a part keyed by its file's name (no node names it), which chainNumbered may
	// join with others.
	named       bool
	events      int64
	kinds       map[audit.Kind]*audit.KindStats
	activity    *audit.Activity
	first, last time.Time
	leases      []audit.Lease
}

// parts splits an input by API server when every event in it names one and it names more
// than one; otherwise the input is one part. Events another input holds too (Repeats) are
// left out of the counts, so that each event counts once over all inputs.
func parts(in *audit.Input) []part {
	rep := in.Repeats
	if rep == nil {
		rep = &audit.Counts{}
	}
	if len(in.PerNode) > 1 {
		var n int64
		for _, ns := range in.PerNode {
			n += ns.Events
		}
		if n == in.Events {
			var out []part
			for node, ns := range in.PerNode {
				nr := rep.PerNode[node]
				if nr == nil {
					nr = &audit.Counts{}
				}
				var leases []audit.Lease
				for _, l := range in.Leases {
					if l.Node == node {
						leases = append(leases, l)
					}
				}
				out = append(out, part{key: node, events: ns.Events - nr.Events, kinds: audit.Less(ns.Kinds, nr.Kinds), activity: &ns.Activity, first: ns.FirstEvent, last: ns.LastEvent, leases: leases})
			}
			sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
			return out
		}
	}
	named := len(in.Nodes) == 0 && in.Source != "-"
	return []part{{key: sourceKey(in), named: named, events: in.Events - rep.Events, kinds: audit.Less(in.Kinds, rep.Kinds), activity: &in.Activity, first: in.FirstEvent, last: in.LastEvent, leases: in.Leases}}
}

// groupServers groups the inputs' parts by API server. It returns, by input, the notes that
// say which rule joined an input with others of numbered names, or kept it apart from them
// (see chainNumbered).
func groupServers(inputs []audit.Input, window time.Duration) ([]*server, map[int][]string) {
	all := make([][]part, len(inputs))
	for i := range inputs {
		all[i] = parts(&inputs[i])
	}
	notes := chainNumbered(inputs, all, window)
	byKey := map[string]*server{}
	var out []*server
	for i := range inputs {
		for _, p := range all[i] {
			s := byKey[p.key]
			if s == nil {
				s = &server{key: p.key, kinds: map[audit.Kind]*audit.KindStats{}}
				byKey[p.key] = s
				out = append(out, s)
			}
			s.parts = append(s.parts, p)
		}
	}
	for _, s := range out {
		sort.SliceStable(s.parts, func(i, j int) bool { return s.parts[i].first.Before(s.parts[j].first) })
		var prevLast time.Time
		for _, p := range s.parts {
			s.events += p.events
			addKinds(s.kinds, p.kinds)
			s.addLeases(p.leases)
			s.activity.Merge(p.activity)
			if p.first.IsZero() {
				continue
			}
			// The stretch between one rotated file and the next is a gap too.
			if !prevLast.IsZero() && p.first.After(prevLast) {
				s.activity.Add(audit.Gap{From: prevLast, To: p.first})
			}
			if p.last.After(prevLast) {
				prevLast = p.last
			}
			if s.first.IsZero() || p.first.Before(s.first) {
				s.first = p.first
			}
			if p.last.After(s.last) {
				s.last = p.last
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key < out[j].key })
	return out, notes
}

// addLeases adds what a part recorded of identity leases.
func (s *server) addLeases(leases []audit.Lease) {
	for _, l := range leases {
		if s.leases == nil {
			s.leases = map[string]*audit.Lease{}
		}
		t := s.leases[l.Name]
		if t == nil {
			t = &audit.Lease{Name: l.Name}
			s.leases[l.Name] = t
		}
		t.Writes += l.Writes
		if l.Hostname != "" {
			t.Hostname = l.Hostname
		}
		if t.FirstWrite.IsZero() || (!l.FirstWrite.IsZero() && l.FirstWrite.Before(t.FirstWrite)) {
			t.FirstWrite = l.FirstWrite
		}
		t.LastWrite, t.Created = maxTime(t.LastWrite, l.LastWrite), maxTime(t.Created, l.Created)
		if l.Deleted.After(t.Deleted) {
			t.Deleted, t.DeletedBy = l.Deleted, l.DeletedBy
		}
	}
}

// addKinds adds every kind's counts in src to dst.
func addKinds(dst, src map[audit.Kind]*audit.KindStats) {
	for k, ks := range src {
		t := dst[k]
		if t == nil {
			t = &audit.KindStats{Writes: map[string]int64{}}
			dst[k] = t
		}
		audit.MergeKindStats(t, ks)
	}
}

// counts sums the stats of a requirement's kinds.
func counts(kinds map[audit.Kind]*audit.KindStats, req Requirement) CoverageCounts {
	c := CoverageCounts{Verbs: map[string]int64{}, Levels: map[string]string{}}
	// The subresource writes that change the object's configuration, judged when there is
	// no other write.
	var sub CoverageCounts
	for _, k := range req.Kinds {
		ks := kinds[k]
		if ks == nil {
			continue
		}
		c.Events += ks.Events
		c.DryRuns += ks.DryRuns
		c.Refused += ks.Refused
		// Writes to subresources (pods/status, pods/binding, ...) are listed in Verbs but
		// judged apart: a policy may well log kubelet status churn without bodies.
		for v, n := range ks.Writes {
			c.Verbs[v] += n
			switch {
			case !strings.Contains(v, "/"):
				c.Writes += n
				c.WritesWithBodies += ks.Bodies[v]
				c.BodiesDropped += ks.Dropped[v]
			case changesConfig(v):
				sub.Writes += n
				sub.WritesWithBodies += ks.Bodies[v]
				sub.BodiesDropped += ks.Dropped[v]
			}
		}
		for v, l := range ks.Levels {
			if audit.LevelRank(l) > audit.LevelRank(c.Levels[v]) {
				c.Levels[v] = l
			}
			if !strings.Contains(v, "/") && audit.LevelRank(l) > audit.LevelRank(c.MaxLevel) {
				c.MaxLevel = l
			}
			if changesConfig(v) && audit.LevelRank(l) > audit.LevelRank(sub.MaxLevel) {
				sub.MaxLevel = l
			}
		}
	}
	if c.Writes == 0 && sub.Writes > 0 {
		// A namespace finalized, a pod bound: the object changed, and how those writes were
		// logged is what the trail shows of the kind's auditing in the period.
		c.Writes, c.WritesWithBodies, c.BodiesDropped, c.MaxLevel = sub.Writes, sub.WritesWithBodies, sub.BodiesDropped, sub.MaxLevel
		c.Subresources = true
	}
	c.Bodies = c.Writes > 0 && c.WritesWithBodies == c.Writes
	switch {
	case c.Events == 0:
		c.Status = StatusNeverAudited
	case c.Writes == 0:
		// Reads alone cannot show how writes are audited.
		c.Status = StatusNoWrites
	case omitted(c) == c.Writes && c.MaxLevel == "":
		// Not metadata-only: no write logged a level to say so.
		c.Status = StatusNoBodies
	case omitted(c) == c.Writes:
		c.Status = StatusMetadataOnly
	case omitted(c) > 0 || c.MaxLevel != "RequestResponse":
		c.Status = StatusPartial
	case c.BodiesDropped > 0:
		// The policy is not the cause: the truncated gap is this write's, once.
		c.Status = StatusBodiesDropped
	default:
		c.Status = StatusOK
	}
	return c
}

// levelText names an audit level for a message.
func levelText(l string) string {
	if l == "" {
		return "no level logged"
	}
	return "level " + l
}

// leavesObject lists the subresources whose writes leave the object as it was: a session
// opened, a token issued.
var leavesObject = map[string]bool{"exec": true, "attach": true, "portforward": true, "proxy": true, "token": true, "log": true}

// changesConfig says whether writes under a key of Verbs ("update/finalize") are writes to
// a subresource that change the object's configuration: not its status, not a session or
// a token.
func changesConfig(verb string) bool {
	_, sub, ok := strings.Cut(verb, "/")
	return ok && sub != "status" && !leavesObject[sub]
}

// subresourceVerbs lists the keys of Verbs that keep says yes to, with their counts.
func subresourceVerbs(c CoverageCounts, keep func(string) bool) (string, int64) {
	var out []string
	var n int64
	for v, k := range c.Verbs {
		if keep(v) {
			out = append(out, v)
			n += k
		}
	}
	slices.Sort(out)
	for i, v := range out {
		if l := c.Levels[v]; l != "" {
			out[i] += " at " + l
		}
	}
	return strings.Join(out, ", "), n
}

// statusVerb says whether a key of Verbs is a write to the status subresource.
func statusVerb(v string) bool { return strings.HasSuffix(v, "/status") }

// leavesObjectVerb says whether writes under a key of Verbs are to a subresource that leaves
// the object as it was (a session opened, a token issued).
func leavesObjectVerb(v string) bool {
	_, sub, ok := strings.Cut(v, "/")
	return ok && leavesObject[sub]
}

// omitted counts the writes logged without bodies that the log does not say were dropped:
// the audit policy logged them so.
func omitted(c CoverageCounts) int64 {
	return c.Writes - c.WritesWithBodies - c.BodiesDropped
}

// ruleFor is the audit policy rule that makes a kind fully audited, in a sentence.
func ruleFor(req Requirement) string {
	k := req.Kinds[0]
	return fmt.Sprintf(`add a rule with level RequestResponse for group %q, resources [%q] to the audit policy, before any rule that matches them at a lower level (auditreport policy generate prints a complete policy)`, k.Group, k.Resource)
}

// bodiesFix is the remedy for writes of a kind that the audit policy logged without bodies,
// or below RequestResponse. Writes whose bodies were dropped for their size are not its: a
// policy rule would change nothing for them.
func bodiesFix(row Coverage, fix string) string {
	if row.BodiesDropped > 0 {
		fix += "; the writes whose bodies were dropped for their size need a higher --audit-log-truncate-max-event-size / --audit-webhook-truncate-max-event-size instead (the truncated gaps)"
	}
	return fix
}

// Input is what coverage is judged from.
type Input struct {
	// Inputs are what the reader found in each source; Check adds to their notes which
	// files it took for one API server by their numbered names and times.
	Inputs []audit.Input
	// Requirements are the kinds required, the conditional ones among them
	// (WithConditional).
	Requirements []Requirement
	// Start and End bound the period; nil is open.
	Start, End *time.Time
	Now        time.Time
	Holes      HoleRule
	// Policy is the check of the audit policy files given, if any.
	Policy *PolicyCheck
	// OutOfOrder counts events that arrived further behind the merged stream than Window,
	// the reorder window.
	OutOfOrder int64
	Window     time.Duration
	// Expected names the API servers the user says exist; ExpectedN says how many.
	Expected  []string
	ExpectedN int
	// Changes counts each kind's changes in the period, Unknown those with an unknown
	// baseline (history.Counts).
	Changes, Unknown map[audit.Kind]int64
	// Resources are the histories: the default/kubernetes Endpoints' tell which API servers
	// were members of the cluster when.
	Resources []history.Resource
	// Before counts each kind's writes before the period, with the highest level among
	// them: a kind with none in the period is audited all the same when it has some.
	Before map[audit.Kind]BeforeCounts
	// LostDeletions counts the objects created again in the period with no deletion of
	// them in the trail: the API server refuses that, so the deletions were lost.
	LostDeletions int64
}

// BeforeCounts are a kind's writes before the period.
type BeforeCounts struct {
	Writes   int64
	MaxLevel string
}

// Result is the trail's coverage: a row per required kind, every gap, most severe first,
// the score, the verdict, and the API servers expected and seen.
type Result struct {
	Coverage   []Coverage
	Gaps       []Gap
	Score      Score
	Verdict    string
	APIServers *APIServers
}

// Check judges the trail's coverage.
func Check(ci Input) *Result {
	r := &Result{}
	servers, notes := groupServers(ci.Inputs, ci.Window)
	for i, n := range notes {
		// The inputs' notes become the report's: each says which rule grouped the file.
		in := &ci.Inputs[i]
		in.Notes = append(slices.Clip(in.Notes), n...)
	}
	changes, unknown := ci.Changes, ci.Unknown
	// API servers that record none of the required kinds are other logs (OpenShift's
	// oauth-server, an aggregated API server): they are not compared with the others.
	// A server whose events all fall outside the period recorded nothing in it, of any kind:
	// the presence rule judges it, not a comparison of kinds.
	var apiServers, present []*server
	for _, s := range servers {
		any := false
		for _, req := range ci.Requirements {
			if counts(s.kinds, req).Events > 0 {
				any = true
			}
		}
		outside := !s.first.IsZero() && (ci.Start != nil && s.last.Before(*ci.Start) || ci.End != nil && !s.first.Before(*ci.End))
		if any || outside {
			present = append(present, s)
		}
		if any {
			apiServers = append(apiServers, s)
		} else if s.events > 0 && !outside {
			r.Gaps = append(r.Gaps, Gap{Type: GapNotAPIServer, Severity: SeverityInfo, Source: s.key, Count: s.events,
				Message:     fmt.Sprintf("%s records none of the required kinds (%d event(s)): not compared with the API servers", s.key, s.events),
				Remediation: "if this is a kube-apiserver log, its audit policy does not cover the required kinds: deploy the same policy on every control-plane node"})
		}
	}

	var total int64
	r.APIServers = &APIServers{Expected: ci.ExpectedN, Named: ci.Expected, Seen: []string{}}
	for _, s := range apiServers {
		total += s.events
	}
	for _, s := range present {
		r.APIServers.Seen = append(r.APIServers.Seen, s.key)
	}
	pres := presenceGaps(present, ci)
	cells, covered, kindsOK := 0, 0, 0
	all := map[audit.Kind]*audit.KindStats{}
	for _, s := range servers {
		addKinds(all, s.kinds)
	}
	var reqs []Requirement
	for _, req := range ci.Requirements {
		row := Coverage{Kind: req.Kind, Group: req.Kinds[0].Group, Resource: req.Kinds[0].Resource, CoverageCounts: counts(all, req)}
		if req.Conditional && row.Events == 0 {
			// Nothing shows the cluster uses the kind: not required of it.
			continue
		}
		reqs = append(reqs, req)
		for _, k := range req.Kinds {
			row.Changes += changes[k]
		}
		quiet := false
		if row.Status == StatusNeverAudited {
			for _, k := range req.Kinds {
				if b := ci.Before[k]; b.Writes > 0 && b.MaxLevel == "RequestResponse" {
					quiet = true
				}
			}
		}
		if quiet {
			row.Status = StatusQuiet
		}
		// A server with no write of the kind in the period shows nothing either way, nor
		// does one without any event of it when few were to be expected there (see
		// kindGaps): both are left out of the score rather than counted either way.
		allOK := row.Status == StatusOK || quiet
		for _, s := range apiServers {
			sc := SourceCoverage{Source: s.key, CoverageCounts: counts(s.kinds, req)}
			if quiet {
				sc.Status = StatusQuiet
			}
			row.Sources = append(row.Sources, sc)
			switch {
			case sc.Status == StatusOK:
				cells++
				covered++
			case sc.Status == StatusNoWrites, sc.Status == StatusQuiet:
			// A kind never audited anywhere counts against every server; one absent only
			// here is left out when its absence can be chance.
			case sc.Status == StatusNeverAudited && row.Events > 0 && expectedEvents(row.Events, s.events, total) < minExpected:
			default:
				cells++
				allOK = false
			}
		}
		if len(apiServers) == 0 {
			cells++
		}
		if allOK {
			kindsOK++
		}
		if pres.outside {
			// No event in the period at all: not never audited, not known.
			row.Status = StatusUnknown
			r.Coverage = append(r.Coverage, row)
			continue
		}
		r.Coverage = append(r.Coverage, row)
		r.Gaps = append(r.Gaps, kindGaps(row, req, total, apiServers, ci)...)
		for _, k := range req.Kinds {
			if n := unknown[k]; n > 0 {
				// The events are all there; only the state before them is not, which a
				// nightly run over a long-lived cluster always meets: a note, not a warning.
				r.Gaps = append(r.Gaps, Gap{Type: GapUnknownBaseline, Severity: SeverityInfo, Group: k.Group, Resource: k.Resource, Count: n,
					Message:     fmt.Sprintf("%d write(s) to %s in the period have no known earlier state: their diffs show only what the requests set, and a deletion's not what was deleted", n, k),
					Remediation: "give --snapshot with the output of 'kubectl get " + k.String() + " -A -o json' taken before the period, or include audit logs from before --since"})
			}
		}
	}
	var rate audit.Rate // every server's events over time, to judge a hole by the others'
	for _, s := range servers {
		rate.Merge(&s.activity.Rate)
	}
	for _, s := range servers {
		r.Gaps = append(r.Gaps, holeGaps(s, &rate, len(servers) > 1, ci)...)
	}
	r.Gaps = append(r.Gaps, pres.gaps...)
	r.Gaps = append(r.Gaps, inputGaps(ci.Inputs)...)
	if n := ci.LostDeletions; n > 0 {
		r.Gaps = append(r.Gaps, Gap{Type: GapLostWrite, Severity: SeverityWarning, Count: n,
			Message:     fmt.Sprintf("%d object(s) were created again in the period with no deletion of them in the trail (their histories' notes say which): the API server refuses to create what exists, so those deletions are missing from the trail", n),
			Remediation: "give the logs of every API server over the whole period; the trail's other gaps may say where the deletions went"})
	}
	if ci.OutOfOrder > 0 {
		r.Gaps = append(r.Gaps, Gap{Type: GapOutOfOrder, Severity: SeverityWarning, Count: ci.OutOfOrder,
			Message: fmt.Sprintf("%d event(s) arrived more than %s behind the others of their input: changes they made may stand in the wrong order in the histories",
				ci.OutOfOrder, round(ci.Window)),
			Remediation: "give each API server's log as written, sort an export by time first (jq -c -s 'sort_by(.requestReceivedTimestamp)[]'), or widen --reorder-window to cover how far it is out of order"})
	}
	if ci.Policy != nil {
		// The policy check asks for the required kinds only, which come first, row for row.
		var checked []Requirement
		for _, req := range reqs {
			if !req.Conditional {
				checked = append(checked, req)
			}
		}
		r.Gaps = append(r.Gaps, policyGaps(ci.Policy, r.Coverage, checked)...)
	}
	SortGaps(r.Gaps)
	if r.Gaps == nil {
		r.Gaps = []Gap{}
	}

	// "Every API server" only where the user said which there are: otherwise the score can
	// speak of the servers whose logs were given, and a server given no log is not among them.
	where := "on every API server"
	if len(ci.Expected) == 0 && ci.ExpectedN == 0 {
		where = fmt.Sprintf("on each of the %d API server(s) in the inputs (how many the cluster has was not stated)", len(r.APIServers.Seen))
	} else if named, more := missingServers(present, ci); len(named)+more > 0 {
		// A server expected and given no log audited nothing the trail shows: each kind
		// with writes elsewhere counts against it.
		missing := len(named) + more
		for _, c := range r.Coverage {
			if c.Writes > 0 {
				cells += missing
			}
		}
		where = fmt.Sprintf("on each of the %d API server(s) in the inputs, but %d API server(s) expected not in them", len(r.APIServers.Seen), missing)
	}
	r.Score = Score{Covered: covered, Cells: cells, KindsOK: kindsOK, Kinds: len(reqs)}
	if cells > 0 {
		r.Score.Percent = covered * 100 / cells
	}
	r.Score.Text = fmt.Sprintf("%d of %d required kinds audited with bodies %s; %d of %d kind-server pairs audited with bodies (%d%%; a kind never audited counts against every server, pairs without writes in the period are left out)",
		kindsOK, len(reqs), where, covered, cells, r.Score.Percent)
	switch {
	case pres.empty:
		r.Score.Text = "unknown: no event was read from the inputs, so no kind's coverage can be judged"
	case pres.outside:
		r.Score.Text = "unknown: no input has any event in the period, so no kind's coverage can be judged"
	}
	r.Verdict = VerdictPass
	for _, g := range r.Gaps {
		if SeverityRank(g.Severity) >= SeverityRank(SeverityWarning) {
			r.Verdict = VerdictGaps
		}
	}
	return r
}

// kindGaps are the gaps of one required kind: not audited, without bodies, or missing on
// one API server.
func kindGaps(row Coverage, req Requirement, total int64, servers []*server, ci Input) []Gap {
	k := req.Kinds[0]
	name := k.String()
	// What the status was judged from: the writes to the objects, or, with none, the
	// subresource writes that changed them.
	what, fix := "write(s) to "+name, ruleFor(req)
	if row.Subresources {
		verbs, _ := subresourceVerbs(row.CoverageCounts, changesConfig)
		what = fmt.Sprintf("subresource write(s) that change %s (%s; no write to the objects themselves in the period)", name, verbs)
		fix = fmt.Sprintf(`add a rule with level RequestResponse for group %q, resources [%q, %q] to the audit policy, before any rule that matches them at a lower level (auditreport policy generate prints a complete policy)`, k.Group, k.Resource, k.Resource+"/*")
	}
	var out []Gap
	switch row.Status {
	case StatusQuiet:
		// The inputs show the policy records the kind: the period was quiet, or its events
		// were lost. The policy is not the fix.
		var b BeforeCounts
		for _, kk := range req.Kinds {
			b.Writes += ci.Before[kk].Writes
		}
		out = append(out, Gap{Type: GapQuietKind, Severity: SeverityWarning, Group: k.Group, Resource: k.Resource,
			Message: fmt.Sprintf("no input has any event of %s in the period, though they hold %d write(s) of it at level RequestResponse before the period: the audit policy records it, so the period had no write of it, or its events were lost; which, the trail cannot tell",
				name, b.Writes),
			Remediation: "nothing to change in the audit policy for this kind; if it was written in the period, look for the events' loss in the trail's other gaps, or give the logs of every API server"})
		return out
	case StatusNeverAudited:
		msg := fmt.Sprintf("no input has any event of %s in the period: its changes cannot be reported", name)
		if b := ci.Before[k]; b.Writes > 0 {
			msg += fmt.Sprintf("; before the period the inputs hold %d write(s) of it, at %s at most, which does not log what changed", b.Writes, levelText(b.MaxLevel))
		}
		out = append(out, Gap{Type: GapNeverAudited, Severity: SeverityError, Group: k.Group, Resource: k.Resource,
			Message: msg, Remediation: ruleFor(req)})
		return out
	case StatusMetadataOnly:
		g := Gap{Type: GapMetadataOnly, Severity: SeverityError, Group: k.Group, Resource: k.Resource, Count: row.Writes,
			Message:     fmt.Sprintf("%d %s were logged without bodies (level %s): who changed what is known, but not what changed", row.Writes, what, row.MaxLevel),
			Remediation: fix}
		if row.MaxLevel == "RequestResponse" {
			// The level carries both bodies, so the policy is not why they are missing:
			// they were taken out between the API server and these files, with no marker.
			g.Message = fmt.Sprintf("%d %s were logged at level RequestResponse, which carries their bodies, but have none, and no mark that they were dropped: something between the API server and these files removed them; who changed what is known, but not what changed", row.Writes, what)
			g.Remediation = "look at what carries the audit log from the API server to these files (a log shipper's or a webhook's limit on an event's size or fields): the audit policy already asks for the bodies"
		}
		out = append(out, g)
	case StatusNoBodies:
		out = append(out, Gap{Type: GapNoBodies, Severity: SeverityError, Group: k.Group, Resource: k.Resource, Count: row.Writes,
			Message:     fmt.Sprintf("%d %s were logged without bodies and with no level logged: who changed what is known, but not what changed, nor whether the audit policy or what carried the log left the bodies out", row.Writes, what),
			Remediation: fix + "; and check that what exports the log keeps each event's level and bodies"})
	case StatusNoWrites:
		msg := fmt.Sprintf("%d event(s) of %s but no write in the period: the logs cannot show whether writes are audited with bodies", row.Events, name)
		if verbs, n := subresourceVerbs(row.CoverageCounts, statusVerb); n > 0 {
			// Status churn is a write, but one the policy may log without bodies on purpose.
			msg = fmt.Sprintf("%d event(s) of %s, and no write to them in the period but %d to their status (%s), which the audit policy may log without bodies on purpose: the logs cannot show whether writes to them are audited with bodies", row.Events, name, n, verbs)
		} else if verbs, n := subresourceVerbs(row.CoverageCounts, leavesObjectVerb); n > 0 {
			msg = fmt.Sprintf("%d event(s) of %s, and no write to them in the period but %d to subresources that leave them as they were (%s): the logs cannot show whether writes to them are audited with bodies", row.Events, name, n, verbs)
		}
		out = append(out, Gap{Type: GapNoWrites, Severity: SeverityInfo, Group: k.Group, Resource: k.Resource, Count: row.Events,
			Message:     msg,
			Remediation: "check the audit policy: auditreport policy check FILE, or give --policy FILE"})
	case StatusPartial:
		msg := fmt.Sprintf("of %d %s, %d carried bodies (highest %s)", row.Writes, what, row.WritesWithBodies, levelText(row.MaxLevel))
		short := omitted(row.CoverageCounts) == 0 // every write kept its bodies: only the level falls short
		switch {
		case short && row.MaxLevel == "":
			msg = fmt.Sprintf("%d of %d %s carried bodies, but no level was logged: whether the responses, the objects as stored, were logged cannot be told", row.WritesWithBodies, row.Writes, what)
		case short:
			msg = fmt.Sprintf("%d of %d %s carried bodies, all at level %s at most, which leaves out the response: the objects as stored (what the API server set or defaulted, what a patch made) are not known, only what was sent", row.WritesWithBodies, row.Writes, what, row.MaxLevel)
		}
		if row.BodiesDropped > 0 {
			if n := omitted(row.CoverageCounts); n > 0 {
				// The highest level may be that of the writes dropped for size: not named.
				msg = fmt.Sprintf("of %d %s, %d carried bodies and %d were logged without", row.Writes, what, row.WritesWithBodies, n)
			}
			msg += fmt.Sprintf("; %d more had their bodies dropped for their size (the truncated gaps)", row.BodiesDropped)
		}
		if !short {
			msg += ": some changes cannot be diffed"
		}
		out = append(out, Gap{Type: GapPartial, Severity: SeverityWarning, Group: k.Group, Resource: k.Resource, Count: omitted(row.CoverageCounts),
			Message: msg, Remediation: bodiesFix(row, fix)})
	}
	if len(servers) < 2 || row.Events == 0 {
		return out
	}
	for i, s := range servers {
		sc := row.Sources[i]
		if sc.Events > 0 {
			continue
		}
		expected := expectedEvents(row.Events, s.events, total)
		if expected < minExpected {
			continue
		}
		out = append(out, Gap{Type: GapNodeMissingKind, Severity: SeverityError, Group: k.Group, Resource: k.Resource, Source: s.key,
			Message: fmt.Sprintf("%s never recorded %s while the other API servers recorded %d event(s) of it (about %.0f expected here): its audit policy differs",
				s.key, name, row.Events, expected),
			Remediation: "deploy the same --audit-policy-file on every control-plane node and restart its kube-apiserver"})
	}
	return out
}

// minExpected is how many events of a kind a server must have been expected to log before
// logging none is a gap: with fewer, none at all happens by chance (over 0.7% at 5).
const minExpected = 5

// expectedEvents is how many of a kind's events a server would have logged at its share of
// all events.
func expectedEvents(kindEvents, serverEvents, total int64) float64 {
	if total == 0 {
		return 0
	}
	return float64(kindEvents) * float64(serverEvents) / float64(total)
}

// holeGaps finds stretches without events that are anomalous for the server's own rhythm.
//
// With other API servers beside it, their event rate over the hole decides it as it decides a
// server that stops early: rates that rose by about its share mean its load moved to them
// (it was down; nothing is missing), rates that stayed as they were mean its events were lost
// (an error, counted at its own rate); otherwise it stays a warning.
func holeGaps(s *server, all *audit.Rate, others bool, ci Input) []Gap {
	var n int64
	for _, c := range s.activity.Gaps {
		n += c
	}
	if n < ci.Holes.MinGaps {
		return nil
	}
	// The median gap, as the upper bound of its bucket.
	var seen int64
	median := time.Duration(0)
	for i, c := range s.activity.Gaps {
		seen += c
		if 2*seen >= n {
			median = time.Duration(int64(1)<<i) * time.Second
			break
		}
	}
	limit := max(ci.Holes.Min, time.Duration(ci.Holes.Factor*float64(median)))
	var out []Gap
	for _, g := range s.activity.Longest() {
		if g.Length() <= limit {
			break
		}
		from, to := g.From, g.To
		if ci.Start != nil && to.Before(*ci.Start) || ci.End != nil && !from.Before(*ci.End) {
			continue
		}
		hole := Gap{Type: GapTimeHole, Severity: SeverityWarning, Source: s.key, From: ptime(from), To: ptime(to), Count: missingIn(s, g.Length()),
			Rule: fmt.Sprintf("time-hole: silent longer than %s (--hole-min, or --hole-factor times its median gap)", round(limit)),
			Message: fmt.Sprintf("%s logged nothing for %s (its median gap is under %s): about %d event(s) missing at its own rate",
				s.key, round(g.Length()), round(median), missingIn(s, g.Length())),
			Remediation: "check that the API server was up and its audit log not rotated away or lost (--audit-log-maxbackup, --audit-log-maxage), and that every log file of the period was given"}
		if others {
			c := rates(s, all, from, from.Add(-rateWindow), to, true)
			byRate(&hole, c, fmt.Sprintf("%s logged nothing from %s to %s", s.key, fmtTime(from), fmtTime(to)), "left")
			if c.verdict == "lost" {
				hole.Severity = SeverityError
			}
		}
		out = append(out, hole)
	}
	return out
}

func round(d time.Duration) string {
	switch {
	case d >= time.Hour:
		return d.Round(time.Minute).String()
	case d >= time.Minute:
		return d.Round(time.Second).String()
	}
	return d.String()
}

// presenceLimit is how long a server may be silent at the start or the end of the period
// before it is a gap: the hole rule on its own rhythm (its median gap, or its mean gap when it
// has too few gaps to judge a median), and never less than the rule's minimum.
func presenceLimit(s *server, rule HoleRule) (time.Duration, string) {
	var n int64
	for _, c := range s.activity.Gaps {
		n += c
	}
	if n >= rule.MinGaps {
		var seen int64
		for i, c := range s.activity.Gaps {
			seen += c
			if 2*seen >= n {
				median := time.Duration(int64(1)<<i) * time.Second
				if l := time.Duration(rule.Factor * float64(median)); l > rule.Min {
					return l, fmt.Sprintf("%s, %g times its median gap (under %s)", round(l), rule.Factor, round(median))
				}
				break
			}
		}
	} else if s.events > 1 && s.last.After(s.first) {
		mean := s.last.Sub(s.first) / time.Duration(s.events-1)
		if l := time.Duration(rule.Factor * float64(mean)); l > rule.Min {
			return l, fmt.Sprintf("%s, %g times its mean gap (%s; too few events for a median)", round(l), rule.Factor, round(mean))
		}
	}
	return rule.Min, fmt.Sprintf("%s, the hole rule's minimum", round(rule.Min))
}

// missingIn estimates the events a server would have logged in a hole of d inside its span,
// at its rate over the rest of the span, where it logged.
func missingIn(s *server, d time.Duration) int64 {
	span := s.last.Sub(s.first) - d
	if s.events < 2 || span <= 0 {
		return 0
	}
	return int64(float64(s.events-1) * float64(d) / float64(span))
}

// missingAt estimates how many events a server would have logged in d at its own rate.
func missingAt(s *server, d time.Duration) int64 {
	span := s.last.Sub(s.first)
	if s.events < 2 || span <= 0 {
		return 0
	}
	return int64(float64(s.events-1) * float64(d) / float64(span))
}

// missingText says how many events a server would have logged in d at its own rate, or
// that its log is too short to tell.
func missingText(s *server, d time.Duration) string {
	if s.events < 2 || !s.last.After(s.first) {
		return fmt.Sprintf("how many events are missing cannot be told: its log holds %d event(s), too few to give a rate", s.events)
	}
	return fmt.Sprintf("about %d event(s) missing at its own rate", missingAt(s, d))
}

// presence is what the presence rule found: whether the logs reach the period at all.
type presence struct {
	gaps []Gap
	// outside is true when no API server logged anything inside the period: no verdict on
	// any kind can be drawn from it. empty is true when no input held any event at all.
	outside, empty bool
}

// presenceGaps is one rule for the start and the end of the trail: the period against the
// first and last events of all API servers together (period-not-covered, no source), then each
// API server against the span the others cover (period-not-covered naming the server: its log
// starts late or ends early), and servers expected (--api-servers) with no input at all.
// Without a period, the span of all logs together is the reference, so a server that stops
// early against the others is still found.
func presenceGaps(servers []*server, ci Input) presence {
	var out presence
	var first, last time.Time
	for _, s := range servers {
		if !s.first.IsZero() && (first.IsZero() || s.first.Before(first)) {
			first = s.first
		}
		if s.last.After(last) {
			last = s.last
		}
	}
	start, end := first, last
	if ci.Start != nil {
		start = ci.Start.UTC()
	}
	if ci.End != nil {
		end = ci.End.UTC()
		if !ci.Now.IsZero() && end.After(ci.Now) {
			end = ci.Now
		}
	}
	remedy := "give the audit logs that cover the whole period, rotated and compressed ones included, of every API server"
	tol := ci.Holes.Min
	rule := fmt.Sprintf("period-not-covered: more than %s (--hole-min) between the period's bound and the nearest event of any API server", round(tol))
	if first.IsZero() || (ci.End != nil && !first.Before(end)) || (ci.Start != nil && last.Before(start)) {
		if noEventRead(ci.Inputs) {
			// Nothing was read, whatever the period: that is the cause, and the one gap, not
			// a verdict on each kind's audit policy drawn from no events.
			from, to := start, end
			if ci.Start != nil && ci.End == nil {
				to = maxTime(from, ci.Now)
			}
			out.outside, out.empty = true, true
			out.gaps = append(out.gaps, noEventGap(ci.Inputs, from, to))
			return out
		}
		if ci.Start == nil && ci.End == nil || len(servers) == 0 {
			// No server to judge: without a period, the logs' own span is the period; with
			// one, the only logs are of other kinds and reach into it (a log wholly outside
			// it is among servers), so the kinds were not audited in it: their gaps say so.
			return out
		}
		// The logs do not reach the period: one gap for all of it, not a verdict per kind
		// drawn from no events.
		from, to := start, end
		if ci.Start == nil {
			from = first
		}
		if ci.End == nil {
			// An open end is now, when the run knows it.
			to = maxTime(from, ci.Now)
		}
		out.outside = true
		out.gaps = append(out.gaps, Gap{Type: GapPeriodNotCovered, Severity: SeverityError, From: ptime(from), To: ptime(to), Rule: rule,
			Message: fmt.Sprintf("no input has any event in the period (%s to %s); the logs read run from %s to %s: nothing can be said about the period",
				fmtTime(from), fmtTime(to), fmtTime(first), fmtTime(last)), Remediation: remedy})
		return out
	}
	if ci.Start != nil && first.Sub(start) > tol {
		out.gaps = append(out.gaps, Gap{Type: GapPeriodNotCovered, Severity: SeverityError, From: ptime(start), To: ptime(first), Rule: rule,
			Message: fmt.Sprintf("the period starts at %s but the first event of any API server is at %s", fmtTime(start), fmtTime(first)), Remediation: remedy})
	}
	if ci.End != nil && end.Sub(last) > tol {
		out.gaps = append(out.gaps, Gap{Type: GapPeriodNotCovered, Severity: SeverityError, From: ptime(last), To: ptime(end), Rule: rule,
			Message: fmt.Sprintf("the period ends at %s but the last event of any API server is at %s", fmtTime(end), fmtTime(last)), Remediation: remedy})
	}
	if ci.Start != nil && ci.End == nil && !ci.Now.IsZero() && ci.Now.Sub(last) > tol {
		// A period given a start and no end runs to now: logs that stopped long before
		// leave the rest of it uncovered (an audit backend that stopped writing).
		out.gaps = append(out.gaps, Gap{Type: GapPeriodNotCovered, Severity: SeverityError, From: ptime(last), To: ptime(ci.Now), Rule: rule,
			Message: fmt.Sprintf("the period runs to now (%s; no end was given) but the last event of any API server is at %s", fmtTime(ci.Now), fmtTime(last)), Remediation: remedy})
	}
	// Each server against the span the trail covers as a whole.
	from, to := maxTime(start, first), minTime(end, last)
	moves := memberships(ci.Resources)
	var all audit.Rate // every server's events over time, for the rate rule
	for _, s := range servers {
		all.Merge(&s.activity.Rate)
	}
	for _, s := range servers {
		limit, why := presenceLimit(s, ci.Holes)
		serverRule := "period-not-covered per API server: silent longer than " + why + " at the start or end of the span the other API servers cover"
		// A server that joins adds its address to the default/kubernetes Endpoints; one that
		// leaves takes it away.
		lost := func(move, change string) string {
			return fmt.Sprintf("nothing in the trail shows it %s the cluster (no write to the default/kubernetes Endpoints %s an address then), so the events count as lost", move, change)
		}
		if d := s.first.Sub(from); d > limit {
			g := Gap{Type: GapPeriodNotCovered, Severity: SeverityError, Source: s.key, From: ptime(from), To: ptime(minTime(s.first, to)),
				Count: missingAt(s, d), Rule: serverRule,
				Message: fmt.Sprintf("%s logged nothing from %s, when the trail starts, to %s (%s): %s; %s",
					s.key, fmtTime(from), fmtTime(s.first), round(d), missingText(s, d), lost("joining", "added")),
				Remediation: "give this API server's older log files (rotated and compressed ones included); if it joined the cluster then, the gap is expected"}
			if m, ok := moveNear(moves, s.first, +1); ok {
				moved(&g, m, fmt.Sprintf("%s joined the cluster at about %s: it logged nothing before", s.key, fmtTime(s.first)), "gained", "first")
			} else if ev, ok := leaseEvidence(s, servers, false); ok {
				byLease(&g, ev, fmt.Sprintf("%s joined the cluster at about %s: it logged nothing before", s.key, fmtTime(s.first)))
			} else {
				byRate(&g, rates(s, &all, s.first, from, to, false), fmt.Sprintf("%s joined the cluster at about %s: it logged nothing before", s.key, fmtTime(s.first)), "joined")
			}
			out.gaps = append(out.gaps, g)
		}
		if d := to.Sub(s.last); d > limit {
			g := Gap{Type: GapPeriodNotCovered, Severity: SeverityError, Source: s.key, From: ptime(maxTime(s.last, from)), To: ptime(to),
				Count: missingAt(s, d), Rule: serverRule,
				Message: fmt.Sprintf("%s logged nothing from %s to %s, when the trail ends (%s): %s; %s",
					s.key, fmtTime(s.last), fmtTime(to), round(d), missingText(s, d), lost("leaving", "took away")),
				Remediation: "give this API server's newer log files; check that its audit log was not rotated away (--audit-log-maxbackup, --audit-log-maxage) or its disk full; if it left the cluster then, the gap is expected"}
			if m, ok := moveNear(moves, s.last, -1); ok {
				moved(&g, m, fmt.Sprintf("%s left the cluster at about %s: it logged nothing after", s.key, fmtTime(s.last)), "lost", "last")
			} else if ev, ok := leaseEvidence(s, servers, true); ok {
				byLease(&g, ev, fmt.Sprintf("%s left the cluster at about %s: it logged nothing after", s.key, fmtTime(s.last)))
			} else {
				byRate(&g, rates(s, &all, s.last, from, to, true), fmt.Sprintf("%s left the cluster at about %s: it logged nothing after", s.key, fmtTime(s.last)), "left")
			}
			out.gaps = append(out.gaps, g)
		}
	}
	if len(ci.Expected) == 0 && ci.ExpectedN == 0 {
		out.gaps = append(out.gaps, listedServerGaps(servers, moves)...)
	}
	out.gaps = append(out.gaps, expectedServerGaps(servers, ci)...)
	return out
}

// noEventRead reports whether the inputs hold no event at all.
func noEventRead(inputs []audit.Input) bool {
	for i := range inputs {
		if inputs[i].Events > 0 {
			return false
		}
	}
	return true
}

// noEventGap is the one gap of inputs that hold no event at all (empty files, lines that are
// no audit event): the trail covers no time, so nothing can be said of any kind, and the
// cause is the input, not the audit policy. from and to bound the period, where one was given.
func noEventGap(inputs []audit.Input, from, to time.Time) Gap {
	const listed = 5
	var what []string
	for i := range inputs {
		in := &inputs[i]
		if len(what) == listed {
			what = append(what, fmt.Sprintf("and %d more input(s)", len(inputs)-listed))
			break
		}
		switch {
		case in.Skipped != "":
			what = append(what, fmt.Sprintf("%s: not read, %s", in.Source, in.Skipped))
		case in.Err != "":
			what = append(what, fmt.Sprintf("%s: stopped being readable, see the unreadable gap", in.Source))
		case in.Lines == 0:
			what = append(what, in.Source+": empty")
		default:
			what = append(what, fmt.Sprintf("%s: %d line(s), none an audit event", in.Source, in.Lines))
		}
	}
	of := "any kind, in any period"
	if !from.IsZero() || !to.IsZero() {
		of = fmt.Sprintf("any kind in the period (%s to %s)", fmtTime(from), fmtTime(to))
	}
	return Gap{Type: GapPeriodNotCovered, Severity: SeverityError, From: ptime(from), To: ptime(to),
		Rule: "period-not-covered: no input holds any event",
		Message: fmt.Sprintf("no event was read from the inputs (%s): the trail covers no time, so nothing can be said of %s",
			strings.Join(what, "; "), of),
		Remediation: "give the audit logs of the period, rotated and compressed files included, of every API server; for a log that stays empty, check that the API server writes it (--audit-log-path) and that its audit policy logs anything (auditreport policy check FILE)"}
}

// membership is a change the trail shows in the set of API servers: every API server's
// endpoint reconciler keeps the addresses of the default/kubernetes Endpoints to the servers
// that are up, so one joining adds an address and one leaving removes one within seconds.
type membership struct {
	at  time.Time
	id  string
	net int // addresses added less addresses removed, where the diff tells
	// count is how many addresses the write set, where it sent them all (a create, or a
	// write whose earlier state is not known); 0 when not known.
	count int
}

// membershipWindow is how near a server's first or last event an address must come or go
// for the one to explain the other: the reconciler's lease lasts 15 s by default.
const membershipWindow = 10 * time.Minute

// addressIP matches an address of the Endpoints in a diff: the element, or its ip.
var addressIP = regexp.MustCompile(`^subsets\[\d+\]\.addresses\[\d+\](\.ip)?$`)

// memberships lists the writes to the default/kubernetes Endpoints that changed its
// addresses, in time order.
func memberships(resources []history.Resource) []membership {
	var out []membership
	for _, res := range resources {
		if res.Group != "" || res.Resource != "endpoints" || res.Namespace != "default" || res.Name != "kubernetes" {
			continue
		}
		for _, c := range res.Changes() {
			m := membership{at: c.Time, id: c.ID}
			seen := false
			for _, d := range c.Diff {
				if !addressIP.MatchString(d.Path) {
					continue
				}
				seen = true
				switch d.Op {
				case history.OpAdded:
					m.net++
				case history.OpRemoved:
					m.net--
				}
				if d.Op == history.OpSet || c.Action == history.ActionCreated {
					m.count++
				}
			}
			if seen {
				out = append(out, m)
			}
		}
	}
	return out
}

// moved makes a presence gap a note: the trail shows the server joining or leaving, so its
// load was the others' and nothing is missing.
func moved(g *Gap, m membership, what, change, end string) {
	g.Severity, g.Count, g.Remediation = SeverityInfo, 0, ""
	g.Rule += fmt.Sprintf("; membership: the default/kubernetes Endpoints %s an address within %s of its %s event", change, round(membershipWindow), end)
	g.Message = fmt.Sprintf("%s, and the default/kubernetes Endpoints %s an API server address at %s (row %s): the others served its share, nothing is missing",
		what, change, fmtTime(m.at), m.id)
}

// moveNear finds an address gained (sign +1) or lost (-1) within membershipWindow of t.
func moveNear(moves []membership, t time.Time, sign int) (membership, bool) {
	for _, m := range moves {
		if m.net*sign > 0 && m.at.Sub(t) <= membershipWindow && t.Sub(m.at) <= membershipWindow {
			return m, true
		}
	}
	return membership{}, false
}

// leaseExpiry is how long after its last renewal an API server's identity lease expires, by
// default (kube-apiserver --identity-lease-duration-seconds 3600); another API server's
// garbage collector deletes it some time after that.
const leaseExpiry = time.Hour

// leaseEvidence looks for what the identity leases say of a server that stops early
// (leaving) or starts late. Each kube-apiserver creates its own lease apiserver-<hash> when
// it starts, renews it every 10 s and deletes it at a clean shutdown, all in its own log
// (measured against kube-apiserver v1.37), so the server a lease belongs to is the one in
// whose log its writes are. A lease deleted by its own server near its last event, or by
// another server's garbage collector after it expired, says the server stopped then; a
// lease created near its first event says it started then. A lost log shows none of these:
// the server goes on renewing its lease where no input has its log.
func leaseEvidence(s *server, servers []*server, leaving bool) (string, bool) {
	names := make([]string, 0, len(s.leases))
	for name := range s.leases {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		own := s.leases[name]
		owner := true
		var latest time.Time // its last write anywhere
		var del *audit.Lease
		var by *server
		for _, o := range servers {
			l := o.leases[name]
			if l == nil {
				continue
			}
			if o != s && l.Writes > own.Writes {
				owner = false
			}
			latest = maxTime(latest, l.LastWrite)
			if l.Deleted.After(timeOf(del)) {
				del, by = l, o
			}
		}
		if !owner || own.Writes == 0 {
			continue
		}
		node := ""
		if own.Hostname != "" {
			node = " (node " + own.Hostname + ")"
		}
		if !leaving {
			if d := own.Created.Sub(s.first); !own.Created.IsZero() && d <= membershipWindow && d >= -membershipWindow {
				return fmt.Sprintf("it created its identity lease kube-system/%s%s at %s, as a kube-apiserver does when it starts", name, node, fmtTime(own.Created)), true
			}
			continue
		}
		if del == nil || latest.After(del.Deleted) {
			continue // never deleted, or written again after: it is still up
		}
		switch d := del.Deleted.Sub(s.last); {
		case by == s && d <= membershipWindow && d >= -membershipWindow:
			return fmt.Sprintf("it deleted its own identity lease kube-system/%s%s at %s, as a kube-apiserver does at a clean shutdown", name, node, fmtTime(del.Deleted)), true
		case by != s && d >= -membershipWindow && d <= leaseExpiry+membershipWindow:
			return fmt.Sprintf("%s deleted its identity lease kube-system/%s%s at %s (as %s), as the lease garbage collector does once a lease has expired: it had stopped renewing it", by.key, name, node, fmtTime(del.Deleted), del.DeletedBy), true
		}
	}
	return "", false
}

func timeOf(l *audit.Lease) time.Time {
	if l == nil {
		return time.Time{}
	}
	return l.Deleted
}

// byLease makes a presence gap a note on the identity lease's evidence.
func byLease(g *Gap, evidence, what string) {
	g.Severity, g.Count, g.Remediation = SeverityInfo, 0, ""
	g.Rule += fmt.Sprintf("; identity lease: a lease deleted within %s of its last event by itself or within %s by another API server, or created within %s of its first", round(membershipWindow), round(leaseExpiry+membershipWindow), round(membershipWindow))
	g.Message = fmt.Sprintf("%s, and %s: nothing is missing", what, evidence)
}

// rateWindow is how far on either side of a server's first or last event the rate rule
// compares the event rates: long enough to hold many events, short enough that the day's
// rhythm changes the load little.
const rateWindow = 2 * time.Hour

// minRateEvents is how many events the rate rule needs in each of its windows: the noise of
// a count of 20 is a quarter of it.
const minRateEvents = 20

// rateCall is what the event rates say about a server that starts late or stops early.
type rateCall struct {
	verdict string // "moved", "lost" or "unclear"
	// others is the other servers' rate, before and after; share the server's own rate
	// where it logged (events a minute).
	othersBefore, othersAfter, share float64
	why                              string
}

// rates compares, at a server's last event (leaving: at its first, joining), the other API
// servers' event rate before and after: when a server leaves, its load moves to the others,
// whose rate rises by about its share; when its log is lost, the others go on as before, so
// the cluster's total rate falls by its share. A server that joins takes its share from the
// others. Where the difference lies near neither, or the windows hold too few events to
// tell, the call is unclear. Rates count every event, reads included; a window is cut at the
// span the trail covers.
func rates(s *server, all *audit.Rate, at, from, to time.Time, leaving bool) rateCall {
	lo, hi := maxTime(from, at.Add(-rateWindow)), minTime(to, at.Add(rateWindow))
	before, after := at.Sub(lo).Minutes(), hi.Sub(at).Minutes()
	// The others are all less this one, on the same buckets: one sum, not one per server.
	mine := s.activity.Rate.Coarsened(all.Width)
	ob := all.Between(lo, at) - mine.Between(lo, at)
	oa := all.Between(at, hi) - mine.Between(at, hi)
	c := rateCall{}
	var own, ownMin float64
	if leaving {
		own, ownMin = mine.Between(lo, at), before
	} else {
		own, ownMin = mine.Between(at, hi), after
	}
	if before < 1 || after < 1 || ownMin < 1 {
		c.verdict, c.why = "unclear", "the trail holds too little time on one side"
		return c
	}
	c.othersBefore, c.othersAfter, c.share = ob/before, oa/after, own/ownMin
	if own < minRateEvents || ob < minRateEvents || oa < minRateEvents {
		c.verdict = "unclear"
		c.why = fmt.Sprintf("too few events to compare rates: %.0f of its own, %.0f and %.0f of the others before and after, within %s of it; %d needed of each", own, ob, oa, round(rateWindow), minRateEvents)
		return c
	}
	// The change in the others' rate: up when a server leaves and its load moves to them,
	// down when one joins and takes its share.
	d := c.othersAfter - c.othersBefore
	if !leaving {
		d = -d
	}
	// Counts of events are about Poisson: the noise of a rate over m minutes from n events
	// is sqrt(n)/m. Three times the noise, and never less than a quarter of the share.
	noise := math.Sqrt(ob/(before*before) + oa/(after*after) + own/(ownMin*ownMin))
	tol := max(3*noise, c.share/4)
	nearMoved, nearLost := math.Abs(d-c.share) <= tol, math.Abs(d) <= tol
	rule := fmt.Sprintf("the others' %.1f events/min before, %.1f after, its own share %.1f/min (tolerance %.1f)", c.othersBefore, c.othersAfter, c.share, tol)
	switch {
	case nearMoved && !nearLost:
		c.verdict, c.why = "moved", rule
	case nearLost && !nearMoved:
		c.verdict, c.why = "lost", rule
	default:
		c.verdict, c.why = "unclear", rule
	}
	return c
}

// byRate decides a presence gap that no membership change explains by the event rates; move
// is what the server may have done instead of losing its log (joined, left).
func byRate(g *Gap, c rateCall, what, move string) {
	switch c.verdict {
	case "moved":
		g.Severity, g.Count, g.Remediation = SeverityInfo, 0, ""
		g.Rule += "; rate: its load moved to the other API servers (" + c.why + ")"
		g.Message = fmt.Sprintf("%s: the other API servers' event rate went from %.1f to %.1f a minute, about its share of %.1f, so its load moved to them and nothing is missing",
			what, c.othersBefore, c.othersAfter, c.share)
	case "lost":
		g.Rule += "; rate: the others' event rate did not change, so the cluster's total rate lacks its share where its log is missing (" + c.why + "): its events are lost"
		g.Message += fmt.Sprintf("; the other API servers' event rate stayed at about %.1f a minute (%.1f before, %.1f after) while it logged %.1f: its events were lost, not moved",
			(c.othersBefore+c.othersAfter)/2, c.othersBefore, c.othersAfter, c.share)
	default:
		g.Rule += "; rate: could not tell a server that " + move + " the cluster from a lost log (" + c.why + "), so the events count as lost"
		g.Message += "; the event rates cannot tell whether it " + move + " the cluster or its log is lost"
	}
}

// listedServerGaps compares the number of API servers the default/kubernetes Endpoints last
// listed with the number in the inputs, when no one said how many there are.
func listedServerGaps(servers []*server, moves []membership) []Gap {
	for i := len(moves) - 1; i >= 0; i-- {
		m := moves[i]
		if m.count == 0 {
			continue
		}
		if n := m.count - len(servers); n > 0 {
			return []Gap{{Type: GapPeriodNotCovered, Severity: SeverityError, Count: int64(n),
				Rule: "period-not-covered per API server: the default/kubernetes Endpoints list more API server addresses than the inputs hold logs of",
				Message: fmt.Sprintf("the default/kubernetes Endpoints listed %d API server address(es) at %s (row %s), but the inputs hold the logs of %d: the requests served by %d server(s) are missing",
					m.count, fmtTime(m.at), m.id, len(servers), n),
				Remediation: "give the audit log of every API server (each request is in exactly one of them); --api-servers names the ones expected"}}
		}
		return nil
	}
	return nil
}

// expectedServerGaps are the API servers the user said exist (--api-servers) with no input.
func expectedServerGaps(servers []*server, ci Input) []Gap {
	var total int64
	for _, s := range servers {
		total += s.events
	}
	usual := int64(0)
	if len(servers) > 0 {
		usual = total / int64(len(servers))
	}
	remedy := "give the audit log of every API server (each request is in exactly one of them); --api-servers names the ones expected"
	var out []Gap
	named, more := missingServers(servers, ci)
	for _, name := range named {
		g := Gap{Type: GapPeriodNotCovered, Severity: SeverityError, Source: name, Count: usual, Rule: "period-not-covered per API server: an API server named by --api-servers that no input holds",
			Message:     fmt.Sprintf("no input holds the log of API server %s: every request it served is missing (about %d events, the others' average)", name, usual),
			Remediation: remedy}
		// An input may be named for it and still not be its log: a copy of another server's,
		// whose events are all the other's.
		for _, in := range ci.Inputs {
			if in.Events > 0 && namesServer(in.Source, name) {
				g.Message = fmt.Sprintf("no input holds the log of API server %s: %s is named for it, but holds no event of the required kinds that another input does not hold too (a copy of another server's log?); every request %s served is missing (about %d events, the others' average)",
					name, in.Source, name, usual)
				break
			}
		}
		out = append(out, g)
	}
	if more > 0 {
		out = append(out, Gap{Type: GapPeriodNotCovered, Severity: SeverityError, Count: usual * int64(more), Rule: "period-not-covered per API server: fewer API servers in the inputs than --api-servers says",
			Message:     fmt.Sprintf("%d API server(s) expected, %d found in the inputs: the requests served by %d are missing (about %d events at the others' average)", ci.ExpectedN, len(servers), more, usual*int64(more)),
			Remediation: remedy})
	}
	return out
}

// missingServers are the API servers --api-servers expects that no input holds: those it
// names, and how many more its count says there are beyond the servers found and those.
func missingServers(servers []*server, ci Input) (named []string, more int) {
	for _, name := range ci.Expected {
		if !slices.ContainsFunc(servers, func(s *server) bool { return namesServer(s.key, name) }) {
			named = append(named, name)
		}
	}
	if ci.ExpectedN > 0 {
		more = max(ci.ExpectedN-len(servers)-len(named), 0)
	}
	return named, more
}

// namesServer reports whether name (a node or server name the user gave) names the server
// with this key: the whole key, or a part of one of its path elements bounded by anything
// but a letter or digit (kube-apiserver-1 names kube-apiserver-1-audit.log, not
// kube-apiserver-10-audit.log).
func namesServer(key, name string) bool {
	if key == name {
		return true
	}
	alnum := func(b byte) bool { return b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9' }
	for _, el := range strings.Split(filepath.ToSlash(key), "/") {
		for i := 0; ; {
			j := strings.Index(el[i:], name)
			if j < 0 {
				break
			}
			j += i
			k := j + len(name)
			if (j == 0 || !alnum(el[j-1])) && (k == len(el) || !alnum(el[k])) {
				return true
			}
			i = j + 1
		}
	}
	return false
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "(none)"
	}
	return t.UTC().Format(time.RFC3339)
}

// inputGaps reports what could not be read, and events whose bodies were dropped.
func inputGaps(inputs []audit.Input) []Gap {
	var out []Gap
	for i := range inputs {
		in := &inputs[i]
		if in.Err != "" {
			out = append(out, Gap{Type: GapUnreadable, Severity: SeverityError, Source: in.Source,
				Message:     fmt.Sprintf("%s stopped being readable: %s; events after that point are missing", in.Source, in.Err),
				Remediation: "recover the file from the node or a backup, or give an intact copy"})
		}
		for _, b := range in.LostBytes {
			end := "the end it had then"
			if b.To >= 0 {
				end = fmt.Sprintf("byte %d", b.To)
			}
			out = append(out, Gap{Type: GapUnreadable, Severity: SeverityError, Source: in.Source,
				Message:     fmt.Sprintf("%s: bytes %d to %s were not read: %s", in.Source, b.From, end, b.Why),
				Remediation: "give the copy the file was rotated into (logrotate copytruncate: the .1 file) as an input too, or prefer rename-based rotation"})
		}
		if u := in.Unfollowed; u != nil {
			out = append(out, Gap{Type: GapUnreadable, Severity: SeverityInfo, Source: in.Source,
				Message: fmt.Sprintf("%s: bytes %d to %d, written while the run ended, are not in this report: %s; the next run reads them", in.Source, u.From, u.To, u.Why)})
		}
		var lost int64
		var kinds []string
		for k, n := range in.Problems {
			if audit.Lost(k) && k != audit.ProblemCorruptSource && k != audit.ProblemCWTruncated && k != audit.ProblemTruncatedLine {
				lost += n
				kinds = append(kinds, k)
			}
		}
		if lost > 0 {
			sort.Strings(kinds)
			out = append(out, Gap{Type: GapUnreadable, Severity: SeverityWarning, Source: in.Source, Count: lost,
				Message:     fmt.Sprintf("%d value(s) in %s could not be read (%s); see inputs[].samples for lines", lost, in.Source, strings.Join(kinds, ", ")),
				Remediation: "look at the listed lines in the file"})
		}
		// The last line of a log being written is often cut where the read reached the end:
		// that event is complete in the file a moment later, so it is a note, not a warning
		// (a nightly run on the live log would otherwise never pass).
		if n := in.Problems[audit.ProblemTruncatedLine]; n > 0 {
			out = append(out, Gap{Type: GapUnreadable, Severity: SeverityInfo, Source: in.Source, Count: n,
				Message: fmt.Sprintf("the last line of %s was cut off: the file was being written while it was read, or the API server stopped mid-write (then that event is lost)", in.Source)})
		}
		if n := in.Problems[audit.ProblemCWTruncated]; n > 0 {
			out = append(out, Gap{Type: GapTruncated, Severity: SeverityError, Source: in.Source, Count: n,
				Message:     fmt.Sprintf("%d event(s) in %s were cut by CloudWatch's size limit and could not be read", n, in.Source),
				Remediation: "export the audit log from a destination without the 256 KB limit, or lower the policy level of large objects you do not need"})
		}
		// Each event once: Problems counts each body replaced. These events were logged at a
		// level with bodies, so they are no policy gap of their kind (see counts).
		if n := in.BodiesDropped; n > 0 {
			var how []string
			if in.Problems[audit.ProblemBodyTruncated] > 0 {
				how = append(how, "audit.k8s.io/truncated")
			}
			if in.Problems[audit.ProblemBodySkipped] > 0 {
				how = append(how, "skipped-too-big-size-object in place of a body")
			}
			out = append(out, Gap{Type: GapTruncated, Severity: SeverityWarning, Source: in.Source, Count: n,
				Message: fmt.Sprintf("%d event(s) in %s had their bodies dropped for their size (%s): they were logged at a level with bodies, so the audit policy is not the cause, but the changes among them cannot be diffed",
					n, in.Source, strings.Join(how, "; ")),
				Remediation: "raise --audit-log-truncate-max-event-size / --audit-webhook-truncate-max-event-size, or the size limit of the export"})
		}
		if n := in.Problems[audit.ProblemConflictingRepeat]; n > 0 {
			// A note, not a warning: a copy written again by another tool (jq, an export)
			// differs in key order or escaping only, and the bytes cannot tell that from
			// another content.
			out = append(out, Gap{Type: GapConflicting, Severity: SeverityInfo, Source: in.Source, Count: n,
				Message: fmt.Sprintf("%d event(s) of %s met a copy with the same audit ID, stage and times but other bytes, in this input or another: other content (source addresses, codes, bodies), or the same written another way (key order, escaping); one copy of each is kept, and the samples say which; see inputs[].samples for lines",
					n, in.Source),
				Remediation: "find why two records of one request differ (a copy edited, or exports of different API versions merged), and give the inputs that are the API server's own"})
		}
		if n := in.Problems[audit.ProblemUntimed] + in.Problems[audit.ProblemBadTimestamp]; n > 0 {
			out = append(out, Gap{Type: GapUnreadable, Severity: SeverityInfo, Source: in.Source, Count: n,
				Message: fmt.Sprintf("%d event(s) in %s have no usable time: they are kept but cannot be placed in the period", n, in.Source)})
		}
	}
	return out
}

// SortGaps orders gaps as reports list them: most severe first, then by type, kind,
// source and time.
func SortGaps(g []Gap) {
	sort.SliceStable(g, func(i, j int) bool {
		a, b := g[i], g[j]
		if SeverityRank(a.Severity) != SeverityRank(b.Severity) {
			return SeverityRank(a.Severity) > SeverityRank(b.Severity)
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		if a.Group != b.Group || a.Resource != b.Resource {
			return a.Group+"/"+a.Resource < b.Group+"/"+b.Resource
		}
		if a.Source != b.Source {
			return a.Source < b.Source
		}
		if a.From != nil && b.From != nil {
			return a.From.Before(*b.From)
		}
		return false
	})
}

// ptime is t in UTC, or nil for the zero time.
func ptime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
