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
	tm := t0
	next := func() time.Time { tm = tm.Add(50 * time.Millisecond); return tm }
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
	b.ResetTimer()
	for range b.N {
		e, err := New(Options{Start: t0.Add(time.Minute)})
		if err != nil {
			b.Fatal(err)
		}
		for _, u := range ups {
			e.Observe(u)
		}
		p := e.Finish()
		if p.Summary.EndpointsNumInScope == 0 {
			b.Fatal("no endpoints")
		}
	}
	b.ReportMetric(float64(len(ups)), "updates/op")
}
