# One image with every Kolo binary; each Deployment (and the migration Job)
# chooses its command (k8s/base). Build from the repository root:
#
#   docker build -t kolo:dev .
#
# Stage 1 builds with the Debian -dev packages scripts/lib/deps.sh lists
# (minus postgresql-15 and curl, which only the tests use); stage 2 has the
# runtime libraries only and runs as the numeric non-root user 10001.
# tests/k8s checks both package lists against deps.sh and the binaries.

ARG DEBIAN_IMAGE=debian:bookworm-slim

FROM ${DEBIAN_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake pkg-config \
      libgrpc-dev protobuf-c-compiler libprotobuf-c-dev \
      libpq-dev libsodium-dev libssl-dev libcurl4-openssl-dev \
      libcmocka-dev libmicrohttpd-dev libjansson-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# The whole tree configures (tests/ and bench/ are part of the one build);
# only the shipped programs are compiled.
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=RelWithDebInfo \
 && cmake --build /build -j "$(nproc)" --target \
      kolo-identity kolo-groups kolo-ledger kolo-withdrawals kolo-payments kolo-events \
      kolo-gateway kolo-migrate kolo-health kolo-keygen kolo-pii-rotate \
 && install -d /out \
 && install -m 0755 -t /out \
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
EXPOSE 7101 7102 7103 7104 7105 8080
# No default program: every Deployment and the Job set `command`.
CMD ["kolo-migrate", "--help"]
