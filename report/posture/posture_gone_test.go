package posture

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func endpointsU(min int, ns, svc string, pods ...string) Update {
	var addrs []string
	for _, p := range pods {
		addrs = append(addrs, fmt.Sprintf(`{"ip":"10.0.0.1","targetRef":{"kind":"Pod","name":%q}}`, p))
	}
	return Update{Time: at(min), Resource: "endpoints", Namespace: ns, Name: svc, Exists: true,
		Object: fmt.Appendf(nil, `{"metadata":{"name":%q,"namespace":%q},"subsets":[{"addresses":[%s]}]}`, svc, ns, strings.Join(addrs, ","))}
}

// A pod written to disk when it went is taken up again when a service names it later and
// when it comes back under its name (a StatefulSet's pod): its row is one life over the
// period, as if it had stayed in memory (run compares the two).
func TestPodGoneAndBack(t *testing.T) {
	p := run(t, Options{},
		npU(0, "shop", "deny-ingress", denyIngress),
		podU(5, "shop", "web-0", `"app":"web"`),
		podU(5, "shop", "db", `"app":"db"`),
		endpointsU(20, "shop", "web", "web-0"),
		endpointsU(20, "shop", "db", "db"),
		gone(podU(0, "shop", "web-0", ""), 30, "bob"),
		gone(podU(0, "shop", "db", ""), 31, "bob"),
		// Named late: by a service it did not serve, and again by one it did.
		endpointsU(35, "shop", "api", "web-0"),
		endpointsU(36, "shop", "db", "db"),
		endpointsU(37, "shop", "db", "db"),
		podU(40, "shop", "web-0", `"app":"web"`),
		gone(podU(0, "shop", "web-0", ""), 50, "bob"),
	)
	web := endpoint(t, p, "shop/web-0")
	if !web.From.Equal(at(10)) || !web.To.Equal(at(50)) {
		t.Errorf("web-0 lived %s to %s, want its first life's start to its second's end", web.From, web.To)
	}
	if want := []string{"shop/api", "shop/web"}; !slices.Equal(web.Services, want) {
		t.Errorf("web-0 served %v, want %v", web.Services, want)
	}
	if got := web.IngressUnprotectedSeconds + web.EgressUnprotectedSeconds; got != (30 * time.Minute).Seconds() {
		t.Errorf("web-0 unprotected for %v s, want its egress for both lives, 30 min", got)
	}
	var at40 []string
	for _, tr := range web.Transitions {
		if tr.Time.Equal(at(40)) {
			at40 = append(at40, tr.Direction+" "+tr.What)
		}
	}
	if d := cmp.Diff([]string{"ingress protected", "egress unprotected"}, at40); d != "" {
		t.Errorf("transitions of the second life's start (-want +got):\n%s", d)
	}
	// Between its lives (minute 35) the chart does not count it; db is gone for good.
	var chart []int
	for _, pt := range p.Timeline(at(30), at(40), 3) {
		chart = append(chart, pt.Protected+pt.Unprotected+pt.Unknown)
	}
	if d := cmp.Diff([]int{1, 0, 1}, chart); d != "" {
		t.Errorf("pods charted at minutes 30, 35 and 40 (-want +got):\n%s", d)
	}
	if p.Summary.EndpointsNumInScope != 2 || len(p.Services) != 3 {
		t.Errorf("%d endpoints, services %+v: each pod counts once, each service it served once", p.Summary.EndpointsNumInScope, p.Services)
	}
	for _, s := range p.Services {
		if s.Endpoints != 1 {
			t.Errorf("service %s counts %d pods, want 1", s.Service, s.Endpoints)
		}
	}
}

// Pods churning through the period, more than the budget, written to disk as they go: the
// rows read back in the order they are shown, and the counts are the same.
func TestManyPodsGone(t *testing.T) {
	ups := []Update{npU(0, "a", "deny", denyAll)}
	for i := range 300 {
		ns := []string{"a", "b", "c"}[i%3]
		name := fmt.Sprintf("pod-%03d", i%120) // names come back
		ups = append(ups, podU(10+i/10, ns, name, fmt.Sprintf(`"app":"x%d"`, i%4)))
		if i%7 == 0 {
			ups = append(ups, endpointsU(10+i/10, ns, fmt.Sprintf("svc-%d", i%5), name))
		}
		ups = append(ups, gone(podU(0, ns, name, ""), 11+i/10, "bob"))
	}
	p := run(t, Options{}, ups...)
	if p.Len() != 120 {
		t.Errorf("%d endpoints, want 120", p.Len())
	}
}

// Services that name pods the trail has not shown yet wait on disk once there are many;
// a pod that then appears serves them, as if they had waited in memory.
func TestServicesWaitingOnDisk(t *testing.T) {
	ghosts := []string{"late"}
	for i := range waitingAbove + 10 {
		ghosts = append(ghosts, fmt.Sprintf("ghost-%05d", i))
	}
	p := run(t, Options{},
		podU(5, "shop", "first", `"app":"web"`),
		gone(podU(0, "shop", "first", ""), 11, "bob"), // pods go to disk from here
		endpointsU(12, "shop", "web", ghosts...),
		endpointsU(13, "shop", "api", ghosts[:2]...),
		endpointsU(14, "shop", "db", ghosts[len(ghosts)-20:]...), // past the budget: to disk
		podU(20, "shop", "late", `"app":"web"`),
	)
	if want, got := []string{"shop/api", "shop/web"}, endpoint(t, p, "shop/late").Services; !slices.Equal(got, want) {
		t.Errorf("the pod named before it appeared serves %v, want %v", got, want)
	}
}
