package history

import (
	"bytes"
	"encoding/json"
	"sort"
	"strings"

	"github.com/auditreport/auditreport/internal/jsonany"
)

// obj is a decoded Kubernetes object (or any JSON object an audit event carries).
type obj = map[string]any

// Decode decodes an event body, as Tracker.Add wants the response given. Numbers stay
// json.Number so that they print as written. It returns nil for an absent body, JSON null, or anything but an object or a
// list (an AKS "skipped-too-big-size-object" placeholder is a string).
func Decode(raw json.RawMessage) any {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || (raw[0] != '{' && raw[0] != '[') {
		return nil
	}
	v, err := jsonany.Decode(raw)
	if err != nil {
		return nil
	}
	return v
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// field walks nested maps: field(o, "metadata", "name").
func field(o obj, path ...string) any {
	var v any = o
	for _, p := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[p]
	}
	return v
}

func str(o obj, path ...string) string {
	s, _ := field(o, path...).(string)
	return s
}

// kindOf returns the object's kind, "" when it has none.
func kindOf(o obj) string { return str(o, "kind") }

// isStatus tells a Status response (a delete's usual answer) from an object.
func isStatus(o obj) bool { return kindOf(o) == "Status" }

// deleting reports whether the object is marked for deletion.
func deleting(o obj) bool { return str(o, "metadata", "deletionTimestamp") != "" }

// finalizers counts what still holds the object: metadata.finalizers, and for namespaces
// spec.finalizers, which the namespace controller clears through namespaces/finalize.
func finalizers(o obj) int {
	n := 0
	for _, p := range [][]string{{"metadata", "finalizers"}, {"spec", "finalizers"}} {
		if l, ok := field(o, p...).([]any); ok {
			n += len(l)
		}
	}
	return n
}

// gracePeriod returns metadata.deletionGracePeriodSeconds, or -1 without one.
func gracePeriod(o obj) int64 {
	n, ok := field(o, "metadata", "deletionGracePeriodSeconds").(json.Number)
	if !ok {
		return -1
	}
	v, err := n.Int64()
	if err != nil {
		return -1
	}
	return v
}

// labelsOf returns metadata.labels as strings.
func labelsOf(o obj) map[string]string {
	m, _ := field(o, "metadata", "labels").(map[string]any)
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

// stripNoise removes, in place, what changes on every write and buries the change an
// auditor needs: managedFields, resourceVersion, generation and the last-applied
// annotation. Status is left for the caller, since a status write is about it.
func stripNoise(o obj) {
	m, _ := o["metadata"].(map[string]any)
	if m == nil {
		return
	}
	delete(m, "managedFields")
	delete(m, "resourceVersion")
	delete(m, "generation")
	if a, ok := m["annotations"].(map[string]any); ok {
		delete(a, lastApplied)
		if len(a) == 0 {
			delete(m, "annotations")
		}
	}
}

// withoutStatus returns a shallow copy of o without status, for a diff of a write that is
// not about status.
func withoutStatus(o obj) obj {
	if o == nil {
		return nil
	}
	if _, ok := o["status"]; !ok {
		return o
	}
	c := make(obj, len(o))
	for k, v := range o {
		if k != "status" {
			c[k] = v
		}
	}
	return c
}

// deepCopy copies decoded JSON.
func deepCopy(v any) any {
	switch x := v.(type) {
	case map[string]any:
		c := make(map[string]any, len(x))
		for k, e := range x {
			c[k] = deepCopy(e)
		}
		return c
	case []any:
		c := make([]any, len(x))
		for i, e := range x {
			c[i] = deepCopy(e)
		}
		return c
	}
	return v
}

// kindNames are the kinds of the resources auditreport knows by name, for objects whose
// events carry no body.
var kindNames = map[string]string{
	"pods": "Pod", "namespaces": "Namespace", "serviceaccounts": "ServiceAccount",
	"endpoints": "Endpoints", "networkpolicies": "NetworkPolicy", "endpointslices": "EndpointSlice",
	"services": "Service", "globalnetworkpolicies": "GlobalNetworkPolicy", "networksets": "NetworkSet",
	"globalnetworksets": "GlobalNetworkSet", "stagednetworkpolicies": "StagedNetworkPolicy",
	"stagedglobalnetworkpolicies": "StagedGlobalNetworkPolicy", "tiers": "Tier",
	"adminnetworkpolicies": "AdminNetworkPolicy", "baselineadminnetworkpolicies": "BaselineAdminNetworkPolicy",
	// Kinds --require may name, whose words a guess would not split: the names a body says.
	"configmaps": "ConfigMap", "secrets": "Secret", "roles": "Role", "rolebindings": "RoleBinding",
	"clusterroles": "ClusterRole", "clusterrolebindings": "ClusterRoleBinding", "deployments": "Deployment",
	"daemonsets": "DaemonSet", "statefulsets": "StatefulSet", "replicasets": "ReplicaSet", "ingresses": "Ingress",
	"persistentvolumeclaims": "PersistentVolumeClaim", "customresourcedefinitions": "CustomResourceDefinition",
	"validatingwebhookconfigurations": "ValidatingWebhookConfiguration", "mutatingwebhookconfigurations": "MutatingWebhookConfiguration",
}

// KindName guesses a kind from a resource name when no body says it.
func KindName(resource string) string {
	if k, ok := kindNames[resource]; ok {
		return k
	}
	if resource == "" {
		return ""
	}
	s := strings.TrimSuffix(resource, "s")
	return strings.ToUpper(s[:1]) + s[1:]
}
