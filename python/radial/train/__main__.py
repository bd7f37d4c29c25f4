"""``python -m radial.train``: see ``radial.train.cli`` and docs/training.md."""

from radial.train.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
