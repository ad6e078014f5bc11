package cli

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"

	"github.com/spf13/pflag"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/yaml"

	"github.com/auditreport/auditreport/report/posture"
)

// postureOptions scope the network-policy posture, as Calico's GlobalReport did.
type postureOptions struct {
	Namespaces             []string
	NamespaceSelector      string
	Selector               string
	ServiceAccounts        []string
	ServiceAccountSelector string
	ClusterCIDRs           []string
	GlobalReport           string
}

// AddFlags registers the posture flags.
func (o *postureOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringSliceVar(&o.Namespaces, "namespace", nil, "posture: only pods in these namespaces (repeatable, comma-separated)")
	fs.StringVar(&o.NamespaceSelector, "namespace-selector", "", "posture: only pods in namespaces whose labels match this selector (env=prod,team in (a,b))")
	fs.StringVarP(&o.Selector, "selector", "l", "", "posture: only pods whose labels match this selector")
	fs.StringSliceVar(&o.ServiceAccounts, "service-account", nil, "posture: only pods running as these service accounts (names; repeatable)")
	fs.StringVar(&o.ServiceAccountSelector, "service-account-selector", "", "posture: only pods whose service account's labels match this selector")
	fs.StringSliceVar(&o.ClusterCIDRs, "cluster-cidr", nil, "posture: pod and service CIDRs that are not the internet, besides the private ranges (repeatable)")
	fs.StringVar(&o.GlobalReport, "global-report", "", "posture: take the scope from a Calico GlobalReport (projectcalico.org/v3) YAML file")
}

// scope checks the flags and returns the posture's scope.
func (o *postureOptions) scope() (posture.Scope, error) {
	sc := posture.Scope{Namespaces: o.Namespaces, NamespaceSelector: o.NamespaceSelector, Selector: o.Selector,
		ServiceAccounts: o.ServiceAccounts, ServiceAccountSelector: o.ServiceAccountSelector, ClusterCIDRs: o.ClusterCIDRs}
	if o.GlobalReport != "" {
		gr, err := readGlobalReport(o.GlobalReport)
		if err != nil {
			return sc, err
		}
		merge := func(flag string, dst *string, v string) error {
			if v == "" {
				return nil
			}
			if *dst != "" {
				return &UsageError{Err: fmt.Errorf("%s and --global-report both set it: give one", flag)}
			}
			*dst = v
			return nil
		}
		for _, m := range []struct {
			flag string
			dst  *string
			v    string
		}{{"--namespace-selector", &sc.NamespaceSelector, gr.NamespaceSelector}, {"--selector", &sc.Selector, gr.Selector},
			{"--service-account-selector", &sc.ServiceAccountSelector, gr.ServiceAccountSelector}} {
			if err := merge(m.flag, m.dst, m.v); err != nil {
				return sc, err
			}
		}
		sc.Namespaces = append(sc.Namespaces, gr.Namespaces...)
		sc.ServiceAccounts = append(sc.ServiceAccounts, gr.ServiceAccounts...)
	}
	for _, s := range []struct{ flag, v string }{{"--namespace-selector", sc.NamespaceSelector}, {"--selector", sc.Selector},
		{"--service-account-selector", sc.ServiceAccountSelector}} {
		if s.v == "" {
			continue
		}
		if _, err := labels.Parse(s.v); err != nil {
			return sc, &UsageError{Err: fmt.Errorf("%s %q: %v", s.flag, s.v, err)}
		}
	}
	if _, err := posture.New(posture.Options{Scope: sc}); err != nil {
		return sc, &UsageError{Err: err}
	}
	return sc, nil
}

// globalReport is the part of a Calico GlobalReport that scopes its endpoints.
type globalReport struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Spec       struct {
		Endpoints struct {
			Selector   string `json:"selector"`
			Namespaces struct {
				Names    []string `json:"names"`
				Selector string   `json:"selector"`
			} `json:"namespaces"`
			ServiceAccounts struct {
				Names    []string `json:"names"`
				Selector string   `json:"selector"`
			} `json:"serviceAccounts"`
		} `json:"endpoints"`
	} `json:"spec"`
}

// readGlobalReport reads a Calico GlobalReport's endpoint scope, its selectors translated
// from Calico's selector syntax to Kubernetes label selectors.
func readGlobalReport(path string) (posture.Scope, error) {
	var sc posture.Scope
	b, err := os.ReadFile(path)
	if err != nil {
		return sc, &FileError{Flag: "--global-report", Path: path, Err: err}
	}
	var gr globalReport
	if err := yaml.Unmarshal(b, &gr); err != nil {
		return sc, &FileError{Flag: "--global-report", Path: path, Err: fmt.Errorf("not YAML: %v", err)}
	}
	if gr.Kind != "GlobalReport" || !strings.HasPrefix(gr.APIVersion, "projectcalico.org/") {
		return sc, &FileError{Flag: "--global-report", Path: path, Err: fmt.Errorf("not a Calico GlobalReport (apiVersion %q, kind %q)", gr.APIVersion, gr.Kind)}
	}
	ep := gr.Spec.Endpoints
	sc.Namespaces, sc.ServiceAccounts = ep.Namespaces.Names, ep.ServiceAccounts.Names
	for _, s := range []struct {
		field string
		in    string
		out   *string
	}{{"spec.endpoints.selector", ep.Selector, &sc.Selector}, {"spec.endpoints.namespaces.selector", ep.Namespaces.Selector, &sc.NamespaceSelector},
		{"spec.endpoints.serviceAccounts.selector", ep.ServiceAccounts.Selector, &sc.ServiceAccountSelector}} {
		k, err := calicoSelector(s.in)
		if err != nil {
			return sc, &FileError{Flag: "--global-report", Path: path, Err: fmt.Errorf("%s: %v", s.field, err)}
		}
		*s.out = k
	}
	return sc, nil
}

// Calico selector terms that have a Kubernetes label selector equivalent.
var (
	calicoEq    = regexp.MustCompile(`^([A-Za-z0-9./_-]+)\s*(==|!=)\s*(?:"([^"]*)"|'([^']*)')$`)
	calicoHas   = regexp.MustCompile(`^(!?)\s*has\(\s*([A-Za-z0-9./_-]+)\s*\)$`)
	calicoIn    = regexp.MustCompile(`^([A-Za-z0-9./_-]+)\s+(in|not in)\s*\{([^}]*)\}$`)
	calicoAll   = regexp.MustCompile(`^all\(\s*\)$`)
	calicoQuote = regexp.MustCompile(`^\s*(?:"([^"]*)"|'([^']*)')\s*$`)
)

// calicoSelector translates a Calico selector made of terms joined by && (label == "v",
// label != "v", has(label), !has(label), label in {"a","b"}, label not in {...}, all()) to
// a Kubernetes label selector. Anything else (||, parentheses, starts with, ...) has no
// equivalent and is refused rather than approximated.
func calicoSelector(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	if strings.Contains(s, "||") || strings.ContainsAny(s, "()") && !calicoHas.MatchString(s) && !onlyHasTerms(s) {
		return "", fmt.Errorf("selector %q: only terms joined by && (==, !=, has(), !has(), in {}, not in {}, all()) can be read", s)
	}
	var out []string
	for _, term := range strings.Split(s, "&&") {
		term = strings.TrimSpace(term)
		switch {
		case calicoAll.MatchString(term):
		case calicoEq.MatchString(term):
			m := calicoEq.FindStringSubmatch(term)
			out = append(out, m[1]+map[string]string{"==": "=", "!=": "!="}[m[2]]+m[3]+m[4])
		case calicoHas.MatchString(term):
			m := calicoHas.FindStringSubmatch(term)
			out = append(out, m[1]+m[2])
		case calicoIn.MatchString(term):
			m := calicoIn.FindStringSubmatch(term)
			var vals []string
			for _, v := range strings.Split(m[3], ",") {
				q := calicoQuote.FindStringSubmatch(v)
				if q == nil {
					return "", fmt.Errorf("selector %q: %q is not a quoted value", s, strings.TrimSpace(v))
				}
				vals = append(vals, q[1]+q[2])
			}
			op := " in "
			if m[2] == "not in" {
				op = " notin "
			}
			out = append(out, m[1]+op+"("+strings.Join(vals, ",")+")")
		default:
			return "", fmt.Errorf("selector %q: the term %q has no Kubernetes label selector equivalent", s, term)
		}
	}
	k := strings.Join(out, ",")
	if _, err := labels.Parse(k); err != nil {
		return "", errors.New("selector " + s + ": " + err.Error())
	}
	return k, nil
}

// onlyHasTerms reports whether every parenthesis in s belongs to has() or all().
func onlyHasTerms(s string) bool {
	rest := regexp.MustCompile(`(!?\s*has\(\s*[A-Za-z0-9./_-]+\s*\)|all\(\s*\))`).ReplaceAllString(s, "")
	return !strings.ContainsAny(rest, "()")
}
