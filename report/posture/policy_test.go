package posture

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// policySeeds are NetworkPolicies as the trail gives them: the sample logs' own, and specs
// with every peer, port and selector form, some of them wrong.
func policySeeds(tb testing.TB) [][]byte {
	tb.Helper()
	seeds := [][]byte{
		[]byte(`{"spec":{"podSelector":{}}}`),
		[]byte(`{"spec":{"podSelector":{"matchLabels":{"app":"web"},"matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]},{"key":"x","operator":"DoesNotExist"}]},"policyTypes":["Ingress","Egress"],"ingress":[{"from":[{"ipBlock":{"cidr":"0.0.0.0/0","except":["10.0.0.0/8"]}},{"namespaceSelector":{"matchLabels":{"team":"a"}},"podSelector":{}}],"ports":[{"port":8443,"protocol":"TCP"},{"port":"http","endPort":9000}]}],"egress":[{}]}}`),
		[]byte(`{"metadata":{"name":"x","creationTimestamp":"not a time"},"spec":{"podSelector":{"matchLabels":{"a":"b"}}}}`),
		[]byte(`{"spec":{"podSelector":{"matchLabels":{"a":1}}}}`),
		[]byte(`{"spec":{"policyTypes":"Ingress"}}`),
		[]byte(`{"spec":{"ingress":[{"ports":[{"port":{"a":1}}]}]}}`),
		[]byte(`{"spec":{"ingress":[{"ports":[{"port":1.5}]}]}}`),
		[]byte(`{"SPEC":{"PodSelector":{"MatchLabels":{"a":"b"}}}}`),
		[]byte(`{"spec":null}`),
		[]byte(`{"spec":{"podSelector":{"matchLabels":{"a":"b"}},"podSelector":{"matchLabels":{"c":"d"}}}}`),
		[]byte(`[]`),
	}
	logs, _ := filepath.Glob("../../testdata/logs/*/*.log")
	for _, name := range logs {
		f, err := os.Open(name)
		if err != nil {
			tb.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			var ev struct {
				ObjectRef struct {
					Resource string `json:"resource"`
				} `json:"objectRef"`
				RequestObject, ResponseObject json.RawMessage
			}
			if json.Unmarshal(sc.Bytes(), &ev) != nil || ev.ObjectRef.Resource != "networkpolicies" {
				continue
			}
			for _, b := range []json.RawMessage{ev.RequestObject, ev.ResponseObject} {
				if len(b) > 0 {
					seeds = append(seeds, b)
				}
			}
		}
		f.Close()
	}
	return seeds
}

// decodeSpec gives what encoding/json gives: the same spec, or a refusal where it refuses.
func FuzzDecodeSpec(f *testing.F) {
	seeds := policySeeds(f)
	if len(seeds) < 20 {
		f.Fatalf("only %d NetworkPolicies among the seeds", len(seeds))
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, gok := decodeSpec(raw)
		var want policySpec
		wok := json.Unmarshal(raw, &want) == nil
		if gok != wok {
			t.Fatalf("%.200q: decoded %v, encoding/json %v", raw, gok, wok)
		}
		if gok {
			if d := cmp.Diff(want, got); d != "" {
				t.Fatalf("%.200q: the spec differs from encoding/json's (-want +got):\n%s", raw, d)
			}
		}
	})
}
