#!/bin/sh
# Health check of the MariaDB container in Kolla images built by lokictl.
#
# kolla-ansible runs: healthcheck.sh --defaults-file /etc/mysql/healthcheck.cnf --connect --galera_online
#
# Checks (each given as an option; --connect when none is given):
#   --connect             the server answers a query over the local socket
#   --galera_online       Galera is ready and the node is Synced (or Donor/Desynced while wsrep_desync is on)
#   --innodb_initialized  the InnoDB engine is available
# --defaults-file FILE is handed to the mariadb client (user and password of the monitor account).
# Exit status: 0 healthy, 1 unhealthy, 2 usage error.

set -u

defaults=""
checks=""

usage() {
    sed -n '2,12s/^# \{0,1\}//p' "$0"
}

while [ $# -gt 0 ]; do
    case "$1" in
        --defaults-file=*) defaults=${1#*=} ;;
        --defaults-file)
            [ $# -ge 2 ] || { echo "healthcheck.sh: --defaults-file needs a file" >&2; exit 2; }
            defaults=$2
            shift
            ;;
        --connect | --galera_online | --innodb_initialized) checks="$checks ${1#--}" ;;
        -h | --help) usage; exit 0 ;;
        *) echo "healthcheck.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ -n "$checks" ] || checks=connect

# Print the value one SQL statement returns (empty when it returns no row).
value() {
    if [ -n "$defaults" ]; then
        mariadb --defaults-file="$defaults" --no-auto-rehash --batch --skip-column-names -e "$1" 2>&1
    else
        mariadb --no-auto-rehash --batch --skip-column-names -e "$1" 2>&1
    fi
}

status() {
    value "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = '$1'"
}

check_connect() {
    out=$(value "SELECT 1") || { echo "connect: $out"; return 1; }
    [ "$out" = 1 ] || { echo "connect: unexpected answer '$out'"; return 1; }
    echo "connect: ok"
}

check_galera_online() {
    ready=$(status WSREP_READY) || { echo "galera_online: $ready"; return 1; }
    [ "$ready" = ON ] || { echo "galera_online: wsrep_ready is '${ready:-unset}'"; return 1; }
    state=$(status WSREP_LOCAL_STATE) || { echo "galera_online: $state"; return 1; }
    case "$state" in
        4) echo "galera_online: synced" ;;
        2)
            desync=$(value "SELECT @@GLOBAL.wsrep_desync") || { echo "galera_online: $desync"; return 1; }
            [ "$desync" = 1 ] || { echo "galera_online: donor without wsrep_desync"; return 1; }
            echo "galera_online: desynced on purpose"
            ;;
        *) echo "galera_online: wsrep_local_state is '${state:-unset}'"; return 1 ;;
    esac
}

check_innodb_initialized() {
    support=$(value "SELECT SUPPORT FROM information_schema.ENGINES WHERE ENGINE = 'InnoDB'") || {
        echo "innodb_initialized: $support"
        return 1
    }
    case "$support" in
        YES | DEFAULT) echo "innodb_initialized: ok" ;;
        *) echo "innodb_initialized: InnoDB support is '${support:-unknown}'"; return 1 ;;
    esac
}

rc=0
for check in $checks; do
    "check_$check" || rc=1
done
exit $rc
