"""Shell completion of `onekyc-sim` (bash, zsh, fish) through argcomplete.

`main()` hands the parser to `argcomplete.autocomplete`, which answers only when a shell's completion
hook runs the command (the `_ARGCOMPLETE` variable is set) and does nothing otherwise. The hook itself
is printed by `onekyc-sim completion SHELL`, for the user to load in the shell's start-up file.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

import argcomplete
from argcomplete.shell_integration import shellcode

COMMAND = "completion"
SHELLS = ("bash", "zsh", "fish")

EPILOG = """\
enable it (once, in your shell's start-up file):
  bash  ~/.bashrc                      eval "$(onekyc-sim completion bash)"
  zsh   ~/.zshrc                       eval "$(onekyc-sim completion zsh)"
  fish  ~/.config/fish/config.fish     onekyc-sim completion fish | source
"""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `onekyc-sim completion {bash,zsh,fish}` to the command's subparsers."""
    completion = sub.add_parser(
        COMMAND,
        help="print the shell completion hook (bash, zsh, fish)",
        description="Print the code that makes your shell complete onekyc-sim's commands and flags.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    completion.add_argument("shell", choices=SHELLS, help="the shell to complete in")


def autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer a completion request from the shell hook (and exit); return at once on an ordinary run."""
    argcomplete.autocomplete(parser)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Print the completion hook of `args.shell` for the `onekyc-sim` command."""
    (out or sys.stdout).write(shellcode(["onekyc-sim"], shell=args.shell))
    return 0
