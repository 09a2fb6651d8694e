#!/usr/bin/env bash
# Backing services for local runs and tests: a MongoDB-compatible server and Redis, on loopback,
# with data under the project's own folder. Usage: scripts/services.sh start|stop|status|install
#        scripts/services.sh cluster start|stop|status
#
#   start    reuse what already runs, else start; ends with the lines MONGODB_URI=… and REDIS_URL=…
#   stop     stops only the processes this script started (PIDs recorded under $DATA_DIR/run)
#   status   prints the same two lines for what runs; exit 1 when something is not running
#   install  builds/installs what is missing only (the embedded MongoDB launcher with Maven, Java and
#            Maven and redis-server with apt-get)
#   chromium installs Debian's chromium with apt-get when missing (the console's browser tests)
#   cluster  a local 3-master Redis Cluster (redis-server in cluster mode, loopback, free ports, data
#            under $DATA_DIR/redis-cluster, no persistence): `cluster start` ends with the line
#            REDIS_URL=redis://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3; `cluster stop` stops its
#            nodes by their recorded PIDs and forgets the cluster; `cluster status` prints the line
#
# MONGODB_URI / REDIS_URL set in the environment are used as they are and nothing is started.
# Progress goes to stderr; stdout carries only the URI lines, so `eval "$(scripts/services.sh start)"` works.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DATA_DIR=${SCIM_DATA_DIR:-$ROOT/.data}
RUN_DIR=$DATA_DIR/run
TOOLS_DIR=${SCIM_TOOLS_DIR:-$ROOT/.tools}

log() { printf '[services] %s\n' "$*" >&2; }
die() { printf '[services] error: %s\n' "$*" >&2; exit 1; }

free_port() {
  node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

port_open() { # port
  node -e 'const c=require("net").connect(+process.argv[1],"127.0.0.1");c.on("connect",()=>process.exit(0));c.on("error",()=>process.exit(1))' "$1"
}

# A recorded PID counts only while it is alive and still runs the binary we started
# (PIDs are reused; we never signal a process we did not start).
alive() { # name
  local pidf=$RUN_DIR/$1.pid exe
  [[ -f $pidf ]] || return 1
  local pid; pid=$(cat "$pidf")
  [[ -d /proc/$pid ]] || return 1
  exe=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
  [[ $exe == *"$(cat "$RUN_DIR/$1.cmd" 2>/dev/null)"* ]]
}

wait_port() { # name port seconds
  local i
  for ((i = 0; i < $3 * 10; i++)); do
    port_open "$2" && return 0
    alive "$1" || die "$1 exited during start-up; see $DATA_DIR/$1.log"
    sleep 0.1
  done
  die "$1 did not listen on 127.0.0.1:$2 within $3 s; see $DATA_DIR/$1.log"
}

spawn() { # name identity binary args... (identity: a string the process's command line keeps, e.g. redis
  # rewrites its title but keeps its binary's path; the JVM keeps the jar's path)
  local name=$1 identity=$2; shift 2
  mkdir -p "$RUN_DIR"
  # setsid: the service outlives the shell that started it and gets no terminal signals.
  # 9>&-: the service must not inherit the start lock.
  setsid "$@" >>"$DATA_DIR/$name.log" 2>&1 </dev/null 9>&- &
  local pid=$! i
  echo "$pid" >"$RUN_DIR/$name.pid"
  echo "$identity" >"$RUN_DIR/$name.cmd"
  # Until the forked shell has exec'd the service its command line is this script's, and alive()
  # would call a busy machine's slow start an exit: wait (at most 10 s) for the exec or the exit.
  for ((i = 0; i < 200; i++)); do
    if alive "$name" || [[ ! -d /proc/$pid ]]; then break; fi
    sleep 0.05
  done
}

# ---- MongoDB-compatible server ---------------------------------------------------------------
# mongo-java-server behind our launcher (tools/embedded-mongo). Backend: SCIM_EMBEDDED_MONGO_BACKEND,
# `h2` (default: an MVStore file under $DATA_DIR/mongo, kept across restarts) or `memory` (tests).
LAUNCHER_DIR=$ROOT/tools/embedded-mongo
# The JVM's options (SCIM_EMBEDDED_MONGO_JAVA_OPTS replaces them: a benchmark's A/B, or a heap limit).
# The throughput collector with a young generation half the heap, and an initial heap of an eighth
# of the machine's memory: most of what the server allocates (decoded pages, wire buffers) dies
# young. The serial collector with the JVM's default sizes spent 31% of a 20,000-user import in
# collections (1-2 s full pauses). G1 with a 20 ms pause goal (-XX:+UseG1GC -XX:MaxGCPauseMillis=20)
# kept pauses under 50 ms while one tenant imported 50,000 users, but at a million users it fell
# behind: mixed pauses of 1-4 s, then a full collection of 10-13 s, and the rule change's run
# aborted in both tries; this collector finished it in 114.6 and 119.8 s (docs/benchmarks.md, 2026-12-07).
DEFAULT_MONGO_JAVA_OPTS="-XX:+UseParallelGC -XX:NewRatio=1 -XX:InitialRAMPercentage=12.5"

launcher_jar() { # the jar for the launcher's current sources (rebuilt when they change)
  local hash
  hash=$(cd "$LAUNCHER_DIR" && find pom.xml src -type f | LC_ALL=C sort | xargs sha256sum | sha256sum | cut -c1-12)
  echo "$TOOLS_DIR/embedded-mongo-$hash.jar"
}

install_java() {
  command -v java >/dev/null && command -v mvn >/dev/null && return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing Java 17 and Maven with apt-get"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jdk-headless maven; } >&2 ||
      die "apt-get install openjdk-17-jdk-headless maven failed"
  else
    die "the embedded MongoDB needs Java 17 and Maven: run 'sudo apt-get install openjdk-17-jdk-headless maven' (or set MONGODB_URI)"
  fi
}

install_mongo() {
  local jar; jar=$(launcher_jar)
  [[ -f $jar ]] && return 0
  install_java
  log "building the embedded MongoDB launcher (mongo-java-server from Maven Central; seconds when cached)"
  local build=$TOOLS_DIR/build/embedded-mongo
  rm -rf "$build" && mkdir -p "$build" "$TOOLS_DIR"
  cp -r "$LAUNCHER_DIR/pom.xml" "$LAUNCHER_DIR/src" "$build/"
  (cd "$build" && mvn -q -B package) >&2 || die "building the embedded MongoDB launcher failed (mvn package in $build)"
  mv "$build/target/embedded-mongo.jar" "$jar.tmp" && mv "$jar.tmp" "$jar"
  rm -rf "$build"
  # Jars of earlier launcher sources (a running server keeps its open file; new starts use this one).
  find "$TOOLS_DIR" -maxdepth 1 -name 'embedded-mongo-*.jar' ! -path "$jar" -delete
}

start_mongo() {
  if [[ -n ${MONGODB_URI:-} ]]; then echo "$MONGODB_URI"; return; fi
  if alive mongo; then
    echo "mongodb://127.0.0.1:$(cat "$RUN_DIR/mongo.port")/scim"
    return
  fi
  local port backend=${SCIM_EMBEDDED_MONGO_BACKEND:-h2}
  mkdir -p "$DATA_DIR/mongo" "$RUN_DIR"
  rm -f "$RUN_DIR/mongo.port"
  if command -v mongod >/dev/null; then
    port=$(free_port)
    log "starting mongod on 127.0.0.1:$port"
    spawn mongo "$(command -v mongod)" "$(command -v mongod)" --bind_ip 127.0.0.1 --port "$port" --dbpath "$DATA_DIR/mongo"
    echo "$port" >"$RUN_DIR/mongo.port"
  else
    install_mongo
    local args=(--backend "$backend" --host 127.0.0.1 --port 0 --port-file "$RUN_DIR/mongo.port")
    case "$backend" in
      h2) args+=(--file "$DATA_DIR/mongo/scim.mv.db") ;;
      memory) ;;
      *) die "SCIM_EMBEDDED_MONGO_BACKEND must be h2 or memory, not '$backend'" ;;
    esac
    log "starting the embedded MongoDB (mongo-java-server, $backend backend) on 127.0.0.1"
    # The launcher binds a free port itself and writes it to mongo.port once it accepts connections.
    local java_opts
    read -r -a java_opts <<<"${SCIM_EMBEDDED_MONGO_JAVA_OPTS:-$DEFAULT_MONGO_JAVA_OPTS}"
    spawn mongo "$(launcher_jar)" "$(command -v java)" "${java_opts[@]}" -Xss1m -jar "$(launcher_jar)" "${args[@]}"
    local i
    for ((i = 0; i < 600; i++)); do
      [[ -s $RUN_DIR/mongo.port ]] && break
      alive mongo || die "the embedded MongoDB exited during start-up; see $DATA_DIR/mongo.log"
      sleep 0.1
    done
    [[ -s $RUN_DIR/mongo.port ]] || die "the embedded MongoDB did not start within 60 s; see $DATA_DIR/mongo.log"
  fi
  port=$(cat "$RUN_DIR/mongo.port")
  wait_port mongo "$port" 60
  echo "mongodb://127.0.0.1:$port/scim"
}

# ---- Redis -------------------------------------------------------------------------------------
install_redis() {
  command -v redis-server >/dev/null && return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing redis-server with apt-get"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } >&2 ||
      die "apt-get install redis-server failed"
  else
    die "redis-server is not installed: run 'sudo apt-get install redis-server' (or set REDIS_URL)"
  fi
}

start_redis() {
  if [[ -n ${REDIS_URL:-} ]]; then echo "$REDIS_URL"; return; fi
  if alive redis; then
    echo "redis://127.0.0.1:$(cat "$RUN_DIR/redis.port")"
    return
  fi
  install_redis
  local port; port=$(free_port)
  mkdir -p "$DATA_DIR/redis"
  log "starting redis-server on 127.0.0.1:$port"
  # No persistence: the durable record of pending work is in MongoDB (DESIGN.md §5).
  spawn redis "$(command -v redis-server)" "$(command -v redis-server)" --bind 127.0.0.1 --port "$port" --dir "$DATA_DIR/redis" \
    --save "" --appendonly no --protected-mode yes --daemonize no
  echo "$port" >"$RUN_DIR/redis.port"
  wait_port redis "$port" 30
  echo "redis://127.0.0.1:$port"
}

stop_one() { # name
  if alive "$1"; then
    local pid; pid=$(cat "$RUN_DIR/$1.pid")
    log "stopping $1 (pid $pid)"
    kill "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 100; i++)); do [[ -d /proc/$pid ]] || break; sleep 0.1; done
    [[ -d /proc/$pid ]] && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$RUN_DIR/$1.pid" "$RUN_DIR/$1.cmd" "$RUN_DIR/$1.port"
}

# ---- Redis Cluster (3 masters, no replicas) ------------------------------------------------------
# For tests and trials of the cluster code path: every key the product uses must sit in one hash
# slot per operation (BullMQ's keys share the `{QUEUE_PREFIX}` hash tag). Each node gets a free
# client port and a free cluster-bus port (the default bus port, port + 10000, may not exist).
CLUSTER_NODES=3
CLUSTER_DIR=$DATA_DIR/redis-cluster

cluster_url() {
  local i hosts=()
  for ((i = 1; i <= CLUSTER_NODES; i++)); do hosts+=("127.0.0.1:$(cat "$RUN_DIR/cluster-$i.port")"); done
  local IFS=,
  echo "redis://${hosts[*]}"
}

cluster_alive() {
  local i
  for ((i = 1; i <= CLUSTER_NODES; i++)); do alive "cluster-$i" || return 1; done
  [[ -f $RUN_DIR/cluster.formed ]]
}

cluster_stop() {
  local i
  for ((i = 1; i <= CLUSTER_NODES; i++)); do stop_one "cluster-$i"; done
  # A cluster's identity lives in nodes.conf: a later start on other ports forms a new one.
  rm -rf "$CLUSTER_DIR" "$RUN_DIR/cluster.formed"
}

cluster_start() {
  if cluster_alive; then cluster_url; return; fi
  install_redis
  cluster_stop # what is left of a half-started cluster
  local i port bus endpoints=()
  for ((i = 1; i <= CLUSTER_NODES; i++)); do
    port=$(free_port)
    bus=$(free_port)
    mkdir -p "$CLUSTER_DIR/node-$i"
    log "starting Redis Cluster node $i on 127.0.0.1:$port (bus $bus)"
    spawn "cluster-$i" "$(command -v redis-server)" "$(command -v redis-server)" --bind 127.0.0.1 --port "$port" \
      --cluster-enabled yes --cluster-port "$bus" --cluster-config-file "$CLUSTER_DIR/node-$i/nodes.conf" \
      --cluster-node-timeout 5000 --dir "$CLUSTER_DIR/node-$i" --save "" --appendonly no \
      --maxmemory-policy noeviction --protected-mode yes --daemonize no
    echo "$port" >"$RUN_DIR/cluster-$i.port"
    endpoints+=("127.0.0.1:$port")
  done
  for ((i = 1; i <= CLUSTER_NODES; i++)); do wait_port "cluster-$i" "$(cat "$RUN_DIR/cluster-$i.port")" 30; done
  log "forming the cluster (redis-cli --cluster create)"
  redis-cli --cluster create "${endpoints[@]}" --cluster-replicas 0 --cluster-yes >>"$DATA_DIR/cluster-create.log" 2>&1 ||
    die "redis-cli --cluster create failed; see $DATA_DIR/cluster-create.log"
  # Every node must agree that all 16384 slots are served before a client is handed the URL.
  local ok
  for ((i = 0; i < 300; i++)); do
    ok=1
    for ((n = 1; n <= CLUSTER_NODES; n++)); do
      redis-cli -p "$(cat "$RUN_DIR/cluster-$n.port")" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || ok=0
    done
    [[ $ok == 1 ]] && break
    sleep 0.1
  done
  [[ $ok == 1 ]] || die "the Redis Cluster did not reach cluster_state:ok within 30 s"
  touch "$RUN_DIR/cluster.formed"
  cluster_url
}

# ---- Chromium (the console's browser tests) -----------------------------------------------------
install_chromium() {
  command -v chromium >/dev/null && return 0
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    log "installing chromium with apt-get (the console's browser tests; a minute or two)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >&2 ||
      die "apt-get install chromium failed"
  else
    die "the console's browser tests need chromium: run 'sudo apt-get install chromium' (or set CHROMIUM_PATH)"
  fi
}

mkdir -p "$DATA_DIR"
cmd=${1:-}
case "$cmd" in
  start)
    # One start at a time (the test runner and `npm start` may race).
    exec 9>"$DATA_DIR/.services.lock"
    flock 9
    mongo_uri=$(start_mongo)
    redis_url=$(start_redis)
    echo "MONGODB_URI=$mongo_uri"
    echo "REDIS_URL=$redis_url"
    ;;
  stop)
    stop_one mongo
    stop_one redis
    ;;
  status)
    ok=0
    if [[ -n ${MONGODB_URI:-} ]]; then echo "MONGODB_URI=$MONGODB_URI"
    elif alive mongo; then echo "MONGODB_URI=mongodb://127.0.0.1:$(cat "$RUN_DIR/mongo.port")/scim"
    else log "MongoDB-compatible server: not running"; ok=1; fi
    if [[ -n ${REDIS_URL:-} ]]; then echo "REDIS_URL=$REDIS_URL"
    elif alive redis; then echo "REDIS_URL=redis://127.0.0.1:$(cat "$RUN_DIR/redis.port")"
    else log "redis: not running"; ok=1; fi
    exit $ok
    ;;
  install)
    [[ -n ${MONGODB_URI:-} ]] || command -v mongod >/dev/null || install_mongo
    [[ -n ${REDIS_URL:-} ]] || install_redis
    ;;
  chromium)
    install_chromium
    ;;
  cluster)
    case "${2:-}" in
      start)
        exec 9>"$DATA_DIR/.services.lock"
        flock 9
        echo "REDIS_URL=$(cluster_start)"
        ;;
      stop) cluster_stop ;;
      status)
        if cluster_alive; then echo "REDIS_URL=$(cluster_url)"; else log "redis cluster: not running"; exit 1; fi
        ;;
      *) echo "usage: $0 cluster start|stop|status" >&2; exit 2 ;;
    esac
    ;;
  *)
    echo "usage: $0 start|stop|status|install|chromium|cluster start|stop|status" >&2
    exit 2
    ;;
esac
