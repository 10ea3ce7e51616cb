#!/usr/bin/env bash
# MariaDB on 127.0.0.1:3306 for the JDBC store's MariaDB dialect (issue 12): root reaches database
# test over TCP without a password. Installs and starts it if needed; idempotent.
set -euo pipefail
log() { printf '[ci] %s\n' "$*"; }
tcp() { mariadb -h 127.0.0.1 -P 3306 -u root "$@"; }

if ! command -v mariadbd >/dev/null 2>&1; then
  log "installing mariadb-server"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mariadb-server mariadb-client >/dev/null
fi
if ! mariadb-admin -h 127.0.0.1 -P 3306 -u root ping >/dev/null 2>&1 && ! mariadb-admin -u root ping >/dev/null 2>&1; then
  log "starting MariaDB"
  service mariadb start >/dev/null 2>&1 || (mariadbd-safe --bind-address=127.0.0.1 --port=3306 >/dev/null 2>&1 &)
fi
for _ in $(seq 1 60); do
  mariadb-admin -u root ping >/dev/null 2>&1 || mariadb-admin -h 127.0.0.1 -u root ping >/dev/null 2>&1 && break
  sleep 1
done
if ! tcp -e 'select 1' >/dev/null 2>&1; then
  # Debian's root logs in through the unix socket only; let it in over loopback TCP without a password too
  log "letting root in over loopback TCP"
  mariadb -u root -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');
    CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;"
fi
tcp -e 'CREATE DATABASE IF NOT EXISTS test'
log "MariaDB is up"
