#!/usr/bin/env bash
# Makes the plugin's translation template from its PHP and JavaScript with GNU xgettext (package gettext).
#   scripts/make-pot.sh            rewrites wp-plugin/languages/automationtools-ai.pot
#   scripts/make-pot.sh OUT.pot    writes it elsewhere (the deployment suite compares the two)
# The header carries no creation date, so the file changes only when a string does.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
plugin="$root/wp-plugin"
out=${1:-$plugin/languages/automationtools-ai.pot}
version=$(sed -n 's/^ \* Version: *//p' "$plugin/automationtools-ai.php")

cd "$plugin"
mapfile -t files < <(find assets inc automationtools-ai.php uninstall.php \( -name '*.php' -o -name '*.js' \) -type f | LC_ALL=C sort)

tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
xgettext --from-code=UTF-8 --add-comments=translators: --force-po --no-wrap \
    --keyword=__ --keyword=_e --keyword=esc_html__ --keyword=esc_html_e --keyword=esc_attr__ --keyword=esc_attr_e \
    --keyword=_n:1,2 --keyword=_x:1,2c --keyword=_nx:1,2,4c --keyword=esc_html_x:1,2c --keyword=esc_attr_x:1,2c \
    --keyword=_n_noop:1,2 --package-name=AutomationTools.AI --package-version="$version" \
    --output="$tmp" "${files[@]}"

{
    echo "# Copyright (C) AutomationTools.AI"
    echo "# This file is distributed under the same license as the AutomationTools.AI plugin (GPLv2 or later)."
    echo "# Made by scripts/make-pot.sh with GNU xgettext."
    # xgettext's own header comments (the first lines starting with '#') and its creation date are left out.
    sed -e '1,/^$/{/^#/d}' -e '/^"POT-Creation-Date:/d' \
        -e 's/^"Content-Type: text\/plain; charset=CHARSET\\n"$/"Content-Type: text\/plain; charset=UTF-8\\n"/' \
        -e 's/^"Plural-Forms: nplurals=INTEGER; plural=EXPRESSION;\\n"$/"Plural-Forms: nplurals=2; plural=(n != 1);\\n"/' \
        -e 's/^"Language: \\n"$/"Language: \\n"\n"X-Domain: automationtools-ai\\n"/' \
        "$tmp"
} > "$out"
