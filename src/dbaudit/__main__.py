from __future__ import annotations

from dbaudit.cli import main

if __name__ == "__main__":
    main()
