// Package harness runs a real Kubernetes control plane (etcd, kube-apiserver,
// kube-controller-manager, all built from the Go module proxy) on loopback ports, drives a
// scripted scenario against it through client-go, and records what the API server really
// did: its audit logs (log and webhook backends), every request made with its answer, and
// the objects as they were at chosen instants.
package harness

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"k8s.io/client-go/rest"
)

// Users of the test cluster, by static token. Each is a person or a program an audit trail
// must tell apart.
var Users = []User{
	{Token: "admin-token", Name: "admin", Groups: []string{"system:masters"}},
	{Token: "alice-token", Name: "alice@example.com", Groups: []string{"developers"}},
	{Token: "ci-token", Name: "ci-bot", Groups: []string{"ci"}},
	{Token: "mallory-token", Name: "mallory@example.com", Groups: []string{"contractors"}},
	{Token: "node-token", Name: "system:node:node-1", Groups: []string{"system:nodes"}},
	{Token: "scheduler-token", Name: "system:kube-scheduler"},
	{Token: "cm-token", Name: "system:kube-controller-manager"},
}

// User is one static-token identity.
type User struct {
	Token, Name string
	Groups      []string
}

// ControlPlane is a running etcd, kube-apiserver and kube-controller-manager.
type ControlPlane struct {
	Dir      string // working folder: keys, tokens, kubeconfigs, data
	AuditLog string // the log backend's file
	Webhook  *Receiver
	Host     string // https://127.0.0.1:port

	bin       string
	etcdPort  int
	procs     []*exec.Cmd
	logs      []*os.File
	apiserver *exec.Cmd
}

// Config says how to start the control plane.
type Config struct {
	Bin    string // folder holding etcd, kube-apiserver, kube-controller-manager
	Dir    string
	Policy string // audit policy file
	// AuditLogMaxSizeMB is --audit-log-maxsize: small, so the run rotates and compresses.
	AuditLogMaxSizeMB int
}

// Start starts etcd, the API server (with both audit backends) and the controller manager,
// and waits until the API server answers.
func Start(ctx context.Context, cfg Config) (*ControlPlane, error) {
	cp := &ControlPlane{Dir: cfg.Dir, bin: cfg.Bin}
	for _, d := range []string{"etcd", "certs", "audit", "logs"} {
		if err := os.MkdirAll(filepath.Join(cfg.Dir, d), 0o755); err != nil {
			return nil, err
		}
	}
	if err := cp.writeFiles(); err != nil {
		return nil, err
	}
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	cp.etcdPort = ports[0]
	if err := cp.startEtcd(ports[0], ports[1]); err != nil {
		cp.Stop()
		return nil, err
	}
	cp.Webhook, err = NewReceiver()
	if err != nil {
		cp.Stop()
		return nil, err
	}
	cp.Host = "https://127.0.0.1:" + strconv.Itoa(ports[2])
	if err := cp.StartAPIServer(ctx, cfg.Policy, filepath.Join(cfg.Dir, "audit", "kube-audit.log"), cfg.AuditLogMaxSizeMB); err != nil {
		cp.Stop()
		return nil, err
	}
	if err := cp.startControllerManager(ports[3]); err != nil {
		cp.Stop()
		return nil, err
	}
	return cp, nil
}

func (cp *ControlPlane) path(name string) string { return filepath.Join(cp.Dir, name) }

// writeFiles writes the service account key, the token file and the webhook kubeconfig.
func (cp *ControlPlane) writeFiles() error {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return err
	}
	der := x509.MarshalPKCS1PrivateKey(key)
	if err := os.WriteFile(cp.path("sa.key"), pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		return err
	}
	var tokens strings.Builder
	for i, u := range Users {
		fmt.Fprintf(&tokens, "%s,%s,%d,%q\n", u.Token, u.Name, 1000+i, strings.Join(u.Groups, ","))
	}
	return os.WriteFile(cp.path("tokens.csv"), []byte(tokens.String()), 0o600)
}

func (cp *ControlPlane) run(name string, args ...string) (*exec.Cmd, error) {
	cmd := exec.Command(filepath.Join(cp.bin, name), args...)
	f, err := os.OpenFile(cp.path(filepath.Join("logs", name+".log")), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	cp.procs = append(cp.procs, cmd)
	cp.logs = append(cp.logs, f)
	return cmd, nil
}

func (cp *ControlPlane) startEtcd(client, peer int) error {
	c := "http://127.0.0.1:" + strconv.Itoa(client)
	p := "http://127.0.0.1:" + strconv.Itoa(peer)
	if _, err := cp.run("etcd", "--name", "e2e", "--data-dir", cp.path("etcd"),
		"--listen-client-urls", c, "--advertise-client-urls", c,
		"--listen-peer-urls", p, "--initial-advertise-peer-urls", p, "--initial-cluster", "e2e="+p,
		"--log-level", "warn"); err != nil {
		return err
	}
	return waitFor(30*time.Second, func() error {
		resp, err := http.Get(c + "/health")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("etcd health: %s", resp.Status)
		}
		return nil
	})
}

// StartAPIServer starts (or restarts, with another policy and log file) kube-apiserver.
func (cp *ControlPlane) StartAPIServer(ctx context.Context, policy, auditLog string, maxSizeMB int) error {
	if cp.apiserver != nil {
		stop(cp.apiserver)
		cp.apiserver = nil
	}
	if err := os.MkdirAll(filepath.Dir(auditLog), 0o755); err != nil {
		return err
	}
	cp.AuditLog = auditLog
	webhook := cp.path("webhook.kubeconfig")
	if err := os.WriteFile(webhook, []byte(kubeconfig(cp.Webhook.URL, "")), 0o600); err != nil {
		return err
	}
	port := strings.TrimPrefix(cp.Host, "https://127.0.0.1:")
	cmd, err := cp.run("kube-apiserver",
		"--etcd-servers", "http://127.0.0.1:"+strconv.Itoa(cp.etcdPort),
		"--bind-address", "127.0.0.1", "--secure-port", port, "--cert-dir", cp.path("certs"),
		"--endpoint-reconciler-type", "none",
		"--token-auth-file", cp.path("tokens.csv"), "--authorization-mode", "RBAC",
		"--service-account-issuer", "https://kubernetes.default.svc",
		"--service-account-key-file", cp.path("sa.key"), "--service-account-signing-key-file", cp.path("sa.key"),
		"--service-cluster-ip-range", "10.96.0.0/16",
		"--audit-policy-file", policy,
		"--audit-log-path", auditLog, "--audit-log-maxsize", strconv.Itoa(maxSizeMB),
		"--audit-log-maxbackup", "100", "--audit-log-compress",
		"--audit-webhook-config-file", webhook, "--audit-webhook-mode", "batch",
		"--audit-webhook-batch-max-wait", "500ms")
	if err != nil {
		return err
	}
	cp.apiserver = cmd
	admin := cp.Config("admin-token")
	client := &http.Client{Timeout: 5 * time.Second}
	if rt, err := rest.TransportFor(admin); err == nil {
		client.Transport = rt
	}
	return waitFor(90*time.Second, func() error {
		if err := ctx.Err(); err != nil {
			return err
		}
		if cmd.ProcessState != nil {
			return errors.New("kube-apiserver exited; see " + cp.path("logs/kube-apiserver.log"))
		}
		resp, err := client.Get(cp.Host + "/readyz")
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz: %s %s", resp.Status, b)
		}
		return nil
	})
}

func (cp *ControlPlane) startControllerManager(port int) error {
	kc := cp.path("controller-manager.kubeconfig")
	if err := os.WriteFile(kc, []byte(kubeconfig(cp.Host, "cm-token")), 0o600); err != nil {
		return err
	}
	_, err := cp.run("kube-controller-manager", "--kubeconfig", kc, "--leader-elect=false",
		"--controllers", "namespace-controller,serviceaccount-controller,endpoints-controller,endpointslice-controller,garbage-collector-controller,serviceaccount-token-controller,persistentvolumeclaim-protection-controller",
		"--service-account-private-key-file", cp.path("sa.key"), "--root-ca-file", cp.path("certs/apiserver.crt"),
		"--use-service-account-credentials=true", "--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(port))
	return err
}

// Config is a client configuration for the user with this token.
func (cp *ControlPlane) Config(token string) *rest.Config {
	return &rest.Config{Host: cp.Host, BearerToken: token, TLSClientConfig: rest.TLSClientConfig{Insecure: true},
		QPS: 1000, Burst: 1000, UserAgent: "e2e-harness/v1",
		// JSON, as kubectl sends: the recorder reads dryRun from DeleteOptions bodies.
		ContentConfig: rest.ContentConfig{ContentType: "application/json", AcceptContentTypes: "application/json"}}
}

// Kubeconfig writes a kubeconfig for the user with this token and returns its path.
func (cp *ControlPlane) Kubeconfig(token string) (string, error) {
	p := cp.path(token + ".kubeconfig")
	return p, os.WriteFile(p, []byte(kubeconfig(cp.Host, token)), 0o600)
}

// Stop stops every process, newest first, and waits for them.
func (cp *ControlPlane) Stop() {
	for i := len(cp.procs) - 1; i >= 0; i-- {
		stop(cp.procs[i])
	}
	for _, f := range cp.logs {
		f.Close()
	}
	if cp.Webhook != nil {
		cp.Webhook.Close()
	}
}

func stop(cmd *exec.Cmd) {
	if cmd.Process == nil || cmd.ProcessState != nil {
		return
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
	}
}

func kubeconfig(server, token string) string {
	user := "{}"
	if token != "" {
		user = "{token: " + token + "}"
	}
	return `apiVersion: v1
kind: Config
clusters:
- name: c
  cluster: {server: "` + server + `", insecure-skip-tls-verify: true}
users:
- name: u
  user: ` + user + `
contexts:
- name: c
  context: {cluster: c, user: u}
current-context: c
`
}

func freePorts(n int) ([]int, error) {
	var out []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().(*net.TCPAddr).Port)
	}
	return out, nil
}

func waitFor(limit time.Duration, ok func() error) error {
	deadline := time.Now().Add(limit)
	for {
		err := ok()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) || errors.Is(err, context.Canceled) {
			return fmt.Errorf("not ready after %s: %w", limit, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// Receiver is the webhook audit backend's other end: it keeps each EventList batch the API
// server posts, as it came.
type Receiver struct {
	URL     string
	srv     *http.Server
	mu      sync.Mutex
	batches [][]byte
}

// NewReceiver listens on a loopback port.
func NewReceiver() (*Receiver, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{URL: "http://" + l.Addr().String() + "/audit"}
	r.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.mu.Lock()
		r.batches = append(r.batches, b)
		r.mu.Unlock()
	})}
	go func() { _ = r.srv.Serve(l) }()
	return r, nil
}

// Batches returns the batches received so far.
func (r *Receiver) Batches() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.batches...)
}

// Close stops listening.
func (r *Receiver) Close() { _ = r.srv.Close() }
