# syntax=docker/dockerfile:1
# hookd's image: one static binary on distroless/static (CA certificates,
# tzdata and a non-root user, no shell), data in /data.
#
#   docker build --build-arg VERSION=v0.2.0 --build-arg COMMIT=$(git rev-parse HEAD) \
#     --build-arg DATE=$(date -u +%Y-%m-%dT%H:%M:%SZ) -t hookd:v0.2.0 .
#   docker run -p 8080:8080 -v hookd-data:/data hookd:v0.2.0
#
# The base images are arguments so a mirror can stand in for them.
ARG GO_IMAGE=golang:1.26.8-trixie
ARG BASE_IMAGE=gcr.io/distroless/static-debian13:nonroot

FROM --platform=$BUILDPLATFORM ${GO_IMAGE} AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG TARGETOS
ARG TARGETARCH
ARG VERSION
ARG COMMIT
ARG DATE
# The same build as the release binaries (scripts/build): static, stamped.
RUN GOOS=${TARGETOS} GOARCH=${TARGETARCH} VERSION=${VERSION} COMMIT=${COMMIT} DATE=${DATE} \
	scripts/build /out/hookd && mkdir /out/data

FROM ${BASE_IMAGE}
ARG VERSION
ARG COMMIT
ARG DATE
LABEL org.opencontainers.image.title="hookd" \
	org.opencontainers.image.description="Self-hosted webhook delivery in one binary" \
	org.opencontainers.image.source="https://github.com/hookd/hookd" \
	org.opencontainers.image.version="${VERSION}" \
	org.opencontainers.image.revision="${COMMIT}" \
	org.opencontainers.image.created="${DATE}"
COPY --from=build /out/hookd /usr/local/bin/hookd
# nonroot (65532) owns /data: the SQLite database and its key file live there.
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV HOOKD_DATABASE=/data/hookd.db HOOKD_ADDR=:8080
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 CMD ["/usr/local/bin/hookd", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/hookd"]
CMD ["serve"]
