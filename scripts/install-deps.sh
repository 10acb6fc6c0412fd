#!/usr/bin/env bash
# Installs what `make up` (and, with --test, `make test`) needs on Debian or Ubuntu.
# Safe to run again: it installs only what is missing and rebuilds the venv only when
# worker/pyproject.toml changed. Runs as root, or as a user with sudo.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)

# Run a command as root: directly when we are root (where sudo may not even exist), else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    else
        sudo "$@"
    fi
}

packages=(wordpress wordpress-theme-twentytwentythree php-cli php-mysql php-xml php-curl php-gd
          php-mbstring php-intl php-zip mariadb-server mariadb-client python3 python3-venv)
if [ "${1:-}" = "--test" ]; then
    packages+=(phpunit chromium chromium-driver docker-compose redis-server shellcheck gettext)
    # npm fetches newer WordPress cores and PHP builds for the plugin suite; Debian's if none is here.
    command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done

policy=/usr/sbin/policy-rc.d
policy_ours=""
# Removes the policy-rc.d this script wrote, and only that one, however the script ends.
remove_our_policy() {
    if [ -n "$policy_ours" ]; then
        as_root rm -f "$policy"
    fi
}

if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing: ${missing[*]}"
    # dpkg would start Apache on port 80 and MariaDB as system services; we start what we
    # need ourselves, so keep dpkg from starting anything while it installs. A policy-rc.d
    # that was already there is the machine's own: it is left exactly as it is.
    if [ ! -e "$policy" ]; then
        trap remove_our_policy EXIT
        policy_ours=1
        printf '#!/bin/sh\nexit 101\n' | as_root tee "$policy" >/dev/null
        as_root chmod +x "$policy"
    fi
    as_root apt-get update -q
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

venv="$root/.venv"
stamp="$venv/.installed"
want=$(sha256sum < "$root/worker/pyproject.toml" | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "Installing the worker's Python environment in .venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q -e "$root/worker[test]"
    echo "$want" > "$stamp"
fi
