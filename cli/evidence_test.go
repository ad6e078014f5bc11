package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// copyTree copies the HA scenario so that the test can change its bytes.
func copyLogs(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	for i := 1; i <= 3; i++ {
		name := filepath.Join(dir, "logs", "kube-apiserver-"+string(rune('0'+i))+"-audit.log")
		os.MkdirAll(filepath.Dir(name), 0o755)
		b, err := os.ReadFile("../testdata/logs/ha-3-nodes/kube-apiserver-" + string(rune('0'+i)) + "-audit.log")
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(name, b, 0o644)
		out = append(out, name)
	}
	return out
}

func flip(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 1
	os.WriteFile(path, b, 0o644)
}

// verify detects a changed byte in an input and in a report, and checks signatures.
func TestEvidenceAndVerify(t *testing.T) {
	dir := t.TempDir()
	copyLogs(t, dir)
	key := filepath.Join(dir, "sign.key")
	if _, errOut, code := run(t, "", "keygen", "-o", key); code != 0 {
		t.Fatalf("keygen: %d %s", code, errOut)
	}
	if fi, _ := os.Stat(key); fi.Mode().Perm() != 0o600 {
		t.Errorf("private key mode %v", fi.Mode().Perm())
	}
	out := filepath.Join(dir, "out")
	os.Mkdir(out, 0o755)
	manifest := filepath.Join(out, "evidence.json")
	_, errOut, code := run(t, "", "--from", filepath.Join(dir, "logs"), "--format", "json,pdf", "-o", filepath.Join(out, "report"),
		"--evidence", manifest, "--sign-key", key)
	if code != 0 {
		t.Fatalf("report: %d %s", code, errOut)
	}
	// The report's own digest can be recomputed from the saved JSON.
	r, err := readReport(filepath.Join(out, "report.json"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := reportDigest(r); d != r.Digest || !strings.HasPrefix(d, "sha256:") {
		t.Errorf("digest %s, recomputed %s", r.Digest, d)
	}
	m, _ := os.ReadFile(manifest)
	if !strings.Contains(string(m), r.Digest) || !strings.Contains(string(m), `"path": "report.pdf"`) || !strings.Contains(string(m), `"signingKey": "sha256:`) {
		t.Errorf("manifest:\n%s", m)
	}
	// The signature is of the file's bytes: openssl checks it without auditreport.
	if openssl, err := exec.LookPath("openssl"); err == nil {
		out, err := exec.Command(openssl, "pkeyutl", "-verify", "-pubin", "-inkey", key+".pub", "-rawin", "-in", manifest, "-sigfile", manifest+".sig").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Signature Verified Successfully") {
			t.Errorf("openssl does not verify the signature: %v %s", err, out)
		}
	}

	stdout, errOut, code := run(t, "", "verify", "--pub-key", key+".pub", manifest)
	if code != 0 || strings.Count(stdout, "ok ") != 1+3+2 {
		t.Fatalf("verify of untouched evidence: exit %d\n%s%s", code, stdout, errOut)
	}

	// Another key does not verify.
	other := filepath.Join(dir, "other.key")
	run(t, "", "keygen", "-o", other)
	if stdout, _, code := run(t, "", "verify", "--pub-key", other+".pub", manifest); code != ExitCheckFailed || !strings.Contains(stdout, "INVALID") {
		t.Errorf("verify with another key: exit %d\n%s", code, stdout)
	}

	// One byte changed in an input.
	flip(t, filepath.Join(dir, "logs", "kube-apiserver-2-audit.log"))
	stdout, _, code = run(t, "", "verify", manifest)
	if code != ExitCheckFailed || !strings.Contains(stdout, "CHANGED   input "+filepath.Join(dir, "logs", "kube-apiserver-2-audit.log")) {
		t.Errorf("changed input: exit %d\n%s", code, stdout)
	}
	// One byte changed in the PDF, and the JSON report removed.
	flip(t, filepath.Join(out, "report.pdf"))
	os.Remove(filepath.Join(out, "report.json"))
	stdout, _, _ = run(t, "", "verify", manifest)
	if !strings.Contains(stdout, "CHANGED   output "+filepath.Join(out, "report.pdf")) || !strings.Contains(stdout, "MISSING   output "+filepath.Join(out, "report.json")) {
		t.Errorf("changed and missing outputs:\n%s", stdout)
	}
	// The manifest itself edited: the signature no longer holds.
	edited := strings.Replace(string(m), `"bytes": `, `"bytes": 1`, 1)
	os.WriteFile(manifest, []byte(edited), 0o644)
	if stdout, _, code := run(t, "", "verify", "--pub-key", key+".pub", manifest); code != ExitCheckFailed || !strings.Contains(stdout, "INVALID") {
		t.Errorf("edited manifest: exit %d\n%s", code, stdout)
	}
	// Logs moved elsewhere are found with --inputs-root.
	copyLogs(t, filepath.Join(dir, "archive", strings.TrimPrefix(dir, "/")))
	stdout, _, _ = run(t, "", "verify", "--inputs-root", filepath.Join(dir, "archive"), manifest)
	if n := strings.Count(stdout, "ok        input "); n != 3 {
		t.Errorf("--inputs-root: %d inputs found unchanged, want 3:\n%s", n, stdout)
	}
}

func TestEvidenceFlagErrors(t *testing.T) {
	dir := t.TempDir()
	key := filepath.Join(dir, "audit.key")
	if _, errOut, code := run(t, "", "keygen", "-o", key); code != 0 {
		t.Fatalf("keygen: exit %d %s", code, errOut)
	}
	for _, tc := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"--sign-key", "nope.key"}, ExitUsage, "give --evidence FILE too"},
		{[]string{"--evidence", filepath.Join(dir, "e.json"), "--sign-key", "../testdata/logs/README.md"}, ExitInput, "--sign-key ../testdata/logs/README.md: not a PEM key file"},
		// The public half of the pair: said plainly, not as an ASN.1 structure.
		{[]string{"--evidence", filepath.Join(dir, "e.json"), "--sign-key", key + ".pub"}, ExitInput, "--sign-key " + key + ".pub: a public key: signing needs the private key"},
	} {
		_, errOut, code := run(t, "", append([]string{"--from", "../testdata/logs/ha-3-nodes"}, tc.args...)...)
		if code != tc.code || !strings.Contains(errOut, tc.msg) || strings.Contains(errOut, "asn1") {
			t.Errorf("%v: exit %d %s; want exit %d mentioning %q", tc.args, code, errOut, tc.code, tc.msg)
		}
	}
	manifest := filepath.Join(dir, "e.json")
	if _, errOut, code := run(t, "", "--from", "../testdata/logs/ha-3-nodes", "--evidence", manifest, "-q"); code != 0 {
		t.Fatalf("evidence: exit %d %s", code, errOut)
	}
	if _, errOut, code := run(t, "", "verify", "--pub-key", key, manifest); code != ExitInput || !strings.Contains(errOut, "a private key: checking needs the public key") {
		t.Errorf("verify with the private key: exit %d %s", code, errOut)
	}
	if _, errOut, code := run(t, "", "verify", "../testdata/logs/README.md"); code != ExitInput || !strings.Contains(errOut, "not an auditreport evidence manifest") {
		t.Errorf("verify of a non-manifest: exit %d %s", code, errOut)
	}
}

// The key verify's help shows for --pub-key is one keygen's example writes: a newcomer who
// copies both gets a key that exists.
func TestVerifyExampleKeyIsKeygens(t *testing.T) {
	root := NewRootCommand(&IOStreams{}, BuildInfo{})
	example := func(name string) string {
		for _, c := range root.Commands() {
			if c.Name() == name {
				return c.Example
			}
		}
		t.Fatalf("no %s command", name)
		return ""
	}
	keygen := regexp.MustCompile(`auditreport (keygen -o \S+)`).FindStringSubmatch(example("keygen"))
	if keygen == nil {
		t.Fatalf("keygen's example has no keygen -o KEY:\n%s", example("keygen"))
	}
	t.Chdir(t.TempDir())
	if _, errOut, code := run(t, "", strings.Fields(keygen[1])...); code != 0 {
		t.Fatalf("%s: exit %d %s", keygen[1], code, errOut)
	}
	keys := regexp.MustCompile(`--pub-key (\S+)`).FindAllStringSubmatch(example("verify"), -1)
	if len(keys) == 0 {
		t.Fatalf("verify's example shows no --pub-key:\n%s", example("verify"))
	}
	for _, k := range keys {
		if _, err := os.Stat(k[1]); err != nil {
			written, _ := filepath.Glob("*")
			t.Errorf("verify's example gives --pub-key %s; %s wrote %v", k[1], keygen[1], written)
		}
	}
}
