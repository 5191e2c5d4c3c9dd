#!/usr/bin/env bash
# Run every client harness against a running Berth. Usage: tests/clients/run_all.sh DIR
# (DIR as given to setup.sh). Needs BERTH_URL, BERTH_USER, BERTH_PASSWORD (+ optional
# BERTH_APIKEY, BERTH_ORG, BERTH_ALAUDA_NS, BERTH_NS, BERTH_EMAIL). Exit 1 if any failed.
set -uo pipefail
DIR=$(cd "${1:?usage: run_all.sh DIR}" && pwd)
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export BERTH_CLIENTS_DIR="$DIR"
rc=0; summary=()
for h in cloud_sdk.py cloud_cli.py alauda_client.py registry_client_py.py registry_client_npm.js; do
    echo "################ $h"
    case $h in
        *.py) "$DIR/venv/bin/python" "$HERE/$h" ;;
        *.js) node "$HERE/$h" ;;
    esac
    r=$?; [ $r -eq 0 ] || rc=1
    summary+=("$h: exit $r")
done
echo; printf '%s\n' "${summary[@]}"
exit $rc
