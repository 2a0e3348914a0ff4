# faynosync: build wheels with the compilers, run from a slim image without them.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/faynosync
COPY pyproject.toml constraints.txt README.md ./
COPY faynosync ./faynosync
RUN /opt/faynosync/bin/pip install --no-cache-dir --disable-pip-version-check \
        -c constraints.txt . \
    && /opt/faynosync/bin/pip uninstall -y pip

FROM python:3.11-slim
LABEL org.opencontainers.image.title="faynosync" \
      org.opencontainers.image.description="Self-hosted update server for desktop applications, wire-compatible with FaynoSync"
RUN useradd --system --uid 10001 --create-home --home-dir /home/faynosync faynosync \
    && mkdir /data && chown faynosync:faynosync /data
COPY --from=build /opt/faynosync /opt/faynosync
ENV PATH=/opt/faynosync/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    FAYNOSYNC_DATA_DIR=/data \
    PORT=9000
USER faynosync
WORKDIR /data
VOLUME ["/data"]
EXPOSE 9000
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '9000'), timeout=4)"
# Without configuration: SQLite and files under /data. `docker run … faynosync migrate` too.
CMD ["faynosync", "serve"]
