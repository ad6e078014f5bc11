package cli

import (
	"crypto/ed25519"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/auditreport/auditreport/render"
	"github.com/auditreport/auditreport/report"
)

// Manifest is the evidence of one run: what was read, what was written, by what, with
// digests that `auditreport verify` checks again. With --sign-key, MANIFEST.sig holds an
// ed25519 signature of the manifest file's exact bytes, which openssl can check too.
type Manifest struct {
	APIVersion  string        `json:"apiVersion"`
	Kind        string        `json:"kind"`
	GeneratedAt time.Time     `json:"generatedAt"`
	Tool        report.Tool   `json:"tool"`
	Cluster     string        `json:"cluster,omitempty"`
	Period      report.Period `json:"period"`
	// ReportDigest is the report's own digest (the report's digest field).
	ReportDigest string       `json:"reportDigest"`
	Inputs       []FileDigest `json:"inputs"`
	Outputs      []FileDigest `json:"outputs"`
	// SigningKey names the key that signed the manifest (MANIFEST.sig), when one did: the
	// SHA-256 of its public key (PKIX DER).
	SigningKey string `json:"signingKey,omitempty"`
}

// ManifestKind names the document.
const ManifestKind = "EvidenceManifest"

// FileDigest is one file and its SHA-256.
type FileDigest struct {
	Path   string `json:"path"`
	Format string `json:"format,omitempty"`
	SHA256 string `json:"sha256"`
	Bytes  int64  `json:"bytes"`
}

// reportDigest is the SHA-256 of the report as JSON without its digest field, written the
// way --format json writes it: anyone can recompute it from a saved JSON report. A run that
// writes a JSON file takes it from that file's bytes instead (writeReport).
func reportDigest(r *report.Report) (string, error) {
	return render.JSON{}.Digest(r)
}

func hashFile(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

// writeManifest records the run: inputs as the report has them, outputs hashed as written
// (in set, before they are renamed into place with the manifest).
func writeManifest(set *outputSet, path string, rep *report.Report, targets []target, keyPath string, streams *IOStreams) error {
	m := &Manifest{APIVersion: report.APIVersion, Kind: ManifestKind, GeneratedAt: rep.GeneratedAt, Tool: rep.Tool,
		Cluster: rep.Cluster, Period: rep.Period, ReportDigest: rep.Digest, Inputs: []FileDigest{}, Outputs: []FileDigest{}}
	for _, in := range rep.Inputs {
		if in.Skipped != "" {
			continue // not read: no digest to check later (and a FIFO cannot be read again)
		}
		m.Inputs = append(m.Inputs, FileDigest{Path: in.Source, SHA256: in.SHA256, Bytes: in.Bytes})
	}
	base := filepath.Dir(path)
	for _, t := range targets {
		if t.path == "" || special(t.path) {
			continue // not a file: nothing to check again later
		}
		sum, n, err := hashFile(set.staged(t.path))
		if err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		p := t.path
		if rel, err := filepath.Rel(base, t.path); err == nil && !strings.HasPrefix(rel, "..") {
			p = rel
		}
		m.Outputs = append(m.Outputs, FileDigest{Path: p, Format: string(t.format), SHA256: sum, Bytes: n})
	}
	var key ed25519.PrivateKey
	if keyPath != "" {
		var err error
		if key, err = readPrivateKey(keyPath); err != nil {
			return err
		}
		if m.SigningKey, err = keyID(key.Public().(ed25519.PublicKey)); err != nil {
			return err
		}
	}
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := set.add(path, streams, func(w io.Writer) error { _, err := w.Write(b); return err }); err != nil {
		return err
	}
	if key == nil {
		return nil
	}
	// A detached signature of the file's exact bytes: anyone can check it without this tool
	// (openssl pkeyutl -verify -pubin -inkey KEY.pub -rawin -in MANIFEST -sigfile MANIFEST.sig).
	sig := ed25519.Sign(key, b)
	return set.add(path+".sig", streams, func(w io.Writer) error { _, err := w.Write(sig); return err })
}

func keyID(pub ed25519.PublicKey) (string, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(der)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

// readPrivateKey reads an ed25519 private key in PEM (PKCS #8), as `openssl genpkey
// -algorithm ed25519` or `auditreport keygen` write it.
func readPrivateKey(path string) (ed25519.PrivateKey, error) {
	k, err := readPEMKey("--sign-key", path, "PRIVATE KEY", x509.ParsePKCS8PrivateKey)
	if err != nil {
		return nil, err
	}
	key, ok := k.(ed25519.PrivateKey)
	if !ok {
		return nil, &FileError{Flag: "--sign-key", Path: path, Err: fmt.Errorf("a %s key, want an ed25519 one", keyType(k))}
	}
	return key, nil
}

// readPublicKey reads an ed25519 public key in PEM (PKIX).
func readPublicKey(path string) (ed25519.PublicKey, error) {
	k, err := readPEMKey("--pub-key", path, "PUBLIC KEY", x509.ParsePKIXPublicKey)
	if err != nil {
		return nil, err
	}
	key, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, &FileError{Flag: "--pub-key", Path: path, Err: fmt.Errorf("a %s key, want an ed25519 one", keyType(k))}
	}
	return key, nil
}

// readPEMKey reads the first PEM block of a file, which must be of the type given ("PRIVATE
// KEY" or "PUBLIC KEY"), and parses it. The other half of a pair is named as such rather
// than parsed into an ASN.1 error.
func readPEMKey(flag, path, want string, parse func([]byte) (any, error)) (any, error) {
	b, err := readFlagFile(flag, path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	switch {
	case block == nil:
		return nil, &FileError{Flag: flag, Path: path, Err: errors.New("not a PEM key file (auditreport keygen or openssl genpkey -algorithm ed25519 make one)")}
	case block.Type == "PUBLIC KEY" && want != block.Type:
		return nil, &FileError{Flag: flag, Path: path, Err: errors.New("a public key: signing needs the private key (keygen -o KEY writes the private key to KEY, the public one to KEY.pub)")}
	case strings.HasSuffix(block.Type, "PRIVATE KEY") && want == "PUBLIC KEY":
		return nil, &FileError{Flag: flag, Path: path, Err: errors.New("a private key: checking needs the public key (keygen -o KEY wrote it to KEY.pub)")}
	case block.Type != want:
		return nil, &FileError{Flag: flag, Path: path, Err: fmt.Errorf("a PEM %q block, want %q", block.Type, want)}
	}
	k, err := parse(block.Bytes)
	if err != nil {
		return nil, &FileError{Flag: flag, Path: path, Err: fmt.Errorf("not a key this tool reads: %w", err)}
	}
	return k, nil
}

// keyType names a key's algorithm for a message.
func keyType(k any) string {
	t := strings.TrimPrefix(fmt.Sprintf("%T", k), "*")
	switch {
	case strings.HasPrefix(t, "rsa."):
		return "RSA"
	case strings.HasPrefix(t, "ecdsa."):
		return "ECDSA"
	case strings.HasPrefix(t, "ecdh."):
		return "ECDH"
	}
	return t
}

type verifyOptions struct {
	PubKey     string
	InputsRoot string
	Format     string
}

func newVerifyCommand(streams *IOStreams) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify MANIFEST",
		Short: "Check that the logs and reports of an evidence manifest are unchanged",
		Long: `verify re-hashes every input and output an evidence manifest (--evidence) lists and says
which are unchanged, changed or missing; with --pub-key it also checks the manifest's ed25519
signature. Outputs are found relative to the manifest's folder; inputs where the manifest
says, or under --inputs-root (for logs copied elsewhere since).

Exit codes:
  0  everything matches (and the signature is valid, with --pub-key)
  2  the command line is wrong
  3  the manifest cannot be read
  4  a file changed or is missing, or the signature is missing or invalid`,
		Example: `  auditreport verify reports/prod-2026-11-01.evidence.json
  auditreport verify --pub-key audit.key.pub --inputs-root /mnt/archive reports/prod-2026-11-01.evidence.json`,
		Args:          usageArgs(cobra.ExactArgs(1)),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(o, streams, args[0])
		},
	}
	cmd.Flags().StringVar(&o.PubKey, "pub-key", "", "ed25519 public key (PEM) to check the manifest's signature with")
	cmd.Flags().StringVar(&o.InputsRoot, "inputs-root", "", "look for the inputs under this folder (their paths in the manifest joined to it)")
	return cmd
}

func runVerify(o *verifyOptions, streams *IOStreams, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return &FileError{Flag: "verify", Path: path, Err: err}
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil || m.Kind != ManifestKind {
		return &FileError{Flag: "verify", Path: path, Err: errors.New("not an auditreport evidence manifest")}
	}
	var problems int
	say := func(status, what string) {
		fmt.Fprintf(streams.Out, "%-9s %s\n", status, what)
		if status != "ok" && status != "unsigned" {
			problems++
		}
	}
	sig, sigErr := os.ReadFile(path + ".sig")
	switch {
	case o.PubKey != "":
		pub, err := readPublicKey(o.PubKey)
		if err != nil {
			return err
		}
		id, _ := keyID(pub)
		switch {
		case errors.Is(sigErr, os.ErrNotExist):
			say("UNSIGNED", "no signature ("+path+".sig)")
		case sigErr != nil:
			say("UNREADABLE", path+".sig: "+sigErr.Error())
		case !ed25519.Verify(pub, b, sig):
			say("INVALID", "signature: the manifest was changed, or signed with another key than "+id+" (signed by "+m.SigningKey+")")
		default:
			say("ok", "signature by "+id)
		}
	case sigErr == nil:
		say("unsigned", "the manifest is signed ("+m.SigningKey+"); give --pub-key to check it")
	}
	check := func(kind string, f FileDigest, p string) {
		sum, n, err := hashFile(p)
		switch {
		case errors.Is(err, os.ErrNotExist):
			say("MISSING", kind+" "+p)
		case err != nil:
			say("UNREADABLE", kind+" "+p+": "+err.Error())
		case sum != f.SHA256:
			say("CHANGED", fmt.Sprintf("%s %s: sha256 %s, %d bytes; the manifest says %s, %d bytes", kind, p, sum, n, f.SHA256, f.Bytes))
		default:
			say("ok", kind+" "+p)
		}
	}
	for _, f := range m.Inputs {
		p := f.Path
		if p == "stdin" || p == "-" {
			say("skipped", "input read from stdin: nothing to re-hash")
			continue
		}
		if o.InputsRoot != "" {
			p = filepath.Join(o.InputsRoot, strings.TrimPrefix(filepath.Clean(p), string(filepath.Separator)))
		}
		check("input", f, p)
	}
	for _, f := range m.Outputs {
		p := f.Path
		if !filepath.IsAbs(p) {
			p = filepath.Join(filepath.Dir(path), p)
		}
		check("output", f, p)
	}
	if problems > 0 {
		return &CheckError{Code: ExitCheckFailed, Msg: fmt.Sprintf("%s: %d problem(s): the evidence does not match", path, problems)}
	}
	streams.Log(slog.LevelInfo, fmt.Sprintf("%s: %d input(s) and %d output(s) match", path, len(m.Inputs), len(m.Outputs)), "manifest", path)
	return nil
}

func newKeygenCommand(streams *IOStreams) *cobra.Command {
	var out string
	var force bool
	cmd := &cobra.Command{
		Use:   "keygen -o PATH",
		Short: "Make an ed25519 key pair to sign evidence manifests",
		Long: `keygen writes an ed25519 private key to PATH (PEM, PKCS #8, readable by its owner only)
and its public key to PATH.pub (PEM, PKIX), for --sign-key and verify --pub-key. It does not
replace existing keys unless --force is given: a replaced private key cannot sign for the
manifests its public key checks. Keys made with 'openssl genpkey -algorithm ed25519' work too.`,
		Example:       `  auditreport keygen -o audit.key     # writes audit.key and audit.key.pub`,
		Args:          usageArgs(cobra.NoArgs),
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if out == "" {
				return &UsageError{Err: errors.New("keygen needs -o PATH")}
			}
			for _, p := range []string{out, out + ".pub"} {
				if _, err := os.Lstat(p); err == nil && !force {
					return fmt.Errorf("keygen: %s exists: give --force to replace the key pair (manifests signed with the old key then no longer verify with the new public key)", p)
				}
			}
			if err := makeFolder(out); err != nil {
				return err
			}
			pub, priv, err := ed25519.GenerateKey(nil)
			if err != nil {
				return err
			}
			privDER, err := x509.MarshalPKCS8PrivateKey(priv)
			if err != nil {
				return err
			}
			pubDER, err := x509.MarshalPKIXPublicKey(pub)
			if err != nil {
				return err
			}
			if err := os.WriteFile(out, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: privDER}), 0o600); err != nil {
				return err
			}
			if err := os.WriteFile(out+".pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER}), 0o644); err != nil {
				return err
			}
			id, _ := keyID(pub)
			streams.Log(slog.LevelInfo, fmt.Sprintf("wrote %s and %s (key %s)", out, out+".pub", id))
			return nil
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "path of the private key; the public key goes to PATH.pub")
	cmd.Flags().BoolVar(&force, "force", false, "replace an existing key pair")
	return cmd
}
