# Dockerfile: one agora image for every role (web, migrate, indexd,
# relayd, notifyd, cron), chosen by the command:
#   docker run agora web | migrate | indexd | ... | agora user create ...
# Built by `docker compose build` (docker-compose.yml); README.md, Docker
# mode.

# ---- build: the autotools build, installed into /out --------------------
FROM debian:bookworm-slim AS build
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends \
		autoconf automake pkg-config gcc make libc6-dev libfcgi-dev \
		libpq-dev libsqlite3-dev libhiredis-dev librdkafka-dev \
		libcurl4-openssl-dev libjson-c-dev libjwt-dev libcrypt-dev \
		libunistring-dev \
	&& rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN ./autogen.sh \
	&& ./configure -q --prefix=/usr/local --sysconfdir=/etc \
		--localstatedir=/var --runstatedir=/run \
	&& make -j"$(nproc)" \
	&& make install DESTDIR=/out
# The Debian packages that hold the shared libraries the installed
# programs link: the runtime stage installs exactly those, so a new daemon
# with a new library needs no change here.
RUN find /out/usr/local/bin /out/usr/local/sbin /out/usr/local/libexec \
		-type f -perm -u+x -exec sh -c \
		'head -c 4 "$1" | grep -q ELF && ldd "$1"' sh {} \; \
	| awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u \
	| while read -r f; do \
		dpkg -S "$f" 2>/dev/null || dpkg -S "$(readlink -f "$f")" \
			2>/dev/null || dpkg -S "/usr$f"; \
	done | cut -d: -f1 | sort -u >/out/runtime-packages \
	&& cat /out/runtime-packages

# ---- runtime: shared libraries, lighttpd and the installed tree ---------
# lighttpd-mod-deflate: the lighttpd configuration compresses answers.
FROM debian:bookworm-slim
COPY --from=build /out/runtime-packages /tmp/runtime-packages
RUN apt-get update \
	&& DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
		--no-install-recommends \
		lighttpd lighttpd-mod-deflate curl ca-certificates \
		$(cat /tmp/runtime-packages) \
	&& rm -rf /var/lib/apt/lists/* /tmp/runtime-packages \
	&& useradd --system --uid 10001 --user-group --home-dir /var/lib/agora \
		--create-home --shell /usr/sbin/nologin agora
COPY --from=build /out/usr/local /usr/local
COPY --from=build /out/etc/agora /etc/agora

USER agora
WORKDIR /var/lib/agora
ENV PORT=3000 AGORA_RUNDIR=/tmp/agora-web
EXPOSE 3000
# Liveness of the web role; compose turns it off for the other roles.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
	CMD curl -fsS --max-time 2 "http://127.0.0.1:${PORT}/api/health/live" \
		>/dev/null || exit 1
# `docker stop` sends SIGTERM, on which lighttpd drops the requests in
# flight; SIGINT is its graceful stop (it lets them finish, for at most
# the graceful-shutdown-timeout of its configuration). The daemons and
# `agora cron` treat SIGINT as SIGTERM.
STOPSIGNAL SIGINT
ENTRYPOINT ["/usr/local/libexec/agora/entrypoint"]
CMD ["web"]
