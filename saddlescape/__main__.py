"""``python -m saddlescape`` is the ``saddlescape`` command."""
import sys

from .cli import main

sys.exit(main())
