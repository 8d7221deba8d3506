#!/bin/sh
# lokictl: build-time settings of Kolla images. pip.conf carries the build host's index settings (never
# credentials); build-ca.crt, when present, is the build host's CA bundle for pip and apt over TLS.
set -eu
src=/additions/lokictl
if [ -f "$src/build-ca.crt" ]; then
    install -D -m 0644 "$src/build-ca.crt" /etc/lokictl/build-ca.crt
    printf 'Acquire::https::CAInfo "/etc/lokictl/build-ca.crt";\n' > /etc/apt/apt.conf.d/90lokictl-build-ca
fi
install -m 0644 "$src/pip.conf" /etc/pip.conf
