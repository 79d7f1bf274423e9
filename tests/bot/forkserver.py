"""A warm parent for the bot kill tests: imports the bot once, then forks one real child
process per ``indexer ...`` command it reads on stdin.

Each child is an ordinary OS process running the CLI entry point (``indexer.cli.main.app``)
with its own environment, stdout and stderr files; it can be SIGKILLed like any other.  What
the fork saves is the interpreter start-up and the imports (pandas, ccxt, cvxpy, SQLAlchemy),
about 1-3 s per process on a loaded machine.  Protocol: one JSON request per line
``{"args": [...], "env": {...}, "stdout": path, "stderr": path, "timeout": s}``, one JSON answer
per line ``{"rc": int}`` (negative: killed by that signal; ``null``: timed out and killed).
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time


def _warm() -> None:
    import psycopg  # noqa: F401
    import sqlalchemy.dialects.postgresql  # noqa: F401
    import sqlalchemy.dialects.sqlite  # noqa: F401

    import indexer.bot  # noqa: F401
    import indexer.bot.recorder  # noqa: F401
    import indexer.cli.main  # noqa: F401
    import indexer.execution.ccxt_broker  # noqa: F401
    import indexer.strategy  # noqa: F401


def _child(req: dict) -> None:
    os.environ.clear()
    os.environ.update(req["env"])
    for fd, path in ((1, req["stdout"]), (2, req["stderr"])):
        f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(f, fd)
        os.close(f)
    from indexer.cli.main import app

    code = 0
    try:
        app(args=req["args"], prog_name="indexer")
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001 - report like the interpreter would
        import traceback

        traceback.print_exc()
        code = 1
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def main() -> None:
    _warm()
    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        pid = os.fork()
        if pid == 0:
            _child(req)
        deadline = time.monotonic() + float(req.get("timeout", 60))
        rc: int | None = None
        while True:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                rc = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                break
            time.sleep(0.01)
        print(json.dumps({"rc": rc}), flush=True)


if __name__ == "__main__":
    main()
