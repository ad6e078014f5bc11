package audit

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"strings"

	json "github.com/goccy/go-json"
)

// auditLog is the protoPayload of a GKE Cloud Logging LogEntry
// (type.googleapis.com/google.cloud.audit.AuditLog) as far as an audit event needs it.
type auditLog struct {
	ServiceName        string `json:"serviceName"`
	MethodName         string `json:"methodName"`
	ResourceName       string `json:"resourceName"`
	AuthenticationInfo struct {
		PrincipalEmail    string `json:"principalEmail"`
		AuthoritySelector string `json:"authoritySelector"`
	} `json:"authenticationInfo"`
	RequestMetadata struct {
		CallerIP                string `json:"callerIp"`
		CallerSuppliedUserAgent string `json:"callerSuppliedUserAgent"`
	} `json:"requestMetadata"`
	// AuthorizationInfo holds one check per permission the request needed; a request any
	// of them denied was refused (403), whether or not the entry has a status.
	AuthorizationInfo []struct {
		Permission string `json:"permission"`
		Resource   string `json:"resource"`
		Granted    *bool  `json:"granted"`
	} `json:"authorizationInfo"`
	Status *struct {
		Code    int32  `json:"code"`
		Message string `json:"message"`
	} `json:"status"`
	Request   json.RawMessage `json:"request"`
	Response  json.RawMessage `json:"response"`
	Timestamp string          `json:"timestamp"`
}

// grpcToHTTP maps the google.rpc.Code in an AuditLog status to the HTTP status the API server
// answered with, as Cloud Logging derives one from the other.
var grpcToHTTP = map[int32]int32{
	0: 200, 1: 499, 2: 500, 3: 400, 4: 504, 5: 404, 6: 409, 7: 403,
	8: 429, 9: 400, 10: 409, 11: 400, 12: 501, 13: 500, 14: 503, 15: 500, 16: 401,
}

// fromLogEntry converts a GKE LogEntry into an audit event. Cloud Logging keeps no stage, so
// the event stands for the finished request. Nor does it keep the HTTP code: a status with a
// non-zero google.rpc code is a failure and maps to its HTTP code, a permission the
// authorizationInfo says was not granted is a refusal (403), and an entry with neither
// succeeded (GKE writes a status only for failures: an OK one is left out or empty), with
// no code: the event has no response status rather than a code the log does not hold.
func fromLogEntry(w *wire, s sink, line int) (*Event, *decodeError) {
	var p auditLog
	if err := stdjson.Unmarshal(w.ProtoPayload, &p); err != nil {
		return nil, &decodeError{kind: classify(err), err: fmt.Errorf("protoPayload: %w", err)}
	}
	if !strings.HasPrefix(p.MethodName, "io.k8s.") {
		return nil, problem(ProblemNotEvent, "protoPayload.methodName %q is not a Kubernetes API call", p.MethodName)
	}
	ref, verb := parseMethod(p.MethodName, p.ResourceName)
	ev := &Event{
		Stage:       StageResponseComplete,
		Verb:        verb,
		ObjectRef:   ref,
		UserAgent:   p.RequestMetadata.CallerSuppliedUserAgent,
		Annotations: w.Labels,
		AuditID:     w.InsertID,
	}
	if w.Operation != nil && w.Operation.ID != "" {
		ev.AuditID = w.Operation.ID
	}
	ev.User.Username = p.AuthenticationInfo.PrincipalEmail
	if ev.User.Username == "" {
		ev.User.Username = p.AuthenticationInfo.AuthoritySelector
	}
	if p.RequestMetadata.CallerIP != "" {
		ev.SourceIPs = []string{p.RequestMetadata.CallerIP}
	}
	if p.Status != nil && p.Status.Code != 0 {
		code, ok := grpcToHTTP[p.Status.Code]
		if !ok {
			code = 500
		}
		ev.ResponseStatus = &Status{Code: code, Message: p.Status.Message, Status: "Failure"}
	}
	for _, a := range p.AuthorizationInfo {
		if a.Granted == nil || *a.Granted {
			continue
		}
		if ev.ResponseStatus == nil || ev.ResponseStatus.Code < 300 {
			ev.ResponseStatus = &Status{Code: 403, Status: "Failure", Reason: "Forbidden",
				Message: fmt.Sprintf("permission %s on %s not granted (authorizationInfo)", a.Permission, a.Resource)}
		}
		break
	}
	ev.RequestObject = stripType(p.Request)
	ev.ResponseObject = stripType(p.Response)
	switch {
	case ev.ResponseObject != nil:
		ev.Level = "RequestResponse"
	case ev.RequestObject != nil:
		ev.Level = "Request"
	default:
		ev.Level = "Metadata"
	}
	t, err := parseTimeValue(w.Timestamp)
	if err == nil && t.IsZero() {
		t, err = parseTime(p.Timestamp)
	}
	if err != nil {
		return nil, problem(ProblemWrongType, "timestamp: %v", err)
	}
	ev.RequestReceived, ev.StageTime = t, t
	if t.IsZero() {
		s.problem(line, ProblemUntimed, errors.New("log entry has no timestamp"))
	}
	return ev, nil
}

// parseMethod reads the object and verb of a GKE audit entry. resourceName
// ("core/v1/namespaces/default/pods/web/status", "networking.k8s.io/v1/namespaces/a/networkpolicies/b")
// names the object; the last element of methodName ("io.k8s.core.v1.pods.status.update") is the
// verb. Without a resourceName, the resource comes from methodName alone.
func parseMethod(method, resourceName string) (*ObjectRef, string) {
	parts := strings.Split(strings.TrimPrefix(method, "io.k8s."), ".")
	verb := parts[len(parts)-1]
	ref := &ObjectRef{}
	if seg := strings.Split(strings.Trim(resourceName, "/"), "/"); len(seg) >= 3 {
		ref.APIGroup, ref.APIVersion = seg[0], seg[1]
		rest := seg[2:]
		if len(rest) >= 2 && rest[0] == "namespaces" && len(rest) != 2 {
			ref.Namespace, rest = rest[1], rest[2:]
		}
		ref.Resource, rest = rest[0], rest[1:]
		if len(rest) > 0 {
			ref.Name, rest = rest[0], rest[1:]
		}
		if len(rest) > 0 {
			ref.Subresource = rest[0]
		}
		if ref.Resource == "namespaces" && ref.Name != "" {
			ref.Namespace = ref.Name
		}
	} else {
		// [group parts..., version, resource, (subresource,) verb]
		for i := len(parts) - 2; i >= 1; i-- {
			if isVersion(parts[i-1]) {
				ref.APIVersion = parts[i-1]
				ref.Resource = parts[i]
				if i+1 < len(parts)-1 {
					ref.Subresource = parts[i+1]
				}
				ref.APIGroup = groupFromMethod(parts[:i-1])
				break
			}
		}
	}
	if ref.APIGroup == "core" {
		ref.APIGroup = ""
	}
	return ref, verb
}

// groupFromMethod turns the group elements of a methodName ("authorization", "rbac") back into
// an API group ("rbac.authorization.k8s.io").
func groupFromMethod(parts []string) string {
	if len(parts) == 1 && parts[0] == "core" {
		return ""
	}
	rev := make([]string, len(parts))
	for i, p := range parts {
		rev[len(parts)-1-i] = p
	}
	return strings.Join(rev, ".") + ".k8s.io"
}

func isVersion(s string) bool {
	return len(s) >= 2 && s[0] == 'v' && s[1] >= '0' && s[1] <= '9'
}

// stripType removes the "@type" key Cloud Logging adds to bodies, which is not part of the
// Kubernetes object and would show in every diff.
func stripType(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	if !bytes.Contains(raw, []byte(`"@type"`)) {
		return raw
	}
	var m map[string]json.RawMessage
	if err := stdjson.Unmarshal(raw, &m); err != nil {
		return raw
	}
	delete(m, "@type")
	out, err := stdjson.Marshal(m)
	if err != nil {
		return raw
	}
	return out
}
