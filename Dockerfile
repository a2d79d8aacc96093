# The groupsync CLI, which also runs `serve`. Build: docker build -t groupsync .
# It needs the network for the base images and modules, so CI does not build it.
#
# Run with the config and the store on a volume:
#   docker run --rm -v "$PWD:/work" -w /work groupsync --config groupsync.yaml plan
#   docker run --rm -p 8080:8080 -e GROUPSYNC_SERVE_TOKEN=… -v "$PWD:/work" -w /work \
#     groupsync serve --addr 0.0.0.0:8080
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.releaseVersion=${VERSION}" \
    -o /out/groupsync ./cmd/groupsync

# distroless/static: CA certificates and a non-root user, no shell.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/groupsync /usr/local/bin/groupsync
USER nonroot:nonroot
ENTRYPOINT ["/usr/local/bin/groupsync"]
