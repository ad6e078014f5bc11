// Command record starts a real control plane, runs the scenario against it, and writes
// what it recorded (audit logs of both backends, requests and answers, snapshots) to a
// folder, as committed under testdata/logs/real-apiserver/. It then checks the deploy
// manifests against a fresh API server with admission on.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/auditreport/auditreport/e2e/harness"
)

const weakPolicy = `# A weaker policy, as found on many clusters: every request at Metadata, so writes are
# recorded (who, when, what object) but not what they changed.
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
  - level: None
    resources:
      - group: ""
        resources: ["events"]
      - group: "coordination.k8s.io"
        resources: ["leases"]
  - level: None
    nonResourceURLs: ["/healthz*", "/livez*", "/readyz*", "/version", "/metrics"]
  - level: Metadata
`

func main() {
	bin := flag.String("bin", "bin", "folder with etcd, kube-apiserver, kube-controller-manager and kubectl")
	out := flag.String("out", "", "folder to write the recording to (replaced)")
	policy := flag.String("policy", "", "the audit policy for the first part (auditreport policy generate)")
	deploy := flag.String("deploy", "", "the repository's deploy/ folder: check its manifests against the API server")
	keep := flag.Bool("keep", false, "keep the control plane's working folder")
	scenario := flag.String("scenario", "histories", "histories (every kind of write, then a weak policy) or posture (protection lost and regained)")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *bin, *out, *policy, *deploy, *scenario, *keep); err != nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, bin, out, policy, deploy, scenario string, keep bool) error {
	bin, _ = filepath.Abs(bin)
	if out != "" {
		if policy == "" {
			return fmt.Errorf("-policy is needed with -out")
		}
		if scenario != "histories" && scenario != "posture" {
			return fmt.Errorf("-scenario %q: want histories or posture", scenario)
		}
		if err := record(ctx, bin, out, policy, scenario, keep); err != nil {
			return err
		}
	}
	if deploy != "" {
		return harness.CheckDeploy(ctx, bin, deploy, os.Stdout)
	}
	return nil
}

func record(ctx context.Context, bin, out, policy, scenario string, keep bool) error {
	work, err := os.MkdirTemp("", "auditreport-e2e-")
	if err != nil {
		return err
	}
	if !keep {
		defer os.RemoveAll(work)
	} else {
		fmt.Fprintln(os.Stderr, "working folder:", work)
	}
	policyBytes, err := os.ReadFile(policy)
	if err != nil {
		return err
	}
	strong := filepath.Join(work, "policy.yaml")
	weak := filepath.Join(work, "weak-policy.yaml")
	if err := os.WriteFile(strong, policyBytes, 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(weak, []byte(weakPolicy), 0o644); err != nil {
		return err
	}
	cp, err := harness.Start(ctx, harness.Config{Bin: bin, Dir: work, Policy: strong, AuditLogMaxSizeMB: 1})
	if err != nil {
		return err
	}
	defer cp.Stop()
	sc, err := harness.NewScenario(cp)
	if err != nil {
		return err
	}
	start := time.Now()
	if scenario == "posture" {
		if err := sc.RunPosture(ctx, 3*time.Second); err != nil {
			return fmt.Errorf("posture scenario: %w", err)
		}
	} else {
		if err := sc.Run(ctx); err != nil {
			return fmt.Errorf("scenario: %w", err)
		}
		// The same API server, restarted with a weaker policy: the trail goes on without bodies.
		if err := cp.StartAPIServer(ctx, weak, cp.AuditLog, 1); err != nil {
			return err
		}
		if err := sc.RunWeak(ctx); err != nil {
			return fmt.Errorf("scenario under the weak policy: %w", err)
		}
	}
	// Let the webhook's batches and the log flush before stopping.
	time.Sleep(2 * time.Second)
	cp.Stop()
	fmt.Fprintf(os.Stderr, "scenario ran in %s\n", time.Since(start).Round(time.Second))

	if err := os.RemoveAll(out); err != nil {
		return err
	}
	for _, d := range []string{"log", "webhook", "snapshots"} {
		if err := os.MkdirAll(filepath.Join(out, d), 0o755); err != nil {
			return err
		}
	}
	for _, f := range []string{"policy.yaml", "weak-policy.yaml"} {
		if err := copyFile(filepath.Join(work, f), filepath.Join(out, f)); err != nil {
			return err
		}
	}
	logs, err := os.ReadDir(filepath.Join(work, "audit"))
	if err != nil {
		return err
	}
	for _, l := range logs {
		if err := copyFile(filepath.Join(work, "audit", l.Name()), filepath.Join(out, "log", l.Name())); err != nil {
			return err
		}
	}
	for i, b := range cp.Webhook.Batches() {
		if err := os.WriteFile(filepath.Join(out, "webhook", fmt.Sprintf("batch-%04d.json", i+1)), b, 0o644); err != nil {
			return err
		}
	}
	if err := sc.WriteSnapshots(filepath.Join(out, "snapshots")); err != nil {
		return err
	}
	var reqs strings.Builder
	for _, r := range sc.Rec.Requests() {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		reqs.Write(b)
		reqs.WriteByte('\n')
	}
	return os.WriteFile(filepath.Join(out, "requests.jsonl"), []byte(reqs.String()), 0o644)
}

func copyFile(from, to string) error {
	in, err := os.Open(from)
	if err != nil {
		return err
	}
	defer in.Close()
	o, err := os.Create(to)
	if err != nil {
		return err
	}
	if _, err := io.Copy(o, in); err != nil {
		o.Close()
		return err
	}
	return o.Close()
}
