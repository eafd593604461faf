"""The ``compat`` command line: ``backend``, ``api-table``, ``report``, ``migrate``."""

import argparse
import json
import sys

from compat.tooling.console import quiet_tensorflow

__all__ = ["main"]


def _cmd_backend(args):
    from compat.runtime import config as _config
    name, source = _config.resolve_backend(None, args.module)
    print(f"{name}\t(from {source}, module {args.module!r})")
    return 0


def _cmd_api_table(args):
    from compat.tf1 import api_table
    if args.json:
        print(json.dumps([e._asdict() for e in api_table.ENTRIES], indent=2))
    else:
        print(api_table.markdown())
    return 0


def _cmd_report(args):
    from compat import tooling as tools
    fmt = "json" if args.json else "markdown" if args.markdown else "text"
    print(tools.format_report(tools.report(args.path), fmt))
    return 0


def _cmd_migrate(args):
    from compat import tooling as tools
    results = tools.migrate(args.path, write=not args.diff)
    changed = [m for m in results if m.changed]
    for m in results:
        if args.diff and m.changed:
            sys.stdout.write(m.diff())
    verb = "would rewrite" if args.diff else "rewrote"
    print(f"compat migrate: {verb} {len(changed)} of {len(results)} file(s)",
          file=sys.stderr if args.diff else sys.stdout)
    for m in changed:
        for edit in m.edits:
            print(f"  {m.path}: {edit}", file=sys.stderr if args.diff else sys.stdout)
    todo = [(m.path, line, reason) for m in results for line, reason in m.not_rewritten]
    if todo:
        print(f"Not rewritten ({len(todo)}):", file=sys.stderr)
        for path, line, reason in todo:
            print(f"  {path}:{line}: {reason}", file=sys.stderr)
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="compat", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="keep TensorFlow's own logging (start-up lines, deprecation "
                             "notices, warnings); silenced by default")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("backend", help="which backend a module's Sessions would use")
    p.add_argument("module", nargs="?", default="__main__")
    p.set_defaults(func=_cmd_backend)
    p = sub.add_parser("api-table", help="print the supported-API table")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_api_table)
    p = sub.add_parser("report", help="TF1 symbols each module uses, their support on "
                                      "each backend, configured backend, ported or not")
    p.add_argument("path")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--json", action="store_true")
    g.add_argument("--markdown", action="store_true")
    p.set_defaults(func=_cmd_report)
    p = sub.add_parser("migrate", help="rewrite TensorFlow imports to `import compat.v1 "
                                       "as tf` (idempotent)")
    p.add_argument("path")
    p.add_argument("--diff", action="store_true",
                   help="print the changes as a unified diff; write nothing")
    p.set_defaults(func=_cmd_migrate)
    args = parser.parse_args(argv)
    # before any command imports TensorFlow: its start-up lines print while it loads
    undo = quiet_tensorflow(args.verbose)
    try:
        return args.func(args)
    except FileNotFoundError as e:
        print(f"compat: error: {e}", file=sys.stderr)
        return 2
    except ValueError as e:
        print(f"compat: error: {e}", file=sys.stderr)
        return 2
    finally:
        undo()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
