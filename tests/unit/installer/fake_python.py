"""A stand-in for a target interpreter, for testing the installer without pip.

Run as ``fake_python.py -I -c CODE`` it prints the installed packages; as
``fake_python.py -I -m pip SUBCOMMAND ...`` it plays pip against a JSON state
file named by ``FAKE_PYTHON_STATE``: the first ``install`` adds
``state["on_install"]`` and exits with ``state["install_exit"]``; later
installs of ``name==version`` set those versions; ``uninstall`` removes.
Every pip call is appended to ``state["calls"]``.
"""

import json
import os
import sys
import time

path = os.environ["FAKE_PYTHON_STATE"]
with open(path) as handle:
    state = json.load(handle)
args = sys.argv[1:]
exit_code = 0
if args[:2] == ["-I", "-c"]:
    print(json.dumps(state["installed"]))
elif args[:3] == ["-I", "-m", "pip"]:
    state["calls"].append(args[3:])
    subcommand, rest = args[3], args[4:]
    names = [arg for arg in rest if not arg.startswith("-") and not arg.startswith("http")]
    if subcommand == "install" and "on_install" in state:
        time.sleep(state.get("install_sleep", 0))
        state["installed"].update(state.pop("on_install"))
        print("Collecting things from https://user:secret@index.example.com/simple")
        exit_code = state.get("install_exit", 0)
        if exit_code:
            print("ERROR: something went wrong")
    elif subcommand == "install":
        for name in names:
            project, _, version = name.partition("==")
            state["installed"][project] = version
            print(f"Successfully installed {project}-{version}")
    elif subcommand == "uninstall":
        for name in names:
            state["installed"].pop(name, None)
            print(f"Successfully uninstalled {name}")
else:
    print("unexpected arguments", args)
    exit_code = 2
with open(path, "w") as handle:
    json.dump(state, handle)
sys.exit(exit_code)
