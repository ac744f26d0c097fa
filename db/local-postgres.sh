#!/usr/bin/env bash
# local-postgres.sh runs a PostgreSQL cluster that belongs to this checkout alone, for
# development and tests. The Makefile calls it when DATABASE_URL or TEST_DATABASE_URL is
# unset; nothing else about the project depends on it.
#
# Usage: db/local-postgres.sh start|stop|status|url [DBNAME]|createdb NAME|destroy
#
#   start          create the cluster if needed, start it if it is not running, and wait
#                  until it accepts connections (quick when it is already up)
#   stop           stop the cluster if it is running
#   status         say whether it runs; exit 0 if it does, 3 if it does not
#   url [DBNAME]   print the URL of database DBNAME (default portal); needs no server
#   createdb NAME  start the cluster and create database NAME unless it exists
#   destroy        stop the cluster and delete it with all its data
#
# The data lives in .data/postgres and the server log in .data/postgres.log. The server
# listens on 127.0.0.1 only, port LOCAL_PG_PORT (default 55432), and trusts every local
# connection: superuser postgres, no password. It trades durability for speed (fsync,
# synchronous_commit and full_page_writes are off), so keep nothing precious in it.
#
# initdb and pg_ctl refuse to run as root. Run as root, the script runs them as the
# postgres OS user instead; if that user cannot reach the checkout (a clone under /root,
# say), the cluster lives in /tmp/jusb-portal-pg-HASH, and .data/postgres and
# .data/postgres.log are symlinks into it.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
port=${LOCAL_PG_PORT:-55432}
data_root=$repo/.data
pgdata_link=$data_root/postgres
log_link=$data_root/postgres.log

# Socket paths longer than this do not fit in sun_path (108 bytes on Linux, 104 on BSD).
max_socket_path=100

say() { printf 'local-postgres: %s\n' "$*" >&2; }
die() {
	say "$*"
	exit 1
}

usage() {
	sed -n 's/^# \{0,1\}//; 6,15p' "${BASH_SOURCE[0]}" >&2
	exit 2
}

# find_bindir prints the directory that holds initdb and pg_ctl: the one pg_config names,
# else the newest /usr/lib/postgresql/*/bin (Debian and Ubuntu keep them off PATH).
find_bindir() {
	local dir
	if command -v pg_config >/dev/null 2>&1; then
		dir=$(pg_config --bindir 2>/dev/null || true)
		if [[ -n $dir && -x $dir/initdb && -x $dir/pg_ctl ]]; then
			printf '%s\n' "$dir"
			return
		fi
	fi
	while read -r dir; do
		if [[ -x $dir/initdb && -x $dir/pg_ctl ]]; then
			printf '%s\n' "$dir"
			return
		fi
	done < <(printf '%s\n' /usr/lib/postgresql/*/bin | sort -rV)
	cat >&2 <<-'EOF'
		local-postgres: the PostgreSQL server programs (initdb, pg_ctl) were not found.
		Install them, then run this again:
		  Debian, Ubuntu:  apt-get install postgresql
		  Fedora, RHEL:    dnf install postgresql-server
		  Arch Linux:      pacman -S postgresql
		  Alpine:          apk add postgresql
		  macOS:           brew install postgresql@17
		If they are installed somewhere else, put that install's pg_config first on PATH.
	EOF
	exit 1
}

# client prints the path of a client program, preferring the server's own version.
client() {
	if [[ -x $bindir/$1 ]]; then
		printf '%s\n' "$bindir/$1"
	else
		command -v "$1" || die "$1 not found; install the PostgreSQL client programs"
	fi
}

# Root runs the server programs as the postgres OS user; anyone else runs them as themselves.
owner=
owner_name=$(id -un)
if [[ $(id -u) -eq 0 ]]; then
	owner=postgres
	owner_name=postgres
fi

# as_owner runs a command as the cluster's owner, from / so that a working directory the
# owner cannot enter does not matter.
as_owner() {
	if [[ -z $owner ]]; then
		(cd / && "$@")
	elif command -v runuser >/dev/null 2>&1; then
		(cd / && runuser -u "$owner" -- "$@")
	else
		(cd / && su -s /bin/sh "$owner" -c "$(printf '%q ' "$@")")
	fi
}

# own gives a path to the cluster's owner when that is another user.
own() {
	if [[ -n $owner ]]; then
		chown "$owner": "$@"
	fi
}

# locate sets pgdata, socket_dir and log to where the cluster is (or will be) kept.
locate() {
	local base
	if [[ -L $pgdata_link ]]; then
		base=$(dirname "$(readlink "$pgdata_link")")
	else
		base=$data_root
	fi
	pgdata=$base/postgres
	socket_dir=$base/run
	log=$base/postgres.log
}

# relocated_base prints the directory under /tmp used when the owner cannot reach the
# checkout. The name comes from a checksum of the checkout's path, so each checkout keeps
# its own cluster.
relocated_base() {
	local sum
	sum=$(printf '%s' "$repo" | cksum | cut -d' ' -f1)
	printf '/tmp/jusb-portal-pg-%s\n' "$sum"
}

# prepare creates the directories of a new cluster, deciding where it lives, and sets
# pgdata, socket_dir and log.
prepare() {
	mkdir -p "$data_root"
	if [[ -L $pgdata_link ]]; then
		local want
		want=$(relocated_base)/postgres
		if [[ $(readlink "$pgdata_link") == "$want" && -d $want ]]; then
			locate
			return
		fi
		if [[ $(readlink "$pgdata_link") != "$want" ]]; then
			# The checkout was copied or moved: do not share another checkout's cluster.
			say ".data/postgres pointed at another checkout's cluster; making a new one"
		else
			say "$want is gone (was /tmp cleaned?); making a new cluster"
		fi
		rm -f "$pgdata_link" "$log_link"
	fi
	if [[ ! -e $pgdata_link ]]; then
		if [[ -z $owner ]] || as_owner test -x "$data_root"; then
			mkdir -m 700 "$pgdata_link"
			own "$pgdata_link"
		else
			relocate
		fi
	fi
	locate
}

# relocate makes the cluster's directory under /tmp and links .data to it.
relocate() {
	local base
	base=$(relocated_base)
	if [[ -L $base ]] || { [[ -e $base ]] && [[ $(stat -c %U "$base") != "$owner_name" ]]; }; then
		die "$base exists but does not belong to $owner_name; remove it and try again"
	fi
	mkdir -p "$base/postgres"
	chmod 700 "$base" "$base/postgres"
	own "$base" "$base/postgres"
	ln -sfn "$base/postgres" "$pgdata_link"
	ln -sfn "$base/postgres.log" "$log_link"
	say "$owner_name cannot reach $repo; keeping the cluster in $base"
}

# init runs initdb and writes the settings of a development cluster.
init() {
	say "creating a cluster in $pgdata (log: $log)"
	mkdir -p "$socket_dir"
	touch "$log"
	own "$socket_dir" "$log"
	if ! as_owner "$bindir/initdb" --pgdata="$pgdata" --username=postgres --auth=trust \
		--encoding=UTF8 --no-locale >>"$log" 2>&1; then
		tail -n 20 "$log" >&2
		die "initdb failed; the whole log is in $log"
	fi
	as_owner tee -a "$pgdata/postgresql.conf" >/dev/null <<-EOF

		# Added by db/local-postgres.sh: a disposable cluster for development and tests.
		# The port and the socket directory are given on the command line at each start.
		listen_addresses = '127.0.0.1'
		max_connections = 200
		fsync = off
		synchronous_commit = off
		full_page_writes = off
	EOF
	as_owner tee "$pgdata/pg_hba.conf" >/dev/null <<-EOF
		# Written by db/local-postgres.sh: trust local connections; nothing else may connect.
		# TYPE  DATABASE  USER  ADDRESS       METHOD
		local   all       all                 trust
		host    all       all   127.0.0.1/32  trust
	EOF
}

# running reports whether the cluster's postmaster is alive.
running() {
	[[ -f $pgdata/PG_VERSION ]] && as_owner "$bindir/pg_ctl" status -D "$pgdata" >/dev/null 2>&1 &&
		! zombie_postmaster
}

# zombie_postmaster reports whether the pid file names a postmaster that was killed but
# not yet reaped. That happens where nothing reaps orphans (as in some containers); pg_ctl
# and the server itself would take the zombie for a live server.
zombie_postmaster() {
	local pid state
	pid=$(head -n 1 "$pgdata/postmaster.pid" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ && -r /proc/$pid/stat ]] || return 1
	state=$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
	[[ $state == Z ]]
}

# remove_stale_locks removes the lock files of a zombie postmaster, which would stop a
# new server from starting.
remove_stale_locks() {
	local pid lock
	pid=$(head -n 1 "$pgdata/postmaster.pid")
	say "the last server (pid $pid) was killed; removing its lock files"
	for lock in "$socket_dir"/.s.PGSQL.*.lock; do
		if [[ -f $lock && $(head -n 1 "$lock") == "$pid" ]]; then
			as_owner rm -f "$lock" "${lock%.lock}"
		fi
	done
	as_owner rm -f "$pgdata/postmaster.pid"
}

# running_port prints the port the running postmaster listens on (line 4 of its pid file).
running_port() {
	sed -n 4p "$pgdata/postmaster.pid" 2>/dev/null || true
}

# wait_ready waits up to 30 seconds for the server to accept connections on its port.
wait_ready() {
	local isready i
	isready=$(client pg_isready)
	for ((i = 0; i < 300; i++)); do
		if "$isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
			return
		fi
		sleep 0.1
	done
	tail -n 20 "$log" >&2
	die "the server does not accept connections on 127.0.0.1:$port; see $log"
}

# check_sane stops with advice when .data/postgres holds a cluster this script cannot run.
check_sane() {
	[[ -f $pgdata/PG_VERSION ]] || return 0
	if [[ -n $owner ]] && ! as_owner test -r "$pgdata/PG_VERSION"; then
		die "$owner cannot read $pgdata (was .data copied from another checkout?);" \
			"it holds only development data: remove .data and run start again"
	fi
}

cmd_start() {
	if [[ -n $owner ]] && ! id -u "$owner" >/dev/null 2>&1; then
		die "initdb and pg_ctl refuse to run as root, and there is no '$owner' user to run" \
			"them as; create one (useradd --system --create-home $owner) or run as another user"
	fi
	prepare
	locate
	check_sane
	if running; then
		local have
		have=$(running_port)
		if [[ $have != "$port" ]]; then
			die "the cluster already runs on port $have, not $port; stop it and start again"
		fi
		wait_ready
		say "running on 127.0.0.1:$port"
		return
	fi
	if [[ ! -f $pgdata/PG_VERSION ]]; then
		init
	elif zombie_postmaster; then
		remove_stale_locks
	fi

	local sockets=$socket_dir
	if ((${#socket_dir} + 14 > max_socket_path)); then
		sockets= # The path is too long for a socket: listen on TCP only.
	fi
	mkdir -p "$socket_dir"
	own "$socket_dir"
	case $sockets in *\'* | *\\*) sockets= ;; esac # pg_ctl passes -o through a shell.
	# 9>&-: the server must not inherit the lock, or it would hold it as long as it runs.
	if ! as_owner "$bindir/pg_ctl" start -D "$pgdata" -l "$log" -w -t 60 -s \
		-o "-p $port -k '$sockets'" 9>&-; then
		tail -n 20 "$log" >&2
		die "the server did not start; the whole log is in $log"
	fi
	wait_ready
	say "started on 127.0.0.1:$port (data: $pgdata)"
}

cmd_stop() {
	locate
	if ! running; then
		say "not running"
		return
	fi
	as_owner "$bindir/pg_ctl" stop -D "$pgdata" -m fast -w -s
	say "stopped"
}

cmd_destroy() {
	cmd_stop
	locate
	if [[ -L $pgdata_link ]]; then
		rm -rf "$(dirname "$pgdata")"
	fi
	rm -rf "$pgdata_link" "$log_link" "$data_root/run"
	say "removed the cluster and its data"
}

cmd_status() {
	locate
	if running; then
		printf 'running on 127.0.0.1:%s (data: %s, log: %s)\n' "$(running_port)" "$pgdata" "$log"
		return 0
	fi
	if [[ -f $pgdata/PG_VERSION ]]; then
		printf 'stopped (data: %s)\n' "$pgdata"
	else
		printf 'not created yet (db/local-postgres.sh start creates it)\n'
	fi
	return 3
}

# valid_name accepts the database names the Makefile and tests use, so that a name can be
# put in SQL and in a URL as it is.
valid_name() {
	[[ $1 =~ ^[A-Za-z_][A-Za-z0-9_]{0,62}$ ]] || die "bad database name '$1':" \
		"use letters, digits and _, at most 63"
}

cmd_url() {
	local name=${1:-portal}
	valid_name "$name"
	printf 'postgres://postgres@127.0.0.1:%s/%s?sslmode=disable\n' "$port" "$name"
}

# sql runs one statement as the superuser and prints the result unaligned.
sql() {
	"$(client psql)" -X -q -tA -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres \
		-d postgres -c "$1"
}

db_exists() {
	[[ $(sql "SELECT 1 FROM pg_database WHERE datname = '$1'") == 1 ]]
}

cmd_createdb() {
	local name=$1
	valid_name "$name"
	cmd_start
	if db_exists "$name"; then
		return
	fi
	# Another process may create it at the same moment; only a missing database is an error.
	if ! sql "CREATE DATABASE \"$name\"" 2>/dev/null && ! db_exists "$name"; then
		die "could not create database $name"
	fi
	say "created database $name"
}

[[ $port =~ ^[0-9]+$ ]] || die "LOCAL_PG_PORT must be a port number, not '$port'"
[[ $# -ge 1 ]] || usage
command=$1
shift
case $command in
url)
	[[ $# -le 1 ]] || usage
	cmd_url "$@"
	exit
	;;
start | stop | status | destroy) [[ $# -eq 0 ]] || usage ;;
createdb) [[ $# -eq 1 ]] || usage ;;
*) usage ;;
esac

bindir=$(find_bindir)
locate
if [[ $command != status ]] && command -v flock >/dev/null 2>&1; then
	# One start, stop or createdb at a time per checkout (two make runs at once, say).
	mkdir -p "$data_root"
	exec 9>>"$data_root/.lock"
	flock 9
fi
"cmd_$command" "$@"
