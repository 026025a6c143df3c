"""`python -m justpush …` runs the CLI."""

from justpush.cli import main

main()
