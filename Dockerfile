# The dncsync image: a static binary on distroless, running as non-root. Not built on the
# development machines (no container engine runs there); build it where Docker or Podman runs:
#   docker build -t dncsync .
#   docker run -p 3000:3000 -e CXONE_API=... -e REDIS_URL=... dncsync
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
# Static (no cgo), reproducible paths; the VCS stamp (dncsync version) comes from .git when present.
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/dncsync ./cmd/dncsync && mkdir -p /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/dncsync /dncsync
# The embedded store's directory, owned by the non-root user (used when REDIS_URL is not set).
COPY --from=build --chown=nonroot:nonroot /out/data /data
ENV DNCSYNC_DATA_DIR=/data PORT=3000
USER nonroot:nonroot
EXPOSE 3000
VOLUME ["/data"]
ENTRYPOINT ["/dncsync"]
CMD ["serve"]
