// Package deploy holds the Kubernetes manifests that run auditreport on a schedule; its test
// decodes them into the Kubernetes API types (no cluster is needed) and checks what matters.
package deploy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"
	psapolicy "k8s.io/pod-security-admission/policy"
	"sigs.k8s.io/yaml"
)

func decode(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Strict: a misspelt field would be dropped silently by the API server's client.
	if err := yaml.UnmarshalStrict(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

func TestCronJobs(t *testing.T) {
	for _, variant := range []string{"self-managed", "managed"} {
		t.Run(variant, func(t *testing.T) {
			var cj batchv1.CronJob
			decode(t, filepath.Join(variant, "cronjob.yaml"), &cj)
			if cj.Spec.ConcurrencyPolicy != batchv1.ForbidConcurrent {
				t.Errorf("concurrencyPolicy %q, want Forbid", cj.Spec.ConcurrencyPolicy)
			}
			if cj.Spec.TimeZone == nil || *cj.Spec.TimeZone != "Etc/UTC" {
				t.Errorf("the schedule has no explicit time zone")
			}
			job := cj.Spec.JobTemplate.Spec
			if job.BackoffLimit == nil || *job.BackoffLimit != 0 || job.ActiveDeadlineSeconds == nil {
				t.Errorf("a failed report must not be retried away, and a stuck one must end")
			}
			pod := job.Template.Spec
			if pod.RestartPolicy != corev1.RestartPolicyNever {
				t.Errorf("restartPolicy %q", pod.RestartPolicy)
			}
			if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
				t.Errorf("the Job needs no API access: no service account token")
			}
			psc := pod.SecurityContext
			if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 ||
				psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
				t.Errorf("pod security context %+v", psc)
			}
			if len(pod.Containers) != 1 {
				t.Fatalf("%d containers", len(pod.Containers))
			}
			c := pod.Containers[0]
			sc := c.SecurityContext
			if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
				(sc.Privileged != nil && *sc.Privileged) || sc.Capabilities == nil || len(sc.Capabilities.Drop) != 1 || sc.Capabilities.Drop[0] != "ALL" || len(sc.Capabilities.Add) != 0 {
				t.Errorf("container security context %+v", sc)
			}
			for _, r := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory} {
				if _, ok := c.Resources.Requests[r]; !ok {
					t.Errorf("no %s request", r)
				}
				if _, ok := c.Resources.Limits[r]; !ok {
					t.Errorf("no %s limit", r)
				}
			}
			if mem := c.Resources.Limits[corev1.ResourceMemory]; mem.Value() < 1<<30 {
				t.Errorf("memory limit %s is below the 1 GiB the README sizes for: 16 days of a growing cluster (8 GB of log) took 936 MiB writing pdf, json and csv in a 1 GiB cgroup (docs/performance.md)", mem.String())
			}
			if mem := c.Resources.Requests[corev1.ResourceMemory]; mem.Value() < 300<<20 {
				t.Errorf("memory request %s is below what a 1 GB day uses (212 MiB measured writing pdf, json and csv, docs/performance.md): the pod may be evicted first under memory pressure", mem.String())
			}
			args := strings.Join(c.Args, " ")
			for _, want := range []string{"--period=yesterday", "--exit-code=", "--evidence=", "--format=pdf,json,csv", "--output=/reports/{{.Cluster}}-{{.Period.Start}}", "--log-format=json"} {
				if !strings.Contains(args, want) {
					t.Errorf("args lack %s: %s", want, args)
				}
			}
			// The logs are mounted read-only; the reports go to a persistent volume.
			mounts := map[string]corev1.VolumeMount{}
			for _, m := range c.VolumeMounts {
				mounts[m.Name] = m
			}
			vols := map[string]corev1.Volume{}
			for _, v := range pod.Volumes {
				vols[v.Name] = v
			}
			// The histories go to an emptyDir (the root file system is read-only) big enough
			// for a month of 1 GB days (up to about 135 MiB a GB of log at its largest,
			// docs/performance.md).
			tmp, ok := mounts["tmp"]
			if !ok || !strings.Contains(args, "--tmp-dir="+tmp.MountPath) || vols["tmp"].EmptyDir == nil ||
				vols["tmp"].EmptyDir.SizeLimit == nil || vols["tmp"].EmptyDir.SizeLimit.Value() < 30*135<<20 {
				t.Errorf("--tmp-dir is not an emptyDir of at least %d MiB: %+v, %+v", 30*135, tmp, vols["tmp"])
			}
			logs := "audit-logs"
			if variant == "managed" {
				logs = "audit-exports"
			}
			if m, ok := mounts[logs]; !ok || !m.ReadOnly || !strings.Contains(args, "--from="+m.MountPath) {
				t.Errorf("the logs are not mounted read-only where --from reads: %+v", m)
			}
			if v := vols["reports"]; v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != "auditreport-reports" {
				t.Errorf("reports volume %+v", v)
			}
			if m := mounts["reports"]; !strings.Contains(args, "--output="+m.MountPath+"/") {
				t.Errorf("reports are not written to the volume")
			}
			switch variant {
			case "self-managed":
				if _, ok := pod.NodeSelector["node-role.kubernetes.io/control-plane"]; !ok {
					t.Errorf("not scheduled on a control-plane node: %v", pod.NodeSelector)
				}
				tolerated := false
				for _, tol := range pod.Tolerations {
					if tol.Key == "node-role.kubernetes.io/control-plane" && tol.Effect == corev1.TaintEffectNoSchedule {
						tolerated = true
					}
				}
				if !tolerated {
					t.Errorf("no toleration for the control-plane taint")
				}
				if hp := vols[logs].HostPath; hp == nil || hp.Type == nil || *hp.Type != corev1.HostPathDirectory {
					t.Errorf("audit logs volume %+v", vols[logs])
				}
			case "managed":
				if len(pod.NodeSelector) != 0 || vols[logs].HostPath != nil {
					t.Errorf("the managed variant needs no node access")
				}
				if v := vols[logs].PersistentVolumeClaim; v == nil || !v.ReadOnly {
					t.Errorf("exports volume %+v", vols[logs])
				}
			}
		})
	}
}

// Every file a kustomization lists exists and decodes; the namespaces carry Pod Security labels.
func TestKustomizations(t *testing.T) {
	for _, variant := range []string{"self-managed", "managed"} {
		var k struct {
			APIVersion string   `json:"apiVersion"`
			Kind       string   `json:"kind"`
			Namespace  string   `json:"namespace"`
			Resources  []string `json:"resources"`
			Images     []struct {
				Name   string `json:"name"`
				NewTag string `json:"newTag"`
			} `json:"images"`
		}
		decode(t, filepath.Join(variant, "kustomization.yaml"), &k)
		if k.Kind != "Kustomization" || k.Namespace != "auditreport" || len(k.Resources) != 3 {
			t.Errorf("%s: %+v", variant, k)
		}
		for _, r := range k.Resources {
			if _, err := os.Stat(filepath.Join(variant, r)); err != nil {
				t.Errorf("%s: %v", variant, err)
			}
		}
		var ns corev1.Namespace
		decode(t, filepath.Join(variant, "namespace.yaml"), &ns)
		if ns.Labels["pod-security.kubernetes.io/enforce"] == "" {
			t.Errorf("%s: namespace without a Pod Security level", variant)
		}
		var pvc corev1.PersistentVolumeClaim
		decode(t, filepath.Join(variant, "pvc.yaml"), &pvc)
		if pvc.Name != "auditreport-reports" {
			t.Errorf("%s: claim %q", variant, pvc.Name)
		}
	}
}

// The image is static, stamped, and runs as non-root.
func TestDockerfile(t *testing.T) {
	b, err := os.ReadFile("../Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	d := string(b)
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X main.version=${VERSION}", "-X main.commit=${COMMIT}", "FROM gcr.io/distroless/static", "USER 65532:65532", "AS build"} {
		if !strings.Contains(d, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if n := strings.Count(d, "\nFROM "); n != 2 {
		t.Errorf("%d stages, want 2", n)
	}
}

// Each CronJob's pod meets the Pod Security level its namespace enforces, as evaluated by
// k8s.io/pod-security-admission, the code behind kube-apiserver's PodSecurity admission
// plugin. (make e2e also creates the pod with a server-side dry run against a real API
// server.) Before this test, the self-managed namespace enforced "baseline", which forbids
// the hostPath volume the job reads the logs from, so the nightly job never started a pod.
func TestPodSecurityAdmitsTheCronJobs(t *testing.T) {
	eval, err := psapolicy.NewEvaluator(psapolicy.DefaultChecks(), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, variant := range []string{"self-managed", "managed"} {
		t.Run(variant, func(t *testing.T) {
			var ns corev1.Namespace
			decode(t, filepath.Join(variant, "namespace.yaml"), &ns)
			var cj batchv1.CronJob
			decode(t, filepath.Join(variant, "cronjob.yaml"), &cj)
			for _, mode := range []string{"enforce", "audit", "warn"} {
				v, ok := ns.Labels["pod-security.kubernetes.io/"+mode]
				if !ok {
					if mode == "enforce" {
						t.Errorf("the namespace enforces no Pod Security level")
					}
					continue
				}
				level, err := psaapi.ParseLevel(v)
				if err != nil {
					t.Fatalf("%s level %q: %v", mode, v, err)
				}
				tmpl := cj.Spec.JobTemplate.Spec.Template
				res := psapolicy.AggregateCheckResults(eval.EvaluatePod(psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()}, &tmpl.ObjectMeta, &tmpl.Spec))
				if !res.Allowed {
					t.Errorf("Pod Security %s=%s refuses the job's pod: %s: %s", mode, v, res.ForbiddenReason(), res.ForbiddenDetail())
				}
			}
		})
	}
}
