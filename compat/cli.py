"""The ``compat`` command line: ``compat backend``, ``compat api-table``."""

import argparse
import json
import sys

__all__ = ["main"]


def _cmd_backend(args):
    from compat import _config
    name, source = _config.resolve_backend(None, args.module)
    print(f"{name}\t(from {source}, module {args.module!r})")
    return 0


def _cmd_api_table(args):
    from compat import api_table
    if args.json:
        print(json.dumps([e._asdict() for e in api_table.ENTRIES], indent=2))
    else:
        print(api_table.markdown())
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="compat", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("backend", help="which backend a module's Sessions would use")
    p.add_argument("module", nargs="?", default="__main__")
    p.set_defaults(func=_cmd_backend)
    p = sub.add_parser("api-table", help="print the supported-API table")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_api_table)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ValueError as e:
        print(f"compat: error: {e}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
