# syntax=docker/dockerfile:1
# A small static image: the binary (CGO off, version stamped) on distroless, as non-root.
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse --short HEAD) -t auditreport .
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
ARG DATE=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X main.version=${VERSION} -X main.commit=${COMMIT} -X main.date=${DATE}" \
      -o /out/auditreport . \
 && /out/auditreport version

# distroless/static: no shell, no package manager; CA certificates and /etc/passwd only.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/auditreport /usr/local/bin/auditreport
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/auditreport"]
CMD ["--help"]
