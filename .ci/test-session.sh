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

npm test
