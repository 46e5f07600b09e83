"""``python -m ioukit``: the command line (see :mod:`ioukit.cli`)."""

from ioukit.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
