# The dncsync image: a static binary on distroless, running as non-root. Not built on the
# development machines (no container engine runs there); build it where Docker or Podman runs:
#   make image   (docker build --build-arg VERSION=... --build-arg COMMIT=... -t dncsync:VERSION .)
#   docker run -p 3000:3000 -e CXONE_API=... -e REDIS_URL=... dncsync
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static (no cgo), reproducible paths. The version and commit are stamped with -ldflags: the build
# context has no .git (.dockerignore), so there is no VCS stamp: make image passes both.
ARG VERSION=dev
ARG COMMIT=unknown
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags="-s -w -X github.com/dncsync/dncsync/internal/version.Version=${VERSION} -X github.com/dncsync/dncsync/internal/version.Commit=${COMMIT}" \
      -o /out/dncsync ./cmd/dncsync && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/dncsync /dncsync
# The embedded store's directory, owned by the non-root user (used when REDIS_URL is not set).
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV DNCSYNC_DATA_DIR=/data PORT=3000
USER nonroot:nonroot
EXPOSE 3000
VOLUME ["/data"]
# Distroless has no shell or curl: the binary asks its own /healthz (dncsync healthcheck --ready
# asks whether the store commits; the compose example uses that).
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["/dncsync", "healthcheck"]
ENTRYPOINT ["/dncsync"]
CMD ["serve"]
