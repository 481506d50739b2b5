#!/usr/bin/env python3
"""A pair of pseudo-terminals joined back to back: a serial cable for tests.

    python3 test/support/ptypair.py BOARD_LINK HOST_LINK

Opens two ptys in raw mode (no echo, no line editing, no CR/LF rewriting),
makes BOARD_LINK and HOST_LINK symbolic links to their slave devices, prints
one line `ready <board tty> <host tty>` on stdout and copies bytes between
them both ways. The monitor opens BOARD_LINK as it would a board's port; a
test writes what a board would send into HOST_LINK.

Killing this process is the cable being unplugged: the masters close, so the
kernel hangs up both slaves (a reader sees EOF or EIO). SIGTERM, SIGINT and
SIGHUP also remove the links first, as a USB port's device node goes away;
SIGKILL leaves them dangling, which a reader sees as missing too. Starting it
again at the same paths is the board coming back (new ptys, links replaced).
It also exits when its stdin closes, so it never outlives the test that
started it.

It keeps its own descriptor of each slave open: with none open, Linux fails a
read of the master with EIO at once, which would turn the copy loop into a
spin whenever the monitor has the port closed.

Only the standard library; Linux and macOS.
"""
import os
import select
import signal
import sys
import tty


def link(target, path):
    """Points path at target, replacing a stale link atomically."""
    tmp = "%s.%d.tmp" % (path, os.getpid())
    try:
        os.unlink(tmp)
    except FileNotFoundError:
        pass
    os.symlink(target, tmp)
    os.replace(tmp, path)


def unlink_if_ours(path, target):
    """Removes path only while it still points at our tty (a newer pair may own it)."""
    try:
        if os.readlink(path) == target:
            os.unlink(path)
    except OSError:
        pass


def write_all(fd, data):
    while data:
        n = os.write(fd, data)
        data = data[n:]


def main():
    if len(sys.argv) != 3:
        sys.stderr.write("usage: ptypair.py BOARD_LINK HOST_LINK\n")
        return 2
    board_link, host_link = sys.argv[1], sys.argv[2]
    pairs = []
    for _ in range(2):
        master, slave = os.openpty()
        tty.setraw(slave)
        pairs.append((master, slave, os.ttyname(slave)))
    (m_board, _, board_tty), (m_host, _, host_tty) = pairs

    def leave(signum, frame):
        unlink_if_ours(board_link, board_tty)
        unlink_if_ours(host_link, host_tty)
        os._exit(0)

    for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(s, leave)

    link(board_tty, board_link)
    link(host_tty, host_link)
    sys.stdout.write("ready %s %s\n" % (board_tty, host_tty))
    sys.stdout.flush()

    stdin = sys.stdin.fileno()
    peer = {m_board: m_host, m_host: m_board}
    watched = [m_board, m_host, stdin]
    while True:
        ready, _, _ = select.select(watched, [], [])
        for fd in ready:
            if fd == stdin:
                if not os.read(stdin, 4096):
                    leave(None, None)
                continue
            data = os.read(fd, 65536)
            if data:
                write_all(peer[fd], data)


if __name__ == "__main__":
    sys.exit(main())
