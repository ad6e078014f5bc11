# syntax=docker/dockerfile:1
# A small static image: the binary (CGO off, version stamped) on distroless, as non-root.
#   docker build --build-arg VERSION=$(git describe --tags --always) \
#     --build-arg COMMIT=$(git rev-parse --short HEAD) -t auditreport .
FROM golang:1.26 AS build
# Droid Sans Fallback (Debian's fonts-droid-fallback, Apache 2.0), copied into the image below:
# the PDF draws Chinese, Japanese and Korean names with it, found in /usr/share/fonts like any
# installed font. It adds 4.0 MB (4,033,420 bytes) to the image; without it such names would
# be reported as not drawn. Noto CJK is not an option: fpdf embeds TrueType outlines only.
RUN apt-get update \
 && apt-get install -y --no-install-recommends fonts-droid-fallback \
 && rm -rf /var/lib/apt/lists/*
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
COPY --from=build /usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf /usr/share/fonts/truetype/droid/
COPY --from=build /usr/share/doc/fonts-droid-fallback/copyright /usr/share/doc/fonts-droid-fallback/
COPY --from=build /out/auditreport /usr/local/bin/auditreport
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/auditreport"]
CMD ["--help"]
