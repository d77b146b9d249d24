# Dockerfile -- squawk on Debian 12 slim: a build stage and a small runtime stage.
FROM debian:12-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends \
        gcc make cmake pkg-config librdkafka-dev libzmq3-dev libmsgpack-dev libev-dev \
        libhyperscan-dev libyaml-dev libjansson-dev libmicrohttpd-dev libespeak-ng-dev libpcaudio-dev liblinear-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -DCMAKE_BUILD_TYPE=Release -DSQUAWK_WERROR=OFF -DCMAKE_INSTALL_PREFIX=/usr \
        -DSQUAWK_DATA_DIR=/usr/share/squawk -DSQUAWK_PLUGIN_DIR=/usr/lib/squawk \
        -DSQUAWK_CONFIG_FILE=/etc/squawk/squawk.yml \
    && cmake --build /build -j"$(nproc)" --target squawk invest chips regulatory learned \
    && DESTDIR=/out cmake --install /build

FROM debian:12-slim
RUN apt-get update && apt-get install -y --no-install-recommends \
        librdkafka1 libzmq5 libmsgpackc2 libev4 libhyperscan5 libyaml-0-2 libjansson4 \
        libmicrohttpd12 libespeak-ng1 libpcaudio0 liblinear4 curl ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --no-create-home squawk
COPY --from=build /out/ /
# The compiled-rule cache: without one every start recompiles the rule packs (tens of seconds).
RUN install -d -o squawk -g squawk -m 0700 /var/cache/squawk
ENV SQUAWK_CACHE_DIR=/var/cache/squawk
USER squawk
EXPOSE 5555 5556 9464
HEALTHCHECK --interval=10s --timeout=3s --retries=3 --start-period=120s CMD curl -fsS http://127.0.0.1:9464/healthz || exit 1
ENTRYPOINT ["/usr/bin/squawk"]
CMD ["run", "-c", "/etc/squawk/squawk.yml"]
