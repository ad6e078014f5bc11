# auditreport build, test and benchmark entry points. Only Go is needed, except for
# `make bench` (jq, installed from Debian when missing) and `make lint` (go vet, gofmt).

GO        ?= go
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
COMMIT    ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS   := -s -w -X main.version=$(VERSION) -X main.commit=$(COMMIT)
BENCHSIZE ?= 1GB
# Runs of each command; bench reports their medians (the machines here are noisy).
BENCHRUNS ?= 3
BENCHGROWTH ?= 8GB
# The many-files benchmark: a log of BENCHFILESSIZE split into BENCHFILES rotated files.
BENCHFILES     ?= 2000
BENCHFILESSIZE ?= 400MB
FUZZTIME  ?= 30s

.PHONY: build test lint fuzz bench bench-go scenarios image clean e2e e2e-bin

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags '$(LDFLAGS)' -o auditreport .

test:
	$(GO) test ./...

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...

# Each fuzz target runs for FUZZTIME; findings land in <package>/testdata/fuzz and become tests.
fuzz:
	$(GO) test ./audit -run '^$$' -fuzz '^FuzzReader$$' -fuzztime $(FUZZTIME)
	$(GO) test ./audit -run '^$$' -fuzz '^FuzzDecoderDifferential$$' -fuzztime $(FUZZTIME)
	$(GO) test ./audit -run '^$$' -fuzz '^FuzzFastPath$$' -fuzztime $(FUZZTIME)
	$(GO) test ./audit -run '^$$' -fuzz '^FuzzParseStamp$$' -fuzztime $(FUZZTIME)
	$(GO) test ./audit -run '^$$' -fuzz '^FuzzUnescapeASCII$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/jsonany -run '^$$' -fuzz '^FuzzDecode$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/jsonany -run '^$$' -fuzz '^FuzzAppend$$' -fuzztime $(FUZZTIME)
	$(GO) test ./report/history -run '^$$' -fuzz '^FuzzTapeDiff$$' -fuzztime $(FUZZTIME)
	$(GO) test ./report/history -run '^$$' -fuzz '^FuzzDiff$$' -fuzztime $(FUZZTIME)
	$(GO) test ./report/history -run '^$$' -fuzz '^FuzzSnapshot$$' -fuzztime $(FUZZTIME)
	$(GO) test ./report -run '^$$' -fuzz '^FuzzBuild$$' -fuzztime $(FUZZTIME)
	$(GO) test ./report/history -run '^$$' -fuzz '^FuzzRowCodec$$' -fuzztime $(FUZZTIME)
	$(GO) test ./internal/binrec -run '^$$' -fuzz '^FuzzRecord$$' -fuzztime $(FUZZTIME)
	$(GO) test ./report/posture -run '^$$' -fuzz '^FuzzEndpointCodec$$' -fuzztime $(FUZZTIME)
	$(GO) test ./report/posture -run '^$$' -fuzz '^FuzzDecodeSpec$$' -fuzztime $(FUZZTIME)

# Throughput and memory on generated logs, as ratios to cat and jq measured in the same run,
# every format at once against JSON alone, the log gzipped against zcat, and the same cluster
# over an eight times longer period; then the same log as thousands of rotated files against
# one file (goal: within 1.5x).
bench: build
	@command -v jq >/dev/null || (apt-get update -qq && apt-get install -y -qq jq)
	$(GO) run ./bench/run -size $(BENCHSIZE) -growth $(BENCHGROWTH) -runs $(BENCHRUNS)
	$(GO) run ./bench/run -size $(BENCHFILESSIZE) -files $(BENCHFILES) -runs $(BENCHRUNS)

bench-go:
	$(GO) test ./audit ./report/... ./render ./internal/... -run '^$$' -bench . -benchmem

# A real control plane (etcd, kube-apiserver, kube-controller-manager, kubectl) built from the
# Go module proxy in e2e/ (a module of its own), driven through a scripted scenario; its
# recording replaces testdata/logs/real-apiserver/ and the comparison tests run on it. The
# deploy manifests are applied to it too. Cold: about 12 minutes on 2 cores.
E2E_OUT ?= testdata/logs/real-apiserver
e2e-bin:
	cd e2e && $(GO) build -o bin/ ./cmd/etcd k8s.io/kubernetes/cmd/kube-apiserver \
	  k8s.io/kubernetes/cmd/kube-controller-manager k8s.io/kubernetes/cmd/kubectl

e2e: e2e-bin
	cd e2e && $(GO) vet ./...
	$(GO) run . policy generate > e2e/bin/policy.yaml
	cd e2e && $(GO) run ./cmd/record -bin bin -policy bin/policy.yaml -out ../$(E2E_OUT) -deploy ../deploy
	$(GO) test ./report -run 'RealAPIServer' -count=1 -v

# Regenerate testdata/logs from the generator.
scenarios:
	$(GO) run ./bench/scenarios

# The container image (Dockerfile: static binary on distroless, non-root).
IMAGE ?= auditreport:$(VERSION)
image:
	docker build --build-arg VERSION=$(VERSION) --build-arg COMMIT=$(COMMIT) \
	  --build-arg DATE=$$(date -u +%Y-%m-%dT%H:%M:%SZ) -t $(IMAGE) .

clean:
	rm -rf auditreport bench/data e2e/bin
