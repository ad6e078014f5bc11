package report

import (
	"fmt"
	"strings"
	"time"
)

// EvidenceRef names the evidence manifest written with the report (--evidence): it records
// the SHA-256 of every input and output, and this report's digest, so it cannot be inside
// the report; the report names it and the key that signs it.
type EvidenceRef struct {
	Manifest string `json:"manifest"`
	// KeyID identifies the ed25519 key that signs the manifest; empty when unsigned.
	KeyID string `json:"keyID,omitempty"`
}

// ScopeLine is one line of the scope statement: what the report covers, as given or as
// found, so that no verdict is read beyond it.
type ScopeLine struct {
	Label string `json:"label"`
	Text  string `json:"text"`
}

// ScopeStatement says what the report is about: the period (as given, with its time zone,
// or the logs' own span when none was), the cluster, the API servers expected and seen, the
// kinds in scope, the inputs, and the policy files checked.
func ScopeStatement(r *Report) []ScopeLine {
	stamp := func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05Z") }
	var first, last time.Time
	for _, in := range r.Inputs {
		if in.FirstEvent != nil && (first.IsZero() || in.FirstEvent.Before(first)) {
			first = *in.FirstEvent
		}
		if in.LastEvent != nil && in.LastEvent.After(last) {
			last = *in.LastEvent
		}
	}
	logs := "no event"
	if !first.IsZero() {
		logs = stamp(first) + " to " + stamp(last)
	}
	// A bound given in a time zone is said in it too, so that the day it names shows:
	// last-week in Europe/Berlin starts at 2026-11-23 00:00 there, 2026-11-22 23:00:00Z.
	bound := stamp
	if loc, err := time.LoadLocation(r.Period.TimeZone); err == nil && r.Period.TimeZone != "" && r.Period.TimeZone != "UTC" {
		bound = func(t time.Time) string {
			return fmt.Sprintf("%s %s (%s)", t.In(loc).Format("2006-01-02 15:04:05"), r.Period.TimeZone, stamp(t))
		}
	}
	var period string
	switch p := r.Period; {
	case p.Start != nil && p.End != nil:
		period = fmt.Sprintf("%s to %s (end exclusive), as given; the logs read run from %s", bound(*p.Start), bound(*p.End), logs)
	case p.Start != nil:
		period = fmt.Sprintf("from %s, as given, with no end: to the report's time, %s; the logs read run from %s", bound(*p.Start), stamp(r.GeneratedAt), logs)
	case p.End != nil:
		period = fmt.Sprintf("to %s, as given, with no start; the logs read run from %s", bound(*p.End), logs)
	default:
		period = "none given: the logs' own span, " + logs + "; the verdict says nothing of the time before or after it"
	}
	cluster := r.Cluster
	if cluster == "" {
		cluster = "not named (--cluster)"
	}
	servers := "none seen"
	if a := r.APIServers; a != nil {
		seen := fmt.Sprintf("%d seen in the inputs", len(a.Seen))
		if len(a.Seen) > 0 {
			seen += " (" + strings.Join(a.Seen, ", ") + ")"
		}
		switch {
		case len(a.Named) > 0:
			servers = fmt.Sprintf("%d expected (%s); %s", len(a.Named), strings.Join(a.Named, ", "), seen)
		case a.Expected > 0:
			servers = fmt.Sprintf("%d expected; %s", a.Expected, seen)
		default:
			servers = seen + "; how many the cluster has was not stated (--api-servers), so only a server that stops or starts against the others can be found missing"
		}
	}
	var req []string
	for _, c := range r.Coverage {
		req = append(req, c.Kind)
	}
	// Calico's kinds are many and come in two groups: one item, counted.
	var scope []string
	calico := map[string]bool{}
	for _, k := range r.Scope {
		res, group, _ := strings.Cut(k, ".")
		if strings.HasSuffix(group, "projectcalico.org") {
			calico[res] = true
			continue
		}
		scope = append(scope, k)
	}
	if len(calico) > 0 {
		scope = append(scope, fmt.Sprintf("Calico's %d policy kinds (projectcalico.org, crd.projectcalico.org)", len(calico)))
	}
	kinds := strings.Join(scope, ", ")
	if len(req) > 0 {
		kinds += "; required of the trail: " + strings.Join(req, ", ")
	}
	policies := "none (--policy)"
	if r.Policy != nil {
		var files []string
		for _, f := range r.Policy.Files {
			files = append(files, f.Source)
		}
		policies = strings.Join(files, ", ")
	}
	evidence := "no evidence manifest (--evidence)"
	if e := r.Evidence; e != nil {
		evidence = e.Manifest + ", which records the SHA-256 of every input and output and this report's digest; "
		if e.KeyID != "" {
			evidence += "signed with the ed25519 key " + e.KeyID
		} else {
			evidence += "not signed (--sign-key)"
		}
	}
	return []ScopeLine{
		{"Period", period},
		{"Cluster", cluster},
		{"API servers", servers},
		{"Kinds", kinds},
		{"Inputs", fmt.Sprintf("%d file(s), %d events; each file's SHA-256 is listed with the inputs", len(r.Inputs), r.Summary.Events)},
		{"Policy files", policies},
		{"Evidence", evidence},
	}
}
