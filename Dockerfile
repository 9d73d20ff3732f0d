# One image with every Kolo binary; each Deployment (and the migration Job)
# chooses its command (k8s/base). Build from the repository root:
#
#   docker build -t kolo:dev .
#
# Stage 1 builds with the Debian -dev packages scripts/lib/deps.sh lists
# (minus postgresql-15, curl and libcmocka-dev, which only the tests use:
# KOLO_BUILD_TESTS=OFF leaves tests/ and bench/ unconfigured) and installs
# the programs stripped (install -s: no debug info in the image); stage 2
# has the runtime libraries only and runs as the numeric non-root user
# 10001. tests/k8s checks both package lists against deps.sh and the
# binaries. The release pipeline passes the OCI labels' values:
#
#   docker build --build-arg KOLO_VERSION=0.2.0 \
#     --build-arg KOLO_REVISION="$(git rev-parse HEAD)" \
#     --build-arg KOLO_CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)" -t kolo:0.2.0 .

ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libgrpc-dev protobuf-c-compiler libprotobuf-c-dev \
      libpq-dev libsodium-dev libssl-dev libcurl4-openssl-dev \
      libmicrohttpd-dev libjansson-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# Only the shipped programs configure and compile (no tests, no cmocka).
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKOLO_BUILD_TESTS=OFF \
 && cmake --build /build -j "$(nproc)" --target \
      kolo-identity kolo-groups kolo-ledger kolo-withdrawals kolo-payments kolo-events \
      kolo-gateway kolo-migrate kolo-health kolo-keygen kolo-pii-rotate \
 && install -d /out \
 && install -s -m 0755 -t /out \
      /build/services/identity/kolo-identity \
      /build/services/groups/kolo-groups \
      /build/services/ledger/kolo-ledger \
      /build/services/withdrawals/kolo-withdrawals \
      /build/services/payments/kolo-payments \
      /build/services/events/kolo-events \
      /build/gateway/kolo-gateway \
      /build/tools/migrate/kolo-migrate \
      /build/tools/health/kolo-health \
      /build/tools/keygen/kolo-keygen \
      /build/tools/pii-rotate/kolo-pii-rotate

FROM ${DEBIAN_IMAGE}
# An ARG before the first FROM must be named again to be used here.
ARG DEBIAN_IMAGE
ARG KOLO_VERSION=dev
ARG KOLO_REVISION=unknown
ARG KOLO_CREATED=unknown
ARG KOLO_SOURCE=unknown
LABEL org.opencontainers.image.title="kolo" \
      org.opencontainers.image.description="Kolo group-treasury backend: every service, the gateway and the tools" \
      org.opencontainers.image.version="${KOLO_VERSION}" \
      org.opencontainers.image.revision="${KOLO_REVISION}" \
      org.opencontainers.image.created="${KOLO_CREATED}" \
      org.opencontainers.image.source="${KOLO_SOURCE}" \
      org.opencontainers.image.base.name="${DEBIAN_IMAGE}"
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      libgrpc29 libprotobuf-c1 libpq5 libsodium23 libjansson4 libmicrohttpd12 \
      libcurl4 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --system --gid 10001 kolo \
 && useradd --system --uid 10001 --gid 10001 --no-create-home \
      --home-dir /nonexistent --shell /usr/sbin/nologin kolo
COPY --from=build /out/ /usr/local/bin/
COPY migrations/ /usr/local/share/kolo/migrations/
ENV KOLO_MIGRATIONS_DIR=/usr/local/share/kolo/migrations
# Numeric, so Kubernetes' runAsNonRoot can verify it without /etc/passwd.
USER 10001:10001
EXPOSE 7101 7102 7103 7104 7105 7106 8080 8081 9090
# No default program: every Deployment and the Job set `command`.
CMD ["kolo-migrate", "--help"]
