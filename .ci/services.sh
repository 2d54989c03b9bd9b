#!/usr/bin/env bash
# Install (from Debian's packages) and start the Postgres and Redis that staging tests use.
# Idempotent: safe to run on a machine that already has them running.
set -euo pipefail
need=()
command -v pg_ctlcluster >/dev/null || need+=(postgresql)
command -v redis-server >/dev/null || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
version=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$version main"; then
  pg_createcluster "$version" main >/dev/null
fi
# Every test server runs a web process, two workers of 8 threads and beat: allow plenty.
conf="/etc/postgresql/$version/main/postgresql.conf"
if ! grep -q "^max_connections = 500" "$conf"; then
  echo "max_connections = 500" >> "$conf"
  pg_ctlcluster "$version" main restart 2>/dev/null || true
fi
pg_ctlcluster "$version" main start 2>/dev/null || true
for _ in $(seq 50); do pg_isready -q -h 127.0.0.1 && break; sleep 0.2; done
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='devserver'\"" | grep -q 1 ||
  su postgres -c "psql -qc \"CREATE ROLE devserver LOGIN SUPERUSER PASSWORD 'devserver'\""
su postgres -c "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='devserver'\"" | grep -q 1 ||
  su postgres -c "createdb -O devserver devserver"
# Every staging test server gets a Redis database of its own, and a suite starts more than
# Redis's default 16: a server that shared one with a live server lost its wake-ups to the
# other's workers. A Redis started with fewer is restarted (nothing else uses it here).
databases=$(redis-cli -h 127.0.0.1 config get databases 2>/dev/null | tail -1 || true)
if [ -n "$databases" ] && [ "$databases" -lt 256 ]; then
  redis-cli -h 127.0.0.1 shutdown nosave >/dev/null 2>&1 || true
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 || break; sleep 0.1; done
fi
if ! redis-cli -h 127.0.0.1 ping >/dev/null 2>&1; then
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --databases 256 >/dev/null
  for _ in $(seq 50); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi
echo "postgres $version and redis are up"
