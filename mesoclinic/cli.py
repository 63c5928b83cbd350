"""The `mesoclinic` command.

`mesoclinic plan ...` runs the rules engine with no database and no Django;
every other subcommand is a Django management command (migrate, demo, ...).
"""

import os
import sys


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and argv[1] == "plan":
        from mesoclinic.rules.cli import main as plan_main

        return plan_main(argv[2:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesoclinic.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)
    return 0


if __name__ == "__main__":
    sys.exit(main())
