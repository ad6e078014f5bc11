package harness

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// Scenario drives what users really do to the kinds network policy depends on, through
// client-go, as several users.
type Scenario struct {
	cp  *ControlPlane
	Rec *Recorder
	// Clients by user.
	Admin, Alice, CI, Mallory, Node, Scheduler *kubernetes.Clientset
	// AsCarol is alice impersonating carol@example.com.
	AsCarol *kubernetes.Clientset
	// Snapshots taken so far.
	Snapshots []Snapshot
}

// NewScenario makes a client per user, each recording its requests.
func NewScenario(cp *ControlPlane) (*Scenario, error) {
	s := &Scenario{cp: cp, Rec: &Recorder{}}
	mk := func(token, user, impersonate string) (*kubernetes.Clientset, error) {
		c := cp.Config(token)
		c.WrapTransport = s.Rec.Wrap(user)
		if impersonate != "" {
			c.Impersonate = rest.ImpersonationConfig{UserName: impersonate}
		}
		return kubernetes.NewForConfig(c)
	}
	var err error
	for _, c := range []struct {
		dst                      **kubernetes.Clientset
		token, user, impersonate string
	}{
		{&s.Admin, "admin-token", "admin", ""},
		{&s.Alice, "alice-token", "alice@example.com", ""},
		{&s.CI, "ci-token", "ci-bot", ""},
		{&s.Mallory, "mallory-token", "mallory@example.com", ""},
		{&s.Node, "node-token", "system:node:node-1", ""},
		{&s.Scheduler, "scheduler-token", "system:kube-scheduler", ""},
		{&s.AsCarol, "alice-token", "alice@example.com", "carol@example.com"},
	} {
		if *c.dst, err = mk(c.token, c.user, c.impersonate); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// step is one scenario action; expect says which answer it must get (0: success).
type failure struct {
	what string
	err  error
}

func (f failure) Error() string { return f.what + ": " + f.err.Error() }

// must fails the scenario on an unexpected error.
func must(what string, err error) {
	if err != nil {
		panic(failure{what, err})
	}
}

// recoverFailure ends a scenario run that must or refused stopped, with its failure as the
// run's error; any other panic goes on.
func recoverFailure(err *error) {
	if r := recover(); r != nil {
		f, ok := r.(failure)
		if !ok {
			panic(r)
		}
		*err = f
	}
}

// refused fails the scenario unless err is the API error with this code.
func refused(what string, code int32, err error) {
	var st apierrors.APIStatus
	if !errors.As(err, &st) || st.Status().Code != code {
		panic(failure{what, fmt.Errorf("want HTTP %d, got %v", code, err)})
	}
}

// Run runs the scenario's first part, under the policy the control plane was started with.
func (s *Scenario) Run(ctx context.Context) (err error) {
	defer recoverFailure(&err)
	s.setup(ctx)
	s.networkPolicies(ctx)
	s.serverSideApply(ctx)
	s.pods(ctx)
	s.dryRuns(ctx)
	s.refusals(ctx)
	s.impersonationAndLabels(ctx)
	s.service(ctx)
	s.snapshot(ctx, "after-setup")
	s.gracefulDeletion(ctx)
	s.deleteCollection(ctx)
	s.namespaceDeletion(ctx)
	s.snapshot(ctx, "after-deletions")
	s.manyChanges(ctx)
	s.snapshot(ctx, "end-of-strong-policy")
	return nil
}

// RunWeak runs the part under a weaker policy: writes the trail records without bodies.
func (s *Scenario) RunWeak(ctx context.Context) (err error) {
	defer recoverFailure(&err)
	s.Rec.Step("weak-policy")
	np := s.Alice.NetworkingV1().NetworkPolicies("shop")
	_, err = np.Patch(ctx, "default-deny", types.MergePatchType, []byte(`{"metadata":{"labels":{"reviewed":"no"}}}`), metav1.PatchOptions{})
	must("patch default-deny under the weak policy", err)
	_, err = np.Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "weak-np"},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress}}}, metav1.CreateOptions{})
	must("create weak-np", err)
	must("delete allow-dns", np.Delete(ctx, "allow-dns", metav1.DeleteOptions{}))
	_, err = s.Alice.CoreV1().Pods("shop").Patch(ctx, "web-1", types.StrategicMergePatchType, []byte(`{"metadata":{"labels":{"version":"v2"}}}`), metav1.PatchOptions{})
	must("relabel web-1 under the weak policy", err)
	s.snapshot(ctx, "end-of-weak-policy")
	return nil
}

func (s *Scenario) setup(ctx context.Context) {
	s.Rec.Step("setup")
	for _, ns := range []*corev1.Namespace{
		{ObjectMeta: metav1.ObjectMeta{Name: "shop", Labels: map[string]string{"env": "prod"}}},
		{ObjectMeta: metav1.ObjectMeta{Name: "temp"}},
	} {
		_, err := s.Admin.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{})
		must("create namespace "+ns.Name, err)
	}
	all := []string{"pods", "serviceaccounts", "endpoints", "services"}
	rbac := s.Admin.RbacV1()
	_, err := rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "netpol-editor"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: all, Verbs: []string{"*"}},
			{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}, Verbs: []string{"*"}},
			{APIGroups: []string{""}, Resources: []string{"namespaces"}, Verbs: []string{"get", "list", "watch", "patch"}},
		}}, metav1.CreateOptions{})
	must("create clusterrole netpol-editor", err)
	_, err = rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "impersonate-carol"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"users"}, Verbs: []string{"impersonate"}, ResourceNames: []string{"carol@example.com"}}}},
		metav1.CreateOptions{})
	must("create clusterrole impersonate-carol", err)
	_, err = rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "fake-kubelet"},
		Rules: []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"pods"}, Verbs: []string{"get", "list", "watch", "delete"}},
			{APIGroups: []string{""}, Resources: []string{"pods/status"}, Verbs: []string{"patch", "update"}},
		}}, metav1.CreateOptions{})
	must("create clusterrole fake-kubelet", err)
	bind := func(name, role string, subjects ...rbacv1.Subject) {
		_, err := rbac.ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef: rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: role}, Subjects: subjects}, metav1.CreateOptions{})
		must("create clusterrolebinding "+name, err)
	}
	user := func(n string) rbacv1.Subject {
		return rbacv1.Subject{Kind: "User", APIGroup: "rbac.authorization.k8s.io", Name: n}
	}
	bind("netpol-editors", "netpol-editor", user("alice@example.com"), user("ci-bot"), user("carol@example.com"))
	bind("alice-impersonates-carol", "impersonate-carol", user("alice@example.com"))
	// The node registers itself, as a kubelet does.
	_, err = rbac.ClusterRoles().Create(ctx, &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: "fake-kubelet-node"},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes", "nodes/status"}, Verbs: []string{"get", "create", "patch", "update"}}}}, metav1.CreateOptions{})
	must("create clusterrole fake-kubelet-node", err)
	bind("fake-kubelet-node", "fake-kubelet-node", rbacv1.Subject{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "system:nodes"})
	bind("fake-kubelet", "fake-kubelet", rbacv1.Subject{Kind: "Group", APIGroup: "rbac.authorization.k8s.io", Name: "system:nodes"})
	bind("mallory-view", "view", user("mallory@example.com"))
	_, err = s.Node.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "node-1", Labels: map[string]string{"kubernetes.io/hostname": "node-1"}}}, metav1.CreateOptions{})
	must("node-1 registers", err)
	// Pods need the namespace's default ServiceAccount, which the controller manager makes.
	must("wait for the default service account", waitFor(60*time.Second, func() error {
		_, err := s.Admin.CoreV1().ServiceAccounts("shop").Get(ctx, "default", metav1.GetOptions{})
		return err
	}))
}

func port(p int) *intstr.IntOrString { v := intstr.FromInt32(int32(p)); return &v }

func (s *Scenario) networkPolicies(ctx context.Context) {
	s.Rec.Step("network-policies")
	_, err := s.Alice.CoreV1().ServiceAccounts("shop").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "web"}}, metav1.CreateOptions{})
	must("create serviceaccount web", err)
	np := s.Alice.NetworkingV1().NetworkPolicies("shop")
	dd, err := np.Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "default-deny"},
		Spec: networkingv1.NetworkPolicySpec{PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}}}, metav1.CreateOptions{})
	must("create default-deny", err)
	dd.Spec.PolicyTypes = append(dd.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
	dd, err = np.Update(ctx, dd, metav1.UpdateOptions{})
	must("update default-deny", err)
	_, err = np.Patch(ctx, "default-deny", types.StrategicMergePatchType, []byte(`{"metadata":{"labels":{"owner":"platform"}}}`), metav1.PatchOptions{})
	must("strategic merge patch default-deny", err)
	_, err = np.Patch(ctx, "default-deny", types.MergePatchType, []byte(`{"metadata":{"annotations":{"ticket":"SEC-101"}}}`), metav1.PatchOptions{})
	must("merge patch default-deny", err)
	_, err = np.Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "allow-web"},
		Spec: networkingv1.NetworkPolicySpec{PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: port(80)}}}}}}, metav1.CreateOptions{})
	must("create allow-web", err)
	_, err = np.Patch(ctx, "allow-web", types.JSONPatchType, []byte(`[{"op":"add","path":"/spec/ingress/0/from","value":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["10.0.0.0/8"]}}]}]`), metav1.PatchOptions{})
	must("json patch allow-web", err)
}

func (s *Scenario) serverSideApply(ctx context.Context) {
	s.Rec.Step("server-side-apply")
	np := s.Alice.NetworkingV1().NetworkPolicies("shop")
	apply := func(c *kubernetes.Clientset, manager string, port int, force bool) error {
		body := fmt.Sprintf(`{"apiVersion":"networking.k8s.io/v1","kind":"NetworkPolicy","metadata":{"name":"allow-dns","namespace":"shop"},
"spec":{"podSelector":{},"policyTypes":["Egress"],"egress":[{"ports":[{"protocol":"UDP","port":%d}]}]}}`, port)
		_, err := c.NetworkingV1().NetworkPolicies("shop").Patch(ctx, "allow-dns", types.ApplyPatchType, []byte(body),
			metav1.PatchOptions{FieldManager: manager, Force: &force})
		return err
	}
	must("server-side apply creating allow-dns", apply(s.Alice, "alice-apply", 53, false))
	must("server-side apply changing allow-dns", apply(s.Alice, "alice-apply", 5353, false))
	refused("server-side apply conflicting with another manager", 409, apply(s.CI, "ci-pipeline", 53, false))
	must("server-side apply with force", apply(s.CI, "ci-pipeline", 53, true))
	_ = np
}

func (s *Scenario) pods(ctx context.Context) {
	s.Rec.Step("pods")
	pods := s.Alice.CoreV1().Pods("shop")
	pod := func(name string, labels map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
			Spec: corev1.PodSpec{ServiceAccountName: "web", Containers: []corev1.Container{{Name: "app", Image: "registry.example/web:1.0",
				Env: []corev1.EnvVar{{Name: "DB_PASSWORD", Value: "hunter2"}}}}}}
	}
	_, err := pods.Create(ctx, pod("web-1", map[string]string{"app": "web"}), metav1.CreateOptions{})
	must("create web-1", err)
	gen := pod("", map[string]string{"app": "worker"})
	gen.GenerateName = "worker-"
	_, err = pods.Create(ctx, gen, metav1.CreateOptions{})
	must("create a worker with generateName", err)
}

func (s *Scenario) dryRuns(ctx context.Context) {
	s.Rec.Step("dry-runs")
	all := []string{metav1.DryRunAll}
	np := s.Alice.NetworkingV1().NetworkPolicies("shop")
	_, err := np.Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "dry-create"}}, metav1.CreateOptions{DryRun: all})
	must("dry-run create", err)
	dd, err := np.Get(ctx, "default-deny", metav1.GetOptions{})
	must("get default-deny", err)
	dd.Spec.PolicyTypes = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
	_, err = np.Update(ctx, dd, metav1.UpdateOptions{DryRun: all})
	must("dry-run update", err)
	_, err = np.Patch(ctx, "default-deny", types.MergePatchType, []byte(`{"spec":{"podSelector":{"matchLabels":{"x":"y"}}}}`), metav1.PatchOptions{DryRun: all})
	must("dry-run patch", err)
	_, err = s.Alice.CoreV1().Pods("shop").Patch(ctx, "web-1", types.StrategicMergePatchType, []byte(`{"metadata":{"labels":{"app":"other"}}}`), metav1.PatchOptions{DryRun: all})
	must("dry-run patch of a pod", err)
	// client-go, like kubectl delete --dry-run=server, puts dryRun in the DeleteOptions body.
	must("dry-run delete (body)", np.Delete(ctx, "allow-web", metav1.DeleteOptions{DryRun: all}))
	// The same asked in the query string.
	must("dry-run delete (query)", s.Alice.NetworkingV1().RESTClient().Delete().Namespace("shop").Resource("networkpolicies").Name("allow-web").
		Param("dryRun", "All").Do(ctx).Error())
	must("dry-run deletecollection", s.Alice.CoreV1().Pods("shop").DeleteCollection(ctx, metav1.DeleteOptions{DryRun: all}, metav1.ListOptions{LabelSelector: "app=web"}))
	must("dry-run delete of a namespace", s.Admin.CoreV1().Namespaces().Delete(ctx, "shop", metav1.DeleteOptions{DryRun: all}))
}

func (s *Scenario) refusals(ctx context.Context) {
	s.Rec.Step("refusals")
	refused("mallory deletes a policy", 403, s.Mallory.NetworkingV1().NetworkPolicies("shop").Delete(ctx, "default-deny", metav1.DeleteOptions{}))
	_, err := s.Mallory.CoreV1().Pods("shop").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "x"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "x", Image: "x"}}}}, metav1.CreateOptions{})
	refused("mallory creates a pod", 403, err)
	np := s.Alice.NetworkingV1().NetworkPolicies("shop")
	dd, err := np.Get(ctx, "default-deny", metav1.GetOptions{})
	must("get default-deny", err)
	stale := dd.DeepCopy()
	dd.Labels["stage"] = "1"
	_, err = np.Update(ctx, dd, metav1.UpdateOptions{})
	must("update default-deny", err)
	stale.Labels["stage"] = "stale"
	_, err = np.Update(ctx, stale, metav1.UpdateOptions{})
	refused("update with a stale resourceVersion", 409, err)
	_, err = np.Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "invalid"},
		Spec: networkingv1.NetworkPolicySpec{Ingress: []networkingv1.NetworkPolicyIngressRule{{Ports: []networkingv1.NetworkPolicyPort{{Port: port(70000)}}}}}}, metav1.CreateOptions{})
	refused("create an invalid policy", 422, err)
	_, err = np.Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "default-deny"}}, metav1.CreateOptions{})
	refused("create a policy that exists", 409, err)
}

func (s *Scenario) impersonationAndLabels(ctx context.Context) {
	s.Rec.Step("impersonation-and-labels")
	_, err := s.AsCarol.CoreV1().Pods("shop").Patch(ctx, "web-1", types.StrategicMergePatchType, []byte(`{"metadata":{"labels":{"tier":"frontend"}}}`), metav1.PatchOptions{})
	must("carol (impersonated by alice) labels web-1", err)
	_, err = s.Admin.CoreV1().Namespaces().Patch(ctx, "shop", types.MergePatchType, []byte(`{"metadata":{"labels":{"team":"payments"}}}`), metav1.PatchOptions{})
	must("label namespace shop", err)
	_, err = s.Alice.CoreV1().ServiceAccounts("shop").Patch(ctx, "web", types.JSONPatchType, []byte(`[{"op":"add","path":"/metadata/labels","value":{"app":"web"}}]`), metav1.PatchOptions{})
	must("label serviceaccount web", err)
}

// bind schedules a pod of shop on node-1 and reports it running and ready (bindIn).
func (s *Scenario) bind(ctx context.Context, name, ip string) { s.bindIn(ctx, "shop", name, ip) }

func (s *Scenario) service(ctx context.Context) {
	s.Rec.Step("service-and-endpoints")
	_, err := s.Alice.CoreV1().Services("shop").Create(ctx, &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: corev1.ServiceSpec{Selector: map[string]string{"app": "web"}, Ports: []corev1.ServicePort{{Port: 80}}}}, metav1.CreateOptions{})
	must("create service web", err)
	s.bind(ctx, "web-1", "10.244.0.5")
	// The endpoints controller writes the Endpoints of the service: wait for the address.
	must("wait for the endpoints controller", waitFor(60*time.Second, func() error {
		ep, err := s.Admin.CoreV1().Endpoints("shop").Get(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		for _, ss := range ep.Subsets {
			if len(ss.Addresses) > 0 {
				return nil
			}
		}
		return errors.New("no address yet")
	}))
}

func (s *Scenario) gracefulDeletion(ctx context.Context) {
	s.Rec.Step("graceful-deletion")
	pods := s.Alice.CoreV1().Pods("shop")
	_, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "held", Labels: map[string]string{"app": "held"}, Finalizers: []string{"example.com/hold"}},
		Spec: corev1.PodSpec{ServiceAccountName: "web", Containers: []corev1.Container{{Name: "app", Image: "registry.example/web:1.0"}}}}, metav1.CreateOptions{})
	must("create held", err)
	s.bind(ctx, "held", "10.244.0.6")
	must("delete held (graceful)", pods.Delete(ctx, "held", metav1.DeleteOptions{}))
	zero := int64(0)
	must("the kubelet deletes held", s.Node.CoreV1().Pods("shop").Delete(ctx, "held", metav1.DeleteOptions{GracePeriodSeconds: &zero}))
	_, err = pods.Patch(ctx, "held", types.JSONPatchType, []byte(`[{"op":"remove","path":"/metadata/finalizers"}]`), metav1.PatchOptions{})
	must("remove held's finalizer", err)
	_, err = pods.Get(ctx, "held", metav1.GetOptions{})
	refused("held is gone", 404, err)
}

func (s *Scenario) deleteCollection(ctx context.Context) {
	s.Rec.Step("deletecollection")
	pods := s.Alice.CoreV1().Pods("shop")
	for i := 1; i <= 3; i++ {
		_, err := pods.Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("batch-%d", i), Labels: map[string]string{"tier": "batch"}},
			Spec: corev1.PodSpec{ServiceAccountName: "web", Containers: []corev1.Container{{Name: "job", Image: "registry.example/job:1"}}}}, metav1.CreateOptions{})
		must("create a batch pod", err)
	}
	must("deletecollection tier=batch", pods.DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{LabelSelector: "tier=batch"}))
}

func (s *Scenario) namespaceDeletion(ctx context.Context) {
	s.Rec.Step("namespace-deletion")
	_, err := s.Admin.CoreV1().ServiceAccounts("temp").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "tmp-sa"}}, metav1.CreateOptions{})
	must("create tmp-sa", err)
	_, err = s.Admin.NetworkingV1().NetworkPolicies("temp").Create(ctx, &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: "tmp-np"}}, metav1.CreateOptions{})
	must("create tmp-np", err)
	must("wait for temp's default service account", waitFor(60*time.Second, func() error {
		_, err := s.Admin.CoreV1().ServiceAccounts("temp").Get(ctx, "default", metav1.GetOptions{})
		return err
	}))
	_, err = s.Admin.CoreV1().Pods("temp").Create(ctx, &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "tmp-pod"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "registry.example/c:1"}}}}, metav1.CreateOptions{})
	must("create tmp-pod", err)
	must("delete namespace temp", s.Admin.CoreV1().Namespaces().Delete(ctx, "temp", metav1.DeleteOptions{}))
	must("wait for the namespace controller to remove temp", waitFor(90*time.Second, func() error {
		_, err := s.Admin.CoreV1().Namespaces().Get(ctx, "temp", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("temp still there: %v", err)
	}))
}

func (s *Scenario) manyChanges(ctx context.Context) {
	s.Rec.Step("many-changes")
	np := s.CI.NetworkingV1().NetworkPolicies("shop")
	for i := range 10 {
		patch := fmt.Sprintf(`{"spec":{"ingress":[{"ports":[{"port":%d}]}]}}`, 8000+i)
		_, err := np.Patch(ctx, "allow-web", types.MergePatchType, []byte(patch), metav1.PatchOptions{})
		must("patch allow-web", err)
	}
	// Two writes that change nothing: a no-op patch and an update with the same object.
	_, err := np.Patch(ctx, "allow-web", types.MergePatchType, []byte(`{"spec":{"ingress":[{"ports":[{"port":8009}]}]}}`), metav1.PatchOptions{})
	must("no-op patch", err)
	_, err = s.Alice.CoreV1().Pods("shop").Patch(ctx, "web-1", types.StrategicMergePatchType, []byte(`{"metadata":{"labels":{"app":"web"}}}`), metav1.PatchOptions{})
	must("no-op pod patch", err)
}
