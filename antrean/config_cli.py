"""`antrean config check FILE`: validate a site configuration and say what is wrong."""
from __future__ import annotations

import argparse

from .errors import ConfigError


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="antrean config", description=__doc__)
    sub = parser.add_subparsers(dest="action", required=True)
    check = sub.add_parser("check", help="validate a site config file (TOML)")
    check.add_argument("file", help="path of the site config, e.g. examples/mpp-madiun.toml")
    args = parser.parse_args(argv)

    from .config import check_site, load_site
    problems = check_site(args.file)
    if problems:
        for p in problems:
            print(p)
        raise ConfigError(f"{len(problems)} problem(s); nothing will start on this file",
                          path=args.file)
    site = load_site(args.file)
    print(f"{args.file}: OK - {site.name}: {len(site.agencies)} agencies, "
          f"{len(site.services)} services, {len(site.counters)} counters, "
          f"{len(site.kiosks)} kiosks, {len(site.displays)} displays, "
          f"{len(site.button_boxes)} button boxes")
    return 0
