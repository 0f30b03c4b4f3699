"""The Textual playground (in progress: see docs/ARCHITECTURE.md). It will read snapshots
from ``saddlescape.Session`` and never compute physics itself."""
