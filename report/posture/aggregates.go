package posture

// aggregates are the counts, namespaces and services the rows add up to, kept as the rows
// are made so that a row need not stay once counted. They are counts, not verdicts, so that
// a pod taken up again (it came back, or a service named it) can be taken out.
type aggregates struct {
	sum      Summary // the endpoint counts
	ns, svc  map[string]*group
	accounts map[string]int // rows per namespace/service account
}

// group counts the rows of a namespace or service: protected only if all of them were.
type group struct {
	n                  int
	inFalse, inUnknown int
	egFalse, egUnknown int
}

func newAggregates() aggregates {
	return aggregates{ns: map[string]*group{}, svc: map[string]*group{}, accounts: map[string]int{}}
}

// add counts a row in (n = 1) or out (n = -1).
func (a *aggregates) add(r *Endpoint, n int) {
	s := &a.sum
	s.EndpointsNumInScope += n
	for _, c := range []struct {
		t     Tri
		is    Tri
		count *int
	}{{r.IngressProtected, True, &s.EndpointsNumIngressProtected}, {r.EgressProtected, True, &s.EndpointsNumEgressProtected},
		{r.IngressFromInternet, True, &s.EndpointsNumIngressFromInternet}, {r.EgressToInternet, True, &s.EndpointsNumEgressToInternet},
		{r.IngressFromOtherNamespace, True, &s.EndpointsNumIngressFromOtherNamespace}, {r.EgressToOtherNamespace, True, &s.EndpointsNumEgressToOtherNamespace},
		{r.IngressProtected, False, &s.EndpointsNumIngressUnprotected}, {r.EgressProtected, False, &s.EndpointsNumEgressUnprotected},
		{r.IngressProtected, Unknown, &s.EndpointsNumIngressUnknown}, {r.EgressProtected, Unknown, &s.EndpointsNumEgressUnknown}} {
		if c.t == c.is {
			*c.count += n
		}
	}
	sa := r.ServiceAccount
	if sa == "" {
		sa = "default"
	}
	key := r.Namespace + "/" + sa
	if a.accounts[key] += n; a.accounts[key] == 0 {
		delete(a.accounts, key)
	}
	countIn(a.ns, r.Namespace, r, n)
	for _, svc := range r.Services {
		countIn(a.svc, svc, r, n)
	}
}

func countIn(groups map[string]*group, name string, r *Endpoint, n int) {
	g := groups[name]
	if g == nil {
		g = &group{}
		groups[name] = g
	}
	g.n += n
	for _, c := range []struct {
		t               Tri
		isFalse, isUnkn *int
	}{{r.IngressProtected, &g.inFalse, &g.inUnknown}, {r.EgressProtected, &g.egFalse, &g.egUnknown}} {
		switch c.t {
		case False:
			*c.isFalse += n
		case Unknown:
			*c.isUnkn += n
		}
	}
	if g.n == 0 {
		delete(groups, name)
	}
}

// protection is a group's protection each way: false if a row's was, else unknown if a
// row's was, else true. It counts the group in n, and in in and eg where protected.
func (g *group) protection(n, in, eg *int) (Tri, Tri) {
	verdict := func(nFalse, nUnknown int) Tri {
		switch {
		case nFalse > 0:
			return False
		case nUnknown > 0:
			return Unknown
		}
		return True
	}
	i, e := verdict(g.inFalse, g.inUnknown), verdict(g.egFalse, g.egUnknown)
	*n++
	if i == True {
		*in++
	}
	if e == True {
		*eg++
	}
	return i, e
}

// fill writes the aggregates into the posture's summary (but for the policy audit), and
// its namespaces and services in the order of their names.
func (a *aggregates) fill(out *Posture) {
	out.Summary = a.sum
	s := &out.Summary
	for _, ns := range sortedNames(a.ns) {
		g := a.ns[ns]
		in, eg := g.protection(&s.NamespacesNumInScope, &s.NamespacesNumIngressProtected, &s.NamespacesNumEgressProtected)
		out.Namespaces = append(out.Namespaces, Namespace{Namespace: ns, IngressProtected: in, EgressProtected: eg, Endpoints: g.n,
			IngressUnprotected: g.inFalse, EgressUnprotected: g.egFalse})
	}
	for _, svc := range sortedNames(a.svc) {
		g := a.svc[svc]
		in, eg := g.protection(&s.ServicesNumInScope, &s.ServicesNumIngressProtected, &s.ServicesNumEgressProtected)
		out.Services = append(out.Services, Service{Service: svc, IngressProtected: in, EgressProtected: eg, Endpoints: g.n})
	}
	s.ServiceAccountsNumInScope = len(a.accounts)
}
