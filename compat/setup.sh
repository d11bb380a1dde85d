#!/usr/bin/env bash
# Installs / builds the compatibility-suite function servers that use the official StateFun SDKs.
#
#   compat/setup.sh [js|python|go|java|all]...     (default: all)
#
# Idempotent: a language is skipped when its build output exists and a hash of its inputs
# (lock files, sources) matches the one recorded after the last successful build in
# compat/.stamps/<lang>. Set COMPAT_FORCE=1 to rebuild anyway.
#
# Everything installed stays under compat/<lang>/ (git-ignored), except the package managers'
# own download caches (~/.npm, pip's cache, the Go module cache, ~/.m2), which are used as usual.
# Extra Maven arguments can be passed in COMPAT_MAVEN_ARGS (e.g. -Dmaven.repo.local=/tmp/m2).
#
# Exit status is non-zero if any requested language failed; the message says what to do.
set -uo pipefail

COMPAT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
STAMPS="$COMPAT_DIR/.stamps"
mkdir -p "$STAMPS"

log() { printf '[compat-setup] %s\n' "$*"; }
fail() { printf '[compat-setup] ERROR (%s): %s\n' "$1" "$2" >&2; return 1; }

hash_inputs() { # files... -> one sha256 over their names and contents
  local f
  for f in "$@"; do
    [ -f "$f" ] || continue
    printf '%s\n' "${f#"$COMPAT_DIR"/}"
    sha256sum <"$f"
  done | sha256sum | cut -d' ' -f1
}

up_to_date() { # lang hash artifact
  [ "${COMPAT_FORCE:-0}" != 1 ] && [ -e "$3" ] && [ -f "$STAMPS/$1" ] && [ "$(cat "$STAMPS/$1")" = "$2" ]
}

need() { # lang command hint
  command -v "$2" >/dev/null 2>&1 || fail "$1" "'$2' not found on PATH. $3"
}

timed() { # lang command...  (runs the command, prints its duration)
  local lang=$1 start end rc
  shift
  start=$(date +%s%N)
  "$@"
  rc=$?
  end=$(date +%s%N)
  log "$lang: finished in $(((end - start) / 1000000)) ms (exit $rc)"
  return $rc
}

setup_js() {
  local dir="$COMPAT_DIR/js" h
  need js node "Install Node.js >= 20." || return 1
  need js npm "Install npm (ships with Node.js)." || return 1
  h=$(hash_inputs "$dir/package.json" "$dir/package-lock.json")
  if up_to_date js "$h" "$dir/node_modules/apache-flink-statefun/package.json"; then
    log "js: up to date (apache-flink-statefun@3.3.0 in compat/js/node_modules)"
    return 0
  fi
  log "js: npm ci in compat/js (apache-flink-statefun@3.3.0)"
  if ! (cd "$dir" && timed js npm ci --no-audit --no-fund --loglevel=error); then
    fail js "npm ci failed in compat/js. Check that the npm registry is reachable (npm view apache-flink-statefun version) and that package-lock.json matches package.json (regenerate it with 'cd compat/js && npm install')."
    return 1
  fi
  echo "$h" >"$STAMPS/js"
}

setup_python() {
  local dir="$COMPAT_DIR/python" h py="${COMPAT_PYTHON:-python3}"
  need python "$py" "Install Python >= 3.8 with the venv module (or set COMPAT_PYTHON)." || return 1
  if ! "$py" -c 'import sys, venv; sys.exit(0 if sys.version_info >= (3, 8) else 1)' 2>/dev/null; then
    fail python "$py is older than 3.8 or lacks the venv module (Debian: apt-get install python3-venv)."
    return 1
  fi
  h=$(hash_inputs "$dir/requirements.txt")
  if up_to_date python "$h" "$dir/.venv/bin/python"; then
    log "python: up to date (compat/python/.venv)"
    return 0
  fi
  log "python: creating compat/python/.venv and installing requirements.txt (apache-flink-statefun==3.3.0, protobuf==3.20.3, aiohttp)"
  rm -rf "$dir/.venv"
  if ! timed python bash -c '"$1" -m venv "$2/.venv" && "$2/.venv/bin/pip" install --disable-pip-version-check -q -r "$2/requirements.txt"' _ "$py" "$dir"; then
    rm -rf "$dir/.venv"
    fail python "creating the venv or 'pip install -r compat/python/requirements.txt' failed. Check that PyPI is reachable and that the pins in requirements.txt have wheels for $("$py" --version 2>&1)."
    return 1
  fi
  if ! "$dir/.venv/bin/python" -c 'import statefun, aiohttp' 2>/dev/null; then
    fail python "the venv was created but 'import statefun, aiohttp' fails; delete compat/python/.venv and rerun."
    return 1
  fi
  echo "$h" >"$STAMPS/python"
}

setup_go() {
  local dir="$COMPAT_DIR/go" h
  need go go "Install Go >= 1.21." || return 1
  h=$(hash_inputs "$dir/go.mod" "$dir/go.sum" "$dir/main.go")
  if up_to_date go "$h" "$dir/bin/server"; then
    log "go: up to date (compat/go/bin/server)"
    return 0
  fi
  log "go: building compat/go/bin/server (statefun-sdk-go/v3 v3.3.0)"
  mkdir -p "$dir/bin"
  if ! (cd "$dir" && timed go go build -mod=readonly -o bin/server .); then
    fail go "'go build' failed in compat/go. Check that the Go module proxy is reachable (go mod download in compat/go) and that go.sum is complete (go mod tidy)."
    return 1
  fi
  echo "$h" >"$STAMPS/go"
}

setup_java() {
  local dir="$COMPAT_DIR/java" h
  need java java "Install a JDK >= 17." || return 1
  need java mvn "Install Maven >= 3.6." || return 1
  h=$(hash_inputs "$dir/pom.xml" $(find "$dir/src" -type f | sort))
  if up_to_date java "$h" "$dir/target/compat-server.jar"; then
    log "java: up to date (compat/java/target/compat-server.jar)"
    return 0
  fi
  log "java: mvn package in compat/java (org.apache.flink:statefun-sdk-java:3.3.0, shaded into target/compat-server.jar)"
  # shellcheck disable=SC2086
  if ! (cd "$dir" && timed java mvn -B -q -Dstyle.color=never ${COMPAT_MAVEN_ARGS:-} package); then
    fail java "'mvn package' failed in compat/java. Check that Maven Central is reachable (first build downloads the SDK and the Maven plugins) and rerun; 'mvn -B package' without -q shows details."
    return 1
  fi
  echo "$h" >"$STAMPS/java"
}

langs=("$@")
[ ${#langs[@]} -eq 0 ] && langs=(all)
selected=()
for l in "${langs[@]}"; do
  case "$l" in
    all) selected+=(js python go java) ;;
    js | python | go | java) selected+=("$l") ;;
    *)
      echo "usage: compat/setup.sh [js|python|go|java|all]..." >&2
      exit 2
      ;;
  esac
done

failed=()
for l in "${selected[@]}"; do
  if ! "setup_$l"; then failed+=("$l"); fi
done

if [ ${#failed[@]} -gt 0 ]; then
  log "FAILED: ${failed[*]} (see the errors above)"
  exit 1
fi
log "ok: ${selected[*]}"
