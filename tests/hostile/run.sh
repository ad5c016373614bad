#!/usr/bin/env bash
# The hostile suite of issue 11 against a real `teletop serve`:
#   tests/hostile/run.sh BINARY     e.g. tests/hostile/run.sh .build/debug/teletop
# Makes (or reuses) the venv .hostile-venv at the repo's root with the pinned
# packages of requirements.txt, then runs pytest on tests/hostile with the
# binary in $TELETOP_BIN. The binary needs its resource bundle
# (teletop_TeletopServer.resources) beside it, as SwiftPM leaves it.
# Exit status: pytest's (0 all passed). Bounded: about 5 minutes on a 2-core
# machine with a debug build; a hard stop at 10 minutes.
set -euo pipefail

if [[ $# -ne 1 ]]; then
    echo "usage: tests/hostile/run.sh BINARY" >&2
    exit 64
fi
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="$(realpath "$1")"
if [[ ! -x "$bin" ]]; then
    echo "run.sh: $1 is not an executable file" >&2
    exit 64
fi

venv="$root/.hostile-venv"
python="${PYTHON:-python3}"
stamp="$venv/.requirements.txt"
if [[ ! -x "$venv/bin/python" ]] || ! cmp -s "$here/requirements.txt" "$stamp"; then
    echo "run.sh: installing the suite's packages into $venv"
    if ! "$python" -m venv "$venv" 2>/dev/null; then
        # Debian's python3 needs python3-venv for `-m venv`.
        if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
            apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv >/dev/null
            rm -rf "$venv"
            "$python" -m venv "$venv"
        else
            echo "run.sh: '$python -m venv' does not work (install python3-venv)" >&2
            exit 2
        fi
    fi
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    cp "$here/requirements.txt" "$stamp"
fi

export TELETOP_BIN="$bin" PYTHONDONTWRITEBYTECODE=1
cd "$here"
# SIGINT first, so pytest still stops every server it started.
exec timeout --signal=INT --kill-after=30 600 "$venv/bin/python" -m pytest
