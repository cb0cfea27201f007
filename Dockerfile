# SPDX-License-Identifier: MIT
# Multi-stage build of the La Factoria gateway. BASE must be a Debian 12 (bookworm) image.
ARG BASE=debian:bookworm-slim

FROM ${BASE} AS build
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        build-essential cmake pkg-config libh2o-evloop-dev libssl-dev libcurl4-openssl-dev libpq-dev \
        libjansson-dev ca-certificates && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY CMakeLists.txt ./
COPY cmake cmake
COPY core core
COPY plugins plugins
COPY providers providers
COPY scorers scorers
COPY config config
COPY migrations migrations
COPY web web
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DLF_BUILD_TESTS=OFF -DCMAKE_INSTALL_PREFIX=/opt/lafactoria \
    && cmake --build /build -j"$(nproc)" && cmake --install /build

FROM ${BASE}
RUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
        libh2o-evloop0.13 libcurl4 libpq5 libjansson4 libssl3 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /var/lib/lafactoria --create-home --shell /usr/sbin/nologin lafactoria
COPY --from=build /opt/lafactoria /opt/lafactoria
ENV LA_FACTORIA_HOME=/opt/lafactoria/share/lafactoria \
    LA_FACTORIA_CONFIG=/opt/lafactoria/share/lafactoria/config/lafactoria.json \
    LA_FACTORIA_PLUGIN_DIR=/opt/lafactoria/lib/lafactoria \
    LA_FACTORIA_JOURNAL_DIR=/var/lib/lafactoria/journal \
    PORT=8080
WORKDIR /var/lib/lafactoria
USER lafactoria
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/health || exit 1
ENTRYPOINT ["/opt/lafactoria/bin/lafactoria"]
CMD ["serve"]
