package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// render reads the reports of v1, which v2 only added to and re-counted, and refuses a
// version it does not know.
func TestRenderReadsEarlierVersions(t *testing.T) {
	b, err := os.ReadFile("../testdata/reports/ha-3-nodes.json")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for _, tc := range []struct {
		version string
		code    int
		msg     string
	}{
		{"auditreport/v1", ExitOK, ""},
		{"auditreport/v2", ExitOK, ""},
		{"auditreport/v9", ExitInput, "report version auditreport/v9: this auditreport reads auditreport/v1 and auditreport/v2"},
	} {
		path := filepath.Join(dir, strings.ReplaceAll(tc.version, "/", "-")+".json")
		doc := strings.Replace(string(b), `"apiVersion": "auditreport/v2"`, `"apiVersion": "`+tc.version+`"`, 1)
		if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := run(t, "", "render", path, "--format", "markdown")
		if code != tc.code || !strings.Contains(errOut, tc.msg) || (code == ExitOK && !strings.Contains(out, "# Kubernetes audit report")) {
			t.Errorf("%s: exit %d, %s", tc.version, code, errOut)
		}
	}
}
