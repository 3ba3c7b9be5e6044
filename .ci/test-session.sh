#!/usr/bin/env bash
# Runs inside a private D-Bus session (see .ci/run): start the services the
# tests use, then the README's test command.
set -euo pipefail
cd "$(dirname "$0")/.."

# GNOME Keyring's Secret Service, unlocked, with its files in a throwaway home.
keyring_home=$(mktemp -d)
export XDG_RUNTIME_DIR=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
printf %s "ci-keyring-password" | HOME="$keyring_home" gnome-keyring-daemon --unlock --components=secrets >/dev/null
for _ in $(seq 50); do
  if dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
    org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; then
    break
  fi
  sleep 0.1
done

# PostgreSQL for the multi-node vault tests: a private cluster run by the
# unprivileged postgres user, on a loopback port.
pg_bin=/usr/lib/postgresql/15/bin
pg_dir=$(mktemp -d)
chown postgres "$pg_dir"
runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" \
  -o "-c listen_addresses=127.0.0.1 -c port=55432 -c unix_socket_directories=$pg_dir" -w start >/dev/null
export CAIRN_TEST_PG_URL=postgres://postgres@127.0.0.1:55432/postgres
trap 'runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast stop >/dev/null || true' EXIT

# moto's S3 server for the S3 destination tests. Debian 12 has no python3-moto
# and PyPI is out of reach here; the machine image ships moto 5.2.1 in its
# pyenv Python. Find a Python that has it, or fail saying so.
if [ -z "${CAIRN_TEST_MOTO_PYTHON:-}" ]; then
  for candidate in python3 /root/.pyenv/shims/python3 /root/.pyenv/versions/*/bin/python3; do
    if command -v "$candidate" >/dev/null 2>&1 && "$candidate" -c 'import moto, werkzeug' 2>/dev/null; then
      export CAIRN_TEST_MOTO_PYTHON=$candidate
      break
    fi
  done
fi
if [ -z "${CAIRN_TEST_MOTO_PYTHON:-}" ]; then
  echo "No Python with moto (the S3 destination tests need moto 5's S3 server; set CAIRN_TEST_MOTO_PYTHON)." >&2
  exit 1
fi
# Prosody for the chat tests: each test file starts a private instance on
# loopback ports with a throwaway CA, archives in SQLite on /dev/shm
# (test/support/prosody.ts). Fail early and clearly when it is missing.
command -v prosody >/dev/null || { echo "prosody is not installed (Debian: prosody)" >&2; exit 1; }

npm test
