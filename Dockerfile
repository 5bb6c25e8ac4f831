# campusgate: one image for the central workers, the web service and a gate agent.
#   docker build -t campusgate:0.1.0 .
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Shared libraries the code readers load: zbar for pyzbar, GL/GLib for OpenCV; pg_dump and
# pg_restore (15, as the postgres:15 service) for `campusgate backup` and `restore`.
RUN apt-get update \
    && apt-get install -y --no-install-recommends libzbar0 libgl1 libglib2.0-0 postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /opt/campusgate
COPY pyproject.toml README.md ./
COPY schemas ./schemas
COPY kernel ./kernel
COPY services ./services
COPY gateway ./gateway
COPY devices ./devices
RUN pip install ".[vision]" && campusgate --help > /dev/null

# Never run as root; dialout and video let a gate agent open serial ports and cameras.
RUN groupadd --system --gid 10001 campusgate \
    && useradd --system --uid 10001 --gid campusgate --groups dialout,video \
       --home-dir /var/lib/campusgate --create-home --shell /usr/sbin/nologin campusgate \
    && install -d -o campusgate -g campusgate -m 0700 /keys /reports /backups
# A new named volume takes the owner of the directory it is mounted on, so the reports
# volume is the service user's (the gate's outbox lives in its home, same reason); the
# keys and backups folders are bind mounts that `deploy init --owner 10001` hands over.
USER campusgate
WORKDIR /var/lib/campusgate

CMD ["campusgate", "--help"]
