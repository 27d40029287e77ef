from tui_upgrader.cli import main

raise SystemExit(main())
