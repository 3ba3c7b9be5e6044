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

# Prosody for the chat tests: each test file starts a private instance on
# loopback ports with a throwaway CA, archives in SQLite on /dev/shm
# (test/support/prosody.ts). Fail early and clearly when it is missing.
command -v prosody >/dev/null || { echo "prosody is not installed (Debian: prosody)" >&2; exit 1; }

npm test
