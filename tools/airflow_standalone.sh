#!/usr/bin/env bash
# `make airflow`: Airflow 3 standalone (API server + UI, scheduler, DAG
# processor, triggerer; LocalExecutor) on this checkout's dags/, sized for a
# small machine. The Makefile exports AIRFLOW_HOME, the AIRFLOW__* settings and
# CLUES_HOME; this script prepares the metadata database, the pools and the
# clue database, starts standalone, and prints where to log in.
set -euo pipefail

BIN=$(cd "${BIN:-.venv/bin}" && pwd)
export PATH="$BIN:$PATH"  # standalone starts its parts as `airflow ...` commands
PORT=${AIRFLOW__API__PORT:-8080}
LOG="$AIRFLOW_HOME/standalone.log"
PASSWORDS="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated"
mkdir -p "$AIRFLOW_HOME"

if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
    echo "port $PORT on 127.0.0.1 is taken; hint: make airflow AIRFLOW_PORT=8081" >&2
    exit 2
fi

echo "Airflow home: $AIRFLOW_HOME; DAGs: $AIRFLOW__CORE__DAGS_FOLDER"
"$BIN/airflow" db migrate >"$AIRFLOW_HOME/db-migrate.log" 2>&1 ||
    { tail -20 "$AIRFLOW_HOME/db-migrate.log" >&2; exit 1; }
"$BIN/clues" orchestration pools >"$AIRFLOW_HOME/pools.json"
"$BIN/airflow" pools import "$AIRFLOW_HOME/pools.json" >/dev/null
"$BIN/clues" orchestration validate
"$BIN/clues" db upgrade

echo "starting airflow standalone (log: $LOG) ..."
# Started as a job of its own (set -m), so that it keeps its Ctrl-C handling
# (a plain background command of a script ignores SIGINT) and is stopped by
# forwarding SIGINT: standalone then stops its parts before it exits.
set -m
"$BIN/airflow" standalone >"$LOG" 2>&1 &
STANDALONE=$!
set +m
stop() {
    kill -INT "$STANDALONE" 2>/dev/null || true
    for _ in $(seq 1 20); do
        kill -0 "$STANDALONE" 2>/dev/null || break
        sleep 1
    done
    # still running (SIGINT was ignored where this script was started): SIGTERM
    # to its process group, every part of Airflow shuts down on it
    kill -TERM -- -"$STANDALONE" 2>/dev/null || true
    wait "$STANDALONE" 2>/dev/null || true
}
trap 'echo "stopping Airflow ..."; stop; exit 0' INT TERM

up=no
for _ in $(seq 1 240); do
    if ! kill -0 "$STANDALONE" 2>/dev/null; then
        break
    fi
    if [ -s "$PASSWORDS" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then
        up=yes
        break
    fi
    sleep 1
done
if [ "$up" != yes ]; then
    echo "airflow standalone did not come up on 127.0.0.1:$PORT; the end of $LOG:" >&2
    tail -30 "$LOG" >&2
    stop
    exit 1
fi

cat <<MESSAGE

Airflow UI:  http://127.0.0.1:$PORT/
Log in as:   $(tr -d '{}"' <"$PASSWORDS" | sed 's/: */  password: /')
             (users and passwords: $PASSWORDS)
DAGs:        clue_nightly, clue_supervision, clue_weekly_review (new DAGs start paused:
             unpause them in the UI, or: airflow dags unpause clue_nightly)
CLI:         AIRFLOW_HOME=$AIRFLOW_HOME $BIN/airflow dags trigger clue_nightly
Log:         $LOG
Ctrl-C stops Airflow.
MESSAGE
wait "$STANDALONE"
