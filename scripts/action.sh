#!/usr/bin/env bash
# The GitHub Action's logic (action.yml): install dbaudit from the action's own checkout into a fresh
# virtual environment, run the gate, leave its result in the job summary, exit with dbaudit's code.
#
# Reads GITHUB_ACTION_PATH (the action's checkout), RUNNER_TEMP, GITHUB_STEP_SUMMARY and GITHUB_OUTPUT as
# GitHub sets them, and the DBAUDIT_ACTION_* inputs. DBAUDIT_ACTION_VENV_ARGS and DBAUDIT_ACTION_PIP_ARGS add
# arguments to `python -m venv` and `pip install` (an offline runner: --system-site-packages and
# --no-build-isolation --no-index).
set -euo pipefail

action_path="${GITHUB_ACTION_PATH:?GITHUB_ACTION_PATH is not set: run this script from action.yml}"
command="${DBAUDIT_ACTION_COMMAND:-check}"
case "$command" in
  check | diff) ;;
  *) echo "dbaudit action: command must be check or diff, not '$command'" >&2; exit 2 ;;
esac

venv="${RUNNER_TEMP:-$(mktemp -d)}/dbaudit-venv"
# shellcheck disable=SC2086  # the extra arguments are words
"${DBAUDIT_ACTION_PYTHON:-python3}" -m venv ${DBAUDIT_ACTION_VENV_ARGS:-} "$venv"
# shellcheck disable=SC2086
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check ${DBAUDIT_ACTION_PIP_ARGS:-} "$action_path"

args=("$command")
if [ -n "${DBAUDIT_ACTION_FAIL_UNDER:-}" ]; then
  args+=(--fail-under "$DBAUDIT_ACTION_FAIL_UNDER")
fi
if [ -n "${DBAUDIT_ACTION_ARGS:-}" ]; then
  read -r -a extra <<<"$DBAUDIT_ACTION_ARGS"
  args+=("${extra[@]}")
fi
if [ -n "${DBAUDIT_ACTION_URL:-}" ]; then
  export DBAUDIT_URL="$DBAUDIT_ACTION_URL"
fi

# dbaudit appends its Markdown result to $GITHUB_STEP_SUMMARY itself when GITHUB_ACTIONS=true
export GITHUB_ACTIONS=true
status=0
"$venv/bin/dbaudit" "${args[@]}" || status=$?
if [ "$status" -ge 2 ] && [ -n "${GITHUB_STEP_SUMMARY:-}" ]; then
  printf '## dbaudit could not run\n\n`dbaudit %s` exited with %s: see the step log.\n' "$command" "$status" \
    >>"$GITHUB_STEP_SUMMARY"
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "exit-code=$status" >>"$GITHUB_OUTPUT"
fi
exit "$status"
