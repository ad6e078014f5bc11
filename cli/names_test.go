package cli

import (
	"testing"
	"time"

	"github.com/auditreport/auditreport/report"
)

// The name a report gives its files: the cluster, else the first input, made safe for a file
// name; and its period, from the flags or else from the events read.
func TestReportNames(t *testing.T) {
	for _, tc := range []struct {
		cluster string
		from    []string
		want    string
	}{
		{"prod-eu", []string{"x"}, "prod-eu"},
		{"prod/eu ../x", nil, "prod_eu___x"},
		{"", []string{"testdata/logs/ha-3-nodes/"}, "ha-3-nodes"},
		{"", []string{"/var/log/kube-audit.log.gz"}, "kube-audit"},
		{"", []string{"node-*/kube-audit*.log*"}, "kube-audit_.log"},
		{"", []string{"-"}, "stdin"},
		{"", nil, "report"},
		{"..", nil, "report"},
	} {
		if got := reportName(tc.cluster, tc.from); got != tc.want {
			t.Errorf("reportName(%q, %q) = %q, want %q", tc.cluster, tc.from, got, tc.want)
		}
	}
	day := func(d, h int) *time.Time { t := time.Date(2026, 11, d, h, 0, 0, 0, time.UTC); return &t }
	for _, tc := range []struct {
		period report.Period
		inputs []report.Input
		want   string
	}{
		{report.Period{Start: day(1, 0), End: day(2, 0)}, nil, "2026-11-01"},
		{report.Period{Start: day(1, 0), End: day(8, 0)}, nil, "2026-11-01_2026-11-07"},
		{report.Period{}, []report.Input{{FirstEvent: day(3, 6), LastEvent: day(3, 9)}, {FirstEvent: day(2, 23), LastEvent: day(4, 1)}}, "2026-11-02_2026-11-04"},
		{report.Period{}, nil, ""},
	} {
		if got := periodName(&report.Report{Period: tc.period, Inputs: tc.inputs}); got != tc.want {
			t.Errorf("periodName(%+v) = %q, want %q", tc.period, got, tc.want)
		}
	}
	// A name template without --cluster or a period still makes a file name.
	got, err := expandOutput("reports/{{.Cluster}}-{{.Period.Start}}", reportName("", []string{"logs/node-1/"}), report.Period{}, time.Now(), time.UTC)
	if err != nil || got != "reports/node-1-begin" {
		t.Errorf("expandOutput = %q, %v", got, err)
	}
}
