package harness

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// CheckDeploy applies each variant of the deploy manifests (kubectl apply -k) to a fresh API
// server with its default admission plugins, Pod Security included, and creates each
// CronJob's pod template with a server-side dry run, so that admission and schema
// validation judge them as a cluster would.
func CheckDeploy(ctx context.Context, bin, deployDir string, w io.Writer) error {
	work, err := os.MkdirTemp("", "auditreport-deploy-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	policy := filepath.Join(work, "policy.yaml")
	if err := os.WriteFile(policy, []byte("apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n"), 0o644); err != nil {
		return err
	}
	cp, err := Start(ctx, Config{Bin: bin, Dir: work, Policy: policy, AuditLogMaxSizeMB: 10})
	if err != nil {
		return err
	}
	defer cp.Stop()
	kc, err := cp.Kubeconfig("admin-token")
	if err != nil {
		return err
	}
	kubectl := func(stdin []byte, args ...string) ([]byte, error) {
		cmd := exec.CommandContext(ctx, filepath.Join(bin, "kubectl"), append([]string{"--kubeconfig", kc}, args...)...)
		var out, errb bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = bytes.NewReader(stdin), &out, &errb
		if err := cmd.Run(); err != nil {
			return out.Bytes(), fmt.Errorf("kubectl %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
		}
		return out.Bytes(), nil
	}
	variants, err := os.ReadDir(deployDir)
	if err != nil {
		return err
	}
	var failed []string
	for _, v := range variants {
		dir := filepath.Join(deployDir, v.Name())
		if _, err := os.Stat(filepath.Join(dir, "kustomization.yaml")); err != nil {
			continue
		}
		out, err := kubectl(nil, "apply", "-k", dir)
		if err != nil {
			failed = append(failed, err.Error())
			continue
		}
		fmt.Fprintf(w, "%s: kubectl apply -k: %s", v.Name(), out)
		rendered, err := kubectl(nil, "kustomize", dir)
		if err != nil {
			failed = append(failed, err.Error())
			continue
		}
		for _, doc := range strings.Split(string(rendered), "\n---\n") {
			if !strings.Contains(doc, "kind: CronJob") {
				continue
			}
			js, err := kubectl([]byte(doc), "create", "--dry-run=client", "-f", "-", "-o", "json")
			if err != nil {
				failed = append(failed, err.Error())
				continue
			}
			var cj struct {
				Metadata struct{ Name, Namespace string } `json:"metadata"`
				Spec     struct {
					JobTemplate struct {
						Spec struct {
							Template struct {
								Metadata map[string]any `json:"metadata"`
								Spec     map[string]any `json:"spec"`
							} `json:"template"`
						} `json:"spec"`
					} `json:"jobTemplate"`
				} `json:"spec"`
			}
			if err := json.Unmarshal(js, &cj); err != nil {
				return err
			}
			tmpl := cj.Spec.JobTemplate.Spec.Template
			meta := tmpl.Metadata
			if meta == nil {
				meta = map[string]any{}
			}
			meta["name"], meta["namespace"] = cj.Metadata.Name+"-dry-run", cj.Metadata.Namespace
			pod, _ := json.Marshal(map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": tmpl.Spec})
			if out, err := kubectl(pod, "create", "--dry-run=server", "-f", "-"); err != nil {
				failed = append(failed, fmt.Sprintf("%s: the CronJob's pod is refused: %v", v.Name(), err))
			} else {
				fmt.Fprintf(w, "%s: pod of CronJob %s/%s admitted: %s", v.Name(), cj.Metadata.Namespace, cj.Metadata.Name, out)
			}
		}
		// The variants share a namespace: remove this one so the next meets no leftovers.
		if _, err := kubectl(nil, "delete", "-k", dir, "--wait=true", "--timeout=90s"); err != nil {
			failed = append(failed, err.Error())
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("deploy manifests refused:\n  %s", strings.Join(failed, "\n  "))
	}
	return nil
}
