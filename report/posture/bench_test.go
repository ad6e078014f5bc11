package posture

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkPeriod follows a period of 100,000 pod changes (creations, relabels, deletions)
// in 200 namespaces holding 1,000 NetworkPolicies, some of them changed too: each change
// re-evaluates only the pods it can affect.
func BenchmarkPeriod(b *testing.B) {
	const namespaces, policies, podChanges = 200, 1000, 100_000
	var ups []Update
	next := ticker(50 * time.Millisecond)
	for i := range policies {
		ns := fmt.Sprintf("ns-%d", i%namespaces)
		spec := fmt.Sprintf(`{"podSelector":{"matchLabels":{"app":"app-%d"}},"policyTypes":["Ingress","Egress"],"ingress":[{"from":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["10.0.0.0/8"]}}]}]}`, i%7)
		u := npU(0, ns, fmt.Sprintf("np-%d", i), spec)
		u.Time = next()
		ups = append(ups, u)
	}
	for i := range podChanges {
		ns := fmt.Sprintf("ns-%d", i%namespaces)
		name := fmt.Sprintf("pod-%d", (i/namespaces)%60)
		var u Update
		switch i % 10 {
		case 9:
			u = gone(podU(0, ns, name, ""), 0, "bob")
		default:
			u = podU(0, ns, name, fmt.Sprintf(`"app":"app-%d","v":"%d"`, i%7, i))
		}
		u.Time = next()
		ups = append(ups, u)
		if i%100 == 0 {
			p := npU(0, ns, fmt.Sprintf("np-%d", i%policies), denyAll)
			p.Time = next()
			ups = append(ups, p)
		}
	}
	follow(b, t0.Add(time.Minute), ups, func(p *Posture) {
		if p.Summary.EndpointsNumInScope == 0 {
			b.Fatal("no endpoints")
		}
	})
	b.ReportMetric(float64(len(ups)), "updates/op")
}

// BenchmarkPolicyWrites follows writes of NetworkPolicies in a busy namespace: 2,000 pods
// of ten labels each, 400 policies selecting most of them, then 4,000 writes that change a
// policy's rules. Each write is matched against every pod its selector may select.
func BenchmarkPolicyWrites(b *testing.B) {
	const pods, policies, writes = 2000, 400, 4000
	var ups []Update
	next := ticker(10 * time.Millisecond)
	for i := range pods {
		u := podU(0, "shop", fmt.Sprintf("web-%d", i), fmt.Sprintf(`"app":"web","tier":"t%d","pod-template-hash":"%x","version":"v%d","team":"a","env":"prod","zone":"z%d","release":"r%d","track":"stable","component":"c%d"`, i%3, i*7919, i%4, i%3, i%5, i%6))
		u.Time = next()
		ups = append(ups, u)
	}
	spec := func(i, port int) string {
		return fmt.Sprintf(`{"podSelector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"NotIn","values":["t%d"]}]},"policyTypes":["Ingress"],"ingress":[{"ports":[{"port":%d}],"from":[{"podSelector":{}}]}]}`, i%3, port)
	}
	for i := range policies {
		u := npU(0, "shop", fmt.Sprintf("np-%d", i), spec(i, 80))
		u.Time = next()
		ups = append(ups, u)
	}
	for i := range writes {
		u := npU(0, "shop", fmt.Sprintf("np-%d", i%policies), spec(i%policies, 1000+i))
		if i%2 == 1 {
			u = npU(0, "shop", fmt.Sprintf("np-%d", i%policies), `{"podSelector":{"matchLabels":{"app":"web"}},"policyTypes":["Ingress","Egress"]}`)
		}
		u.Time = next()
		ups = append(ups, u)
	}
	follow(b, t0, ups, func(*Posture) {})
}

// ticker returns times from t0 on, step apart.
func ticker(step time.Duration) func() time.Time {
	tm := t0
	return func() time.Time { tm = tm.Add(step); return tm }
}

// BenchmarkStatusWrites follows 100,000 writes to 2,000 running pods of eight labels each
// that leave their labels as they were (the kubelet's status writes, most of a busy
// cluster's pod writes), in 20 namespaces of 10 policies.
func BenchmarkStatusWrites(b *testing.B) {
	const namespaces, pods, writes = 20, 2000, 100_000
	var ups []Update
	next := ticker(10 * time.Millisecond)
	for i := range namespaces * 10 {
		u := npU(0, fmt.Sprintf("ns-%d", i%namespaces), fmt.Sprintf("np-%d", i), fmt.Sprintf(`{"podSelector":{"matchLabels":{"app":"app-%d"}},"policyTypes":["Ingress"]}`, i%5))
		u.Time = next()
		ups = append(ups, u)
	}
	labels := func(i int) string {
		return fmt.Sprintf(`"app":"app-%d","tier":"web","team":"payments","release":"r-%d","pod-template-hash":"7d4b9c%04d","app.kubernetes.io/name":"shop","app.kubernetes.io/part-of":"store","version":"v1"`, i%5, i%3, i)
	}
	for i := range writes {
		p := i % pods
		u := podU(0, fmt.Sprintf("ns-%d", p%namespaces), fmt.Sprintf("pod-%d", p), labels(p))
		// A status that changes with every write, after the labels as a state has it.
		u.Object = append(u.Object[:len(u.Object)-1], fmt.Sprintf(`,"status":{"phase":"Running","observedGeneration":%d}}`, i)...)
		u.Time = next()
		ups = append(ups, u)
	}
	follow(b, t0.Add(time.Minute), ups, func(p *Posture) {
		if p.Summary.EndpointsNumInScope != pods {
			b.Fatalf("%d endpoints in scope, want %d", p.Summary.EndpointsNumInScope, pods)
		}
	})
	b.ReportMetric(float64(len(ups)), "updates/op")
}

// follow runs a new engine from start over ups, b.N times, the timer running, and checks
// each posture before it is closed.
func follow(b *testing.B, start time.Time, ups []Update, check func(*Posture)) {
	b.Helper()
	b.ResetTimer()
	for range b.N {
		e, err := New(Options{Start: start, PoliciesListed: true})
		if err != nil {
			b.Fatal(err)
		}
		for _, u := range ups {
			e.Observe(u)
		}
		p := e.Finish()
		check(p)
		p.Close()
	}
}
