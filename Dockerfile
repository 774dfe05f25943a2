# syntax=docker/dockerfile:1
# Build: install Byline and its server extras into a virtual environment.
FROM python:3.12-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
RUN python -m venv /opt/venv && /opt/venv/bin/pip install '.[server,s3]'

# Run: the virtual environment and the migrations, as an unprivileged user.
FROM python:3.12-slim
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    PORT=8000 \
    DATA_DIR=/data
RUN useradd --system --uid 10001 --no-create-home byline \
    && mkdir /data && chown byline /data
WORKDIR /app
COPY --from=build /opt/venv /opt/venv
COPY migrations ./migrations
USER byline
# The embedded database, the signing key and uploaded media (MEDIA_BACKEND=local) live in
# DATA_DIR: keep it on a volume (`docker run -v byline-data:/data`), or it goes with the
# container.
VOLUME ["/data"]
EXPOSE 8000
# Ready: the database answers and its schema is current (`/readyz`); a load balancer or
# Varnish sends traffic to healthy containers only.
HEALTHCHECK --interval=30s --timeout=3s --start-period=30s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"PORT\"]}/readyz', timeout=2)"
# Migrations first (safe to repeat), then the server: one worker per core unless WORKERS.
CMD ["sh", "-c", "byline migrate && exec byline serve"]
