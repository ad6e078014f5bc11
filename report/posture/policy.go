package posture

import (
	"encoding/json"
	"net/netip"
	"slices"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"

	"github.com/auditreport/auditreport/internal/fastjson"
)

// policy is a NetworkPolicy as the posture needs it: what it selects and what it allows.
type policy struct {
	namespace, name string
	uid             string // metadata.uid, when its state shows it
	id              int    // its number among its namespace's policies (Engine.policyID)
	// known is false when the trail does not show the spec: it may select any pod of its
	// namespace and allow anything.
	known    bool
	selector labels.Selector
	// match is the selector's requirements, on the words of the engine's vocab.
	match   matcher
	ingress bool // Ingress among its effective policyTypes
	egress  bool
	// What its rules allow, for the pods it selects.
	ingressInternet, ingressOtherNS bool
	egressInternet, egressOtherNS   bool
}

// sameEffect reports whether two states of a policy select the same pods and allow the
// same: a write that changes only what the posture does not read (its ports, its
// annotations) cannot change any pod's verdict. Selectors are compared in their canonical
// form (requirements sorted by key, values sorted).
func (p *policy) sameEffect(q *policy) bool {
	if p == nil || q == nil || p.known != q.known {
		return false
	}
	if !p.known {
		return true
	}
	return p.ingress == q.ingress && p.egress == q.egress &&
		p.ingressInternet == q.ingressInternet && p.ingressOtherNS == q.ingressOtherNS &&
		p.egressInternet == q.egressInternet && p.egressOtherNS == q.egressOtherNS &&
		p.sameSelector(q)
}

// words counts the words the policy's selector names in the vocab (0 for none, or nil).
func (p *policy) words() int {
	if p == nil {
		return 0
	}
	return p.match.words()
}

// sameSelector reports whether two states of a policy, both known, have the same selector
// in its canonical form.
func (p *policy) sameSelector(q *policy) bool {
	return p != nil && q != nil && p.known && q.known && p.selector.String() == q.selector.String()
}

// decodePolicy reads a networking.k8s.io NetworkPolicy. A spec that does not decode, or a
// selector the API server would not have accepted, makes the policy unknown rather than
// wrongly empty.
func decodePolicy(ns, name string, raw []byte, nets *networks, v *vocab) *policy {
	p := &policy{namespace: ns, name: name}
	if raw == nil {
		return p
	}
	np, ok := decodeSpec(raw)
	if !ok {
		return p
	}
	p.uid = np.Metadata.UID
	sel, err := metav1.LabelSelectorAsSelector(&np.Spec.PodSelector)
	if err != nil {
		return p
	}
	p.known, p.selector, p.match = true, sel, compile(sel, v)
	// The API server defaults policyTypes when they are omitted: Ingress always, Egress when
	// the policy has egress rules.
	types := np.Spec.PolicyTypes
	if len(types) == 0 {
		types = []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}
		if len(np.Spec.Egress) > 0 {
			types = append(types, networkingv1.PolicyTypeEgress)
		}
	}
	for _, t := range types {
		switch t {
		case networkingv1.PolicyTypeIngress:
			p.ingress = true
		case networkingv1.PolicyTypeEgress:
			p.egress = true
		}
	}
	if p.ingress {
		for _, r := range np.Spec.Ingress {
			internet, otherNS := peersReach(r.From, ns, nets)
			p.ingressInternet = p.ingressInternet || internet
			p.ingressOtherNS = p.ingressOtherNS || otherNS
		}
	}
	if p.egress {
		for _, r := range np.Spec.Egress {
			internet, otherNS := peersReach(r.To, ns, nets)
			p.egressInternet = p.egressInternet || internet
			p.egressOtherNS = p.egressOtherNS || otherNS
		}
	}
	return p
}

// matcher is a selector as a list of requirements on a pod's words (vocab): numbers
// compared, where labels.Selector's Matches looks each label up in the pod's map twice (Has,
// then Get), and a policy's change or a pod's new labels match hundreds of pods or
// policies. nil for a selector with an operator a NetworkPolicy's podSelector cannot have
// (then the selector's own Matches).
type matcher []requirement

type requirement struct {
	op selection.Operator
	// key is the key's word; values the words of the pairs of the key and each value.
	key    uint32
	values []uint32
}

// compile reads a selector into a matcher, adding its keys and pairs to the vocab.
func compile(sel labels.Selector, v *vocab) matcher {
	reqs, _ := sel.Requirements()
	m := make(matcher, 0, len(reqs))
	for _, r := range reqs {
		switch r.Operator() {
		case selection.In, selection.Equals, selection.DoubleEquals, selection.NotIn, selection.NotEquals, selection.Exists, selection.DoesNotExist:
		default:
			return nil
		}
		req := requirement{op: r.Operator(), key: v.key(r.Key()).id}
		for val := range r.Values() {
			req.values = append(req.values, v.pair(r.Key(), val))
		}
		m = append(m, req)
	}
	return m
}

// words counts the words the matcher names, with repeats.
func (m matcher) words() int {
	n := len(m)
	for _, r := range m {
		n += len(r.values)
	}
	return n
}

// matches is the selector's Matches, on a pod's words made by the vocab it was compiled by
// (or one grown from it).
func (m matcher) matches(words []uint32) bool {
	for _, r := range m {
		var ok bool
		switch r.op {
		case selection.In, selection.Equals, selection.DoubleEquals:
			ok = hasAny(words, r.values)
		case selection.NotIn, selection.NotEquals:
			ok = !hasAny(words, r.values)
		case selection.Exists:
			_, ok = slices.BinarySearch(words, r.key)
		case selection.DoesNotExist:
			_, has := slices.BinarySearch(words, r.key)
			ok = !has
		}
		if !ok {
			return false
		}
	}
	return true
}

// policySpec is the part of a NetworkPolicy the posture reads.
type policySpec struct {
	Metadata struct {
		UID string `json:"uid"`
	} `json:"metadata"`
	Spec networkingv1.NetworkPolicySpec `json:"spec"`
}

// decodeSpec decodes a NetworkPolicy's spec. goccy/go-json does it in a third of the time
// encoding/json takes, on every write of a policy; encoding/json decides whether a spec it
// refuses is refused (FuzzDecodeSpec holds the two to the same result).
func decodeSpec(raw []byte) (np policySpec, ok bool) {
	if fastjson.Unmarshal(raw, &np) == nil {
		return np, true
	}
	np = policySpec{}
	return np, json.Unmarshal(raw, &np) == nil
}

// peersReach says whether a rule's peers, in a policy of namespace ns, reach the internet
// and other namespaces. A rule without peers allows every source (or destination): both.
func peersReach(peers []networkingv1.NetworkPolicyPeer, ns string, nets *networks) (internet, otherNS bool) {
	if len(peers) == 0 {
		return true, true
	}
	for _, p := range peers {
		switch {
		case p.IPBlock != nil:
			if nets.reachesPublic(p.IPBlock.CIDR, p.IPBlock.Except) {
				internet = true
			}
		case p.NamespaceSelector != nil:
			// A namespaceSelector, with or without a podSelector, selects pods in the
			// namespaces it matches, which may be any but the policy's own, unless it
			// names only that one by the name label the API server sets on each.
			if !onlyNamespace(p.NamespaceSelector, ns) {
				otherNS = true
			}
		}
	}
	return internet, otherNS
}

// networks are the address ranges that are not the internet: private, shared, loopback and
// link-local ranges, and the cluster's own (pod and service CIDRs) when given.
type networks struct {
	private []netip.Prefix
}

// defaultPrivate are RFC 1918, RFC 6598 (shared, CGNAT), loopback, link-local, and IPv6
// unique-local, link-local and loopback ranges.
var defaultPrivate = []string{"10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
	"fc00::/7", "fe80::/10", "::1/128"}

func newNetworks(cluster []netip.Prefix) *networks {
	n := &networks{}
	for _, s := range defaultPrivate {
		n.private = append(n.private, netip.MustParsePrefix(s))
	}
	n.private = append(n.private, cluster...)
	return n
}

// span is an inclusive range of addresses of one family.
type span struct{ lo, hi netip.Addr }

func prefixSpan(p netip.Prefix) span {
	p = p.Masked()
	lo := p.Addr()
	hi := lo
	bits := lo.BitLen()
	b := hi.AsSlice()
	for i := p.Bits(); i < bits; i++ {
		b[i/8] |= 1 << (7 - uint(i%8))
	}
	hi, _ = netip.AddrFromSlice(b)
	return span{lo, hi}
}

// reachesPublic reports whether cidr, less except and the private ranges, holds any address.
// An unparsable CIDR is taken as reaching everywhere: the trail cannot show otherwise, and
// the API server validates CIDRs, so this happens only with hand-made input.
func (n *networks) reachesPublic(cidr string, except []string) bool {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return true
	}
	p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits())
	left := []span{prefixSpan(p)}
	cut := func(q netip.Prefix) {
		q = netip.PrefixFrom(q.Addr().Unmap(), q.Bits())
		if q.Addr().Is4() != p.Addr().Is4() {
			return
		}
		c := prefixSpan(q)
		var next []span
		for _, s := range left {
			if c.hi.Less(s.lo) || s.hi.Less(c.lo) {
				next = append(next, s)
				continue
			}
			if s.lo.Less(c.lo) {
				next = append(next, span{s.lo, c.lo.Prev()})
			}
			if c.hi.Less(s.hi) {
				next = append(next, span{c.hi.Next(), s.hi})
			}
		}
		left = next
	}
	for _, e := range except {
		if q, err := netip.ParsePrefix(e); err == nil {
			cut(q)
		}
	}
	for _, q := range n.private {
		cut(q)
	}
	return len(left) > 0
}

// nameLabel is the label the API server sets on every namespace to its name (immutable).
const nameLabel = "kubernetes.io/metadata.name"

// onlyNamespace is whether a namespace selector can match no namespace but ns: it requires
// the name label to be ns, by matchLabels or by an In expression that lists only ns.
func onlyNamespace(sel *metav1.LabelSelector, ns string) bool {
	if v, ok := sel.MatchLabels[nameLabel]; ok {
		return v == ns
	}
	for _, e := range sel.MatchExpressions {
		if e.Key == nameLabel && e.Operator == metav1.LabelSelectorOpIn && len(e.Values) > 0 {
			for _, v := range e.Values {
				if v != ns {
					return false
				}
			}
			return true
		}
	}
	return false
}
