package harness

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// RunPosture runs the posture scenario: a default deny removed and restored, an
// internet-facing ingress, a policy admitting another namespace, and a pod relabelled out of
// the only policy that selected it. Pauses between steps give the periods of protection a
// length the report can show.
func (s *Scenario) RunPosture(ctx context.Context, pause time.Duration) (err error) {
	defer recoverFailure(&err)
	s.setup(ctx)
	s.Rec.Step("posture")
	for _, ns := range []*corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: "payments", Labels: map[string]string{"team": "payments", "env": "prod"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "frontend", Labels: map[string]string{"team": "frontend", "env": "prod"}}},
	} {
		_, err := s.Admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		must("create namespace "+ns.Name, err)
		must("wait for the default service account of "+ns.Name, waitFor(60*time.Second, func() error {
			_, err := s.Admin.CoreV1().ServiceAccounts(ns.Name).Get(ctx, "default", metav1.GetOptions{})
			return err
		}))
	}
	deny := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "default-deny"},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress}}}
	np := s.Alice.NetworkingV1().NetworkPolicies
	_, err = np("payments").Create(ctx, deny, metav1.CreateOptions{})
	must("create payments/default-deny", err)
	_, err = np("payments").Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "allow-api-from-frontend"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "api"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{
				NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"team": "frontend"}}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: port(8080)}}}}}}, metav1.CreateOptions{})
	must("create payments/allow-api-from-frontend", err)
	_, err = np("frontend").Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "web-from-internet"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{From: []networkingv1.NetworkPolicyPeer{{IPBlock: &networkingv1.IPBlock{CIDR: "0.0.0.0/0"}}},
				Ports: []networkingv1.NetworkPolicyPort{{Port: port(443)}}}}}}, metav1.CreateOptions{})
	must("create frontend/web-from-internet", err)
	mk := func(ns, name string, labels map[string]string) {
		_, err := s.Alice.CoreV1().Pods(ns).Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.example/" + labels["app"] + ":1"}}}}, metav1.CreateOptions{})
		must("create pod "+ns+"/"+name, err)
	}
	mk("payments", "api-1", map[string]string{"app": "api"})
	mk("payments", "db-1", map[string]string{"app": "db"})
	mk("frontend", "web-1", map[string]string{"app": "web"})
	mk("frontend", "web-2", map[string]string{"app": "web"})
	_, err = s.Alice.CoreV1().Services("frontend").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 443}}}}, metav1.CreateOptions{})
	must("create service frontend/web", err)
	for _, p := range []struct{ ns, name, ip string }{{"frontend", "web-1", "10.244.1.5"}, {"frontend", "web-2", "10.244.1.6"}} {
		s.bindIn(ctx, p.ns, p.name, p.ip)
	}
	time.Sleep(pause)

	// ci-bot removes the default deny; alice restores it.
	must("ci-bot deletes payments/default-deny", s.CI.NetworkingV1().NetworkPolicies("payments").Delete(ctx, "default-deny", metav1.DeleteOptions{}))
	time.Sleep(pause)
	_, err = np("payments").Create(ctx, deny, metav1.CreateOptions{})
	must("alice restores payments/default-deny", err)
	time.Sleep(pause)

	// A pod relabelled out of the only policy that selected it.
	_, err = s.Alice.CoreV1().Pods("frontend").Patch(ctx, "web-2", types.StrategicMergePatchType, []byte(`{"metadata":{"labels":{"app":"web-canary"}}}`), metav1.PatchOptions{})
	must("relabel frontend/web-2", err)
	time.Sleep(pause)
	s.snapshot(ctx, "end-of-posture")
	return nil
}

// bindIn schedules a pod on node-1 and reports it running and ready, as bind does in shop.
func (s *Scenario) bindIn(ctx context.Context, ns, name, ip string) {
	must("bind "+name, s.Scheduler.CoreV1().Pods(ns).Bind(ctx, &corev1.Binding{ObjectMeta: metav1.ObjectMeta{Name: name},
		Target: corev1.ObjectReference{Kind: "Node", Name: "node-1"}}, metav1.CreateOptions{}))
	now := metav1.Now().UTC().Format(time.RFC3339)
	status := `{"status":{"phase":"Running","podIP":"` + ip + `","podIPs":[{"ip":"` + ip + `"}],"hostIP":"192.0.2.10","startTime":"` + now +
		`","conditions":[{"type":"Ready","status":"True","lastTransitionTime":"` + now + `"}]}}`
	_, err := s.Node.CoreV1().Pods(ns).Patch(ctx, name, types.StrategicMergePatchType, []byte(status), metav1.PatchOptions{}, "status")
	must("node reports "+name+" running", err)
}
