#!/usr/bin/env bash
# Hardening score of the Linux layer (issue 4): for each profile a fresh lab host (systemd container from the lab
# image) gets the scanners, is converged with playbooks/linux.yml over SSH as the administrator ops (except
# "bare"), converged again (rerun), then scanned from inside. Prints one table: Lynis hardening index, OpenSCAP CIS Debian 12 level 1 server and ANSSI
# BP-028 intermediary pass/fail (score), converge and rerun seconds, changed tasks on the rerun.
#
# Method (docs/hardening.md): scanners installed identically on every host before hardening: lynis,
# openscap-scanner, linux-base (without it ~180 CIS rules read as not applicable), python3-apt, and the SCAP
# content of Debian 12 from sid's ssg-base + ssg-debian (data-only packages; bookworm's have no Debian 12
# profiles), fetched once through the image's own apt mirror and cached. /.dockerenv is hidden during the scans.
#
# Usage: benchmarks/hardening_score.sh [profile...]   (default: bare baseline strict)
# Env:   LOKICTL_BENCH_IMAGE (default lokictl/host:bookworm), LOKICTL_BENCH_SSG (default 0.1.82),
#        LOKICTL_BENCH_STRATEGY (default: the strategy `lokictl deploy --layer linux` uses; linear = Ansible's own),
#        LOKICTL_BENCH_KEEP=1 keeps the containers for inspection, LOKICTL_BENCH_LOGS=<dir> keeps the Ansible
#        logs (with per-task timings).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV_BIN="$ROOT/.venv/bin"
IMAGE=${LOKICTL_BENCH_IMAGE:-lokictl/host:bookworm}
SSG_VERSION=${LOKICTL_BENCH_SSG:-0.1.82}
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/lokictl/bench
LABEL=io.lokictl.bench=hardening_score
DS=/usr/share/xml/scap/ssg/content/ssg-debian12-ds.xml
CIS=xccdf_org.ssgproject.content_profile_cis_level1_server
ANSSI=xccdf_org.ssgproject.content_profile_anssi_bp28_intermediary
PROFILES=("$@")
[ ${#PROFILES[@]} -gt 0 ] || PROFILES=(bare baseline strict)
WORK=$(mktemp -d)
export LANG=C.UTF-8 LC_ALL=C.UTF-8 ANSIBLE_PIPELINING=True ANSIBLE_ROLES_PATH="$ROOT/roles" \
  ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_STDOUT_CALLBACK=default ANSIBLE_RETRY_FILES_ENABLED=False \
  ANSIBLE_CALLBACKS_ENABLED=ansible.posix.profile_tasks PROFILE_TASKS_TASK_OUTPUT_LIMIT=25

# Converge the way `lokictl deploy --layer linux` does: with the layer's strategy (lokictl.layers; Mitogen's
# mitogen_linear when the layer uses it), unless LOKICTL_BENCH_STRATEGY names one (linear = Ansible's own).
STRATEGY=${LOKICTL_BENCH_STRATEGY:-$("$VENV_BIN/python" -c \
  'from lokictl.layers import step; print(getattr(step("linux"), "strategy", None) or "linear")')}
if [[ $STRATEGY == mitogen_* ]]; then
  ANSIBLE_STRATEGY_PLUGINS=$("$VENV_BIN/python" -c \
    'from lokictl.runner import mitogen_strategy_plugins; print(mitogen_strategy_plugins())')
  export ANSIBLE_STRATEGY_PLUGINS
fi
export ANSIBLE_STRATEGY=$STRATEGY

cleanup() {
  if [ "${LOKICTL_BENCH_KEEP:-0}" != 1 ]; then
    docker ps -aq --filter "label=$LABEL" | xargs -r docker rm -f >/dev/null
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

log() { printf '%s %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

start_host() {  # name
  docker rm -f "$1" >/dev/null 2>&1 || true
  docker run -d --name "$1" --hostname "$1" --label "$LABEL" \
    --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined --cgroupns=host \
    -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock --tmpfs /tmp \
    --stop-signal SIGRTMIN+3 --env container=docker "$IMAGE" /lib/systemd/systemd >/dev/null
  local state="" i
  for i in $(seq 60); do  # systemd's bus is up only a moment after the container starts
    state=$(docker exec "$1" systemctl is-system-running --wait 2>/dev/null || true)
    case $state in running | degraded) break ;; esac
    sleep 1
  done
  # The apt timers fire right after boot and race the benchmark's own apt runs.
  docker exec "$1" systemctl stop apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service
}

in_host() { docker exec -e DEBIAN_FRONTEND=noninteractive "$1" bash -c "$2"; }

fetch_ssg() {  # the Debian 12 SCAP content from sid, through the image's mirror; cached
  if ls "$CACHE"/ssg-base_"$SSG_VERSION"*.deb "$CACHE"/ssg-debian_"$SSG_VERSION"*.deb >/dev/null 2>&1; then
    return
  fi
  log "fetching ssg-base and ssg-debian $SSG_VERSION from sid"
  mkdir -p "$CACHE"
  start_host lokictl-bench-fetch
  in_host lokictl-bench-fetch "
    set -euo pipefail
    mirror=\$(grep -h '^deb ' /etc/apt/sources.list | awk '{print \$2}' | grep -v -- -security | head -n 1)
    echo \"deb \$mirror sid main\" > /var/tmp/sid.list
    # sid's Release carries a Valid-Until date that a mirror snapshot may have passed.
    opts='-o Dir::Etc::SourceList=/var/tmp/sid.list -o Dir::Etc::SourceParts=- -o Dir::State::Lists=/var/tmp/sid-lists'
    opts=\"\$opts -o Acquire::Check-Valid-Until=false\"
    mkdir -p /var/tmp/sid-lists/partial /var/tmp/debs
    apt-get -q \$opts update >/dev/null
    cd /var/tmp/debs && apt-get -q \$opts download ssg-base=$SSG_VERSION-\\* ssg-debian=$SSG_VERSION-\\* >/dev/null"
  docker cp lokictl-bench-fetch:/var/tmp/debs/. "$CACHE/"
  docker rm -f lokictl-bench-fetch >/dev/null
}

install_scanners() {  # host
  # Not /tmp: docker cp cannot write into the container's tmpfs mounts.
  docker cp "$CACHE/." "$1:/var/tmp/"
  docker cp "$WORK/key.pub" "$1:/var/tmp/key.pub"
  in_host "$1" "
    set -euo pipefail
    apt-get -q update >/dev/null
    apt-get -q install -y --no-install-recommends lynis openscap-scanner linux-base python3-apt >/dev/null
    dpkg -i /var/tmp/ssg-base_*.deb /var/tmp/ssg-debian_*.deb >/dev/null
    useradd -m -s /bin/bash ops
    install -d -m 0700 -o ops -g ops /home/ops/.ssh
    install -m 0600 -o ops -g ops /var/tmp/key.pub /home/ops/.ssh/authorized_keys
    echo 'ops ALL=(ALL:ALL) NOPASSWD: ALL' > /etc/sudoers.d/90-lab && chmod 0440 /etc/sudoers.d/90-lab"
}

inventory() {  # host profile -> inventory file: Ansible logs in over SSH as the administrator ops, as in a lab
  local file="$WORK/$1.yml" address
  address=$(docker inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$1")
  cat > "$file" <<YAML
all:
  hosts:
    $1:
      ansible_host: $address
      ansible_user: ops
      ansible_become: true
      ansible_ssh_private_key_file: $WORK/key
      ansible_ssh_common_args: >-
        -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o IdentitiesOnly=yes
        -o ControlMaster=auto -o ControlPersist=120s -o ControlPath=$WORK/cp-%h
      ansible_python_interpreter: /usr/bin/python3
      loki_host_fqdn: $1.bench.example
      loki_host_roles: [monitoring]
      loki_host_layers: [linux]
  vars:
    loki_linux_hardening: $2
    loki_site_name: bench
    loki_site_domain: bench.example
    loki_timezone: Etc/UTC
    loki_ntp_servers: [192.0.2.1]
    loki_dns_servers: [192.0.2.1]
    loki_apt_mirror: ""
    loki_networks: {management: {cidr: 192.0.2.0/24, gateway: 192.0.2.1, vlan: null, mtu: 1500}}
    loki_admin_users: [{name: ops, ssh_keys: ["$(cat "$WORK/key.pub")"], sudo: true}]
YAML
  echo "$file"
}

converge() {  # host profile -> "seconds changed"
  local inv out start secs
  inv=$(inventory "$1" "$2")
  out="$WORK/$1-$(date +%s%N).log"
  start=$(date +%s.%N)
  if ! "$VENV_BIN/ansible-playbook" -i "$inv" "$ROOT/playbooks/linux.yml" >"$out" 2>&1; then
    tail -n 30 "$out" >&2
    return 1
  fi
  secs=$(echo "$(date +%s.%N) - $start" | bc)
  if [ -n "${LOKICTL_BENCH_LOGS:-}" ]; then mkdir -p "$LOKICTL_BENCH_LOGS" && cp "$out" "$LOKICTL_BENCH_LOGS/"; fi
  printf '%.0f %s\n' "$secs" "$(sed -n 's/.*changed=\([0-9]*\).*/\1/p' "$out" | tail -n 1)"
}

scan() {  # host -> "lynis cis_pass cis_fail cis_score anssi_pass anssi_fail anssi_score"
  in_host "$1" "
    set -uo pipefail
    mv /.dockerenv /.dockerenv.hidden 2>/dev/null
    lynis audit system --quick --no-colors >/dev/null 2>&1
    lynis=\$(sed -n 's/^hardening_index=//p' /var/log/lynis-report.dat)
    for p in $CIS $ANSSI; do
      oscap xccdf eval --profile \$p --results /tmp/\$p.xml $DS >/tmp/\$p.txt 2>/dev/null
      pass=\$(grep -c '^Result.*pass\$' /tmp/\$p.txt); fail=\$(grep -c '^Result.*fail\$' /tmp/\$p.txt)
      score=\$(grep -o '<score[^>]*>[0-9.]*' /tmp/\$p.xml | head -n 1 | sed 's/.*>//')
      printf ' %s %s %.1f' \$pass \$fail \$score
    done | sed \"s/^/\$lynis/\"
    mv /.dockerenv.hidden /.dockerenv 2>/dev/null; true"
}

main() {
  command -v bc >/dev/null || { echo "bc is needed" >&2; exit 2; }
  docker image inspect "$IMAGE" >/dev/null || { echo "image $IMAGE missing: lokictl lab image build" >&2; exit 2; }
  ssh-keygen -q -t ed25519 -N '' -C hardening-bench -f "$WORK/key"
  fetch_ssg
  log "Ansible strategy: $STRATEGY"
  local rows=() profile host first second lynis cp cf cs ap af as
  for profile in "${PROFILES[@]}"; do
    host=lokictl-bench-$profile
    log "$profile: fresh host, scanners"
    start_host "$host"
    install_scanners "$host"
    # The converge time depends on the image's age: strict installs the pending security updates.
    log "$profile: $(in_host "$host" "apt-get -qq -s upgrade | grep -c '^Inst' || true") pending updates in the image"
    first="- -"; second="- -"
    if [ "$profile" != bare ]; then
      log "$profile: converge"; first=$(converge "$host" "$profile")
      log "$profile: rerun"; second=$(converge "$host" "$profile")
    fi
    log "$profile: scan"
    read -r lynis cp cf cs ap af as <<<"$(scan "$host")"
    rows+=("| $profile | $lynis | $cp/$cf ($cs) | $ap/$af ($as) | ${first%% *} | ${second%% *} | ${second##* } |")
    [ "${LOKICTL_BENCH_KEEP:-0}" = 1 ] || docker rm -f "$host" >/dev/null
  done
  echo "| host | Lynis index | CIS L1 server pass/fail (score) | ANSSI BP-028 intermediary pass/fail (score) | converge s | rerun s | changed on rerun |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
}

main
