"""Print the oldest releases that setup.cfg declares, as pip pins.

Every ``name>=version`` of ``install_requires`` and of the runtime extras
(``nn``, ``plot``) becomes ``name==version``, so that CI's second
environment tests exactly the lower bounds users are promised. The test and
docs tools of the ``test`` extra are left to pip (they are not the
package's dependencies).
"""

import configparser
import re
from pathlib import Path

RUNTIME_EXTRAS = ("nn", "plot")


def lower_bounds(setup_cfg):
    config = configparser.ConfigParser()
    config.read(setup_cfg)
    lines = config["options"]["install_requires"].splitlines()
    for extra in RUNTIME_EXTRAS:
        lines += config["options.extras_require"][extra].splitlines()
    pins = {}
    for line in lines:
        match = re.fullmatch(r"\s*([A-Za-z0-9_.\-\[\]]+)\s*>=\s*([0-9.]+)\s*(,.*)?", line)
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def main():
    pins = lower_bounds(Path(__file__).resolve().parents[1] / "setup.cfg")
    print(" ".join(f"{name}=={version}" for name, version in pins.items()))


if __name__ == "__main__":
    main()
